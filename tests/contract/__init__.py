"""Checking recorded requests and responses against PostHog's OpenAPI schema."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

SPEC_PATH = Path(__file__).with_name("openapi-subset.json")
APP_HOSTS = {"us.posthog.com", "eu.posthog.com"}
INGEST_HOSTS = {"us.i.posthog.com", "eu.i.posthog.com"}
INGEST_PATHS = {"/i/v0/e/", "/batch/"}


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    pattern: re.Pattern[str]
    body: dict[str, Any]

    @property
    def parameters(self) -> list[dict[str, Any]]:
        shared = spec()["paths"][self.template].get("parameters", [])
        return [*shared, *self.body.get("parameters", [])]


@cache
def operations() -> list[Operation]:
    ops = []
    for template, item in spec()["paths"].items():
        regex = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        for method, body in item.items():
            if method in {"get", "post", "patch", "put", "delete"}:
                ops.append(Operation(template, method.upper(), re.compile(regex), body))
    # Literal paths (responses_count/) before templated ones ({id}/) that would also match.
    return sorted(ops, key=lambda op: op.template.count("{"))


def find(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    for op in operations():
        match = op.pattern.match(path)
        if match and op.method == method:
            return op, match.groupdict()
    return None


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    # $refs resolve against the document root, so give every schema the components beside it.
    return {**schema, "components": spec()["components"]}


# Fields PostHog's schema types as strings because drf-spectacular cannot see what a
# SerializerMethodField returns; the server sends the list, object or number shown in
# PostHog's docs. Only the type of these fields, in responses, is let go.
RESPONSE_TYPE_QUIRKS = frozenset({"experiment_set", "member_count", "metadata"})


def _validate(instance: Any, schema: dict[str, Any], *, write: bool) -> str | None:
    cls = OAS30WriteValidator if write else OAS30ReadValidator
    for error in cls(_schema(schema)).iter_errors(instance):
        path = list(error.absolute_path)
        quirk = error.validator == "type" and path and path[-1] in RESPONSE_TYPE_QUIRKS
        if quirk and not write:
            continue
        where = "/".join(str(p) for p in path) or "(root)"
        return f"{where}: {error.message[:300]}"
    return None


def _coerce(raw: str, schema: dict[str, Any]) -> Any:
    """Query and path values arrive as text; give them the type the schema declares."""
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == "boolean" and raw in {"true", "false"}:
        return raw == "true"
    return raw


def decode(body: Any) -> Any:
    if body in (None, "", b""):
        return None
    if isinstance(body, dict):  # vcrpy's {"string": ...}
        body = body.get("string")
    if isinstance(body, str):
        body = body.encode()
    if body[:2] == b"\x1f\x8b":
        import gzip

        body = gzip.decompress(body)
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


def check(interaction: dict[str, Any]) -> list[str]:
    """Every way one recorded interaction departs from PostHog's spec."""
    request, response = interaction["request"], interaction["response"]
    method = request["method"].upper()
    url = urlsplit(request["uri"])
    problems: list[str] = []
    found = find(method, url.path)
    if found is None:
        return [f"{method} {url.path} is not an operation of the spec"]
    op, path_values = found
    expected_hosts = INGEST_HOSTS if url.path in INGEST_PATHS else APP_HOSTS
    if url.hostname not in expected_hosts:
        problems.append(f"{method} {url.path} sent to {url.hostname}, not {sorted(expected_hosts)}")

    params = {(p["in"], p["name"]): p for p in op.parameters}
    for name, raw in path_values.items():
        param = params.get(("path", name))
        if param is None:
            problems.append(f"path parameter {name} is not declared")
            continue
        error = _validate(_coerce(raw, param.get("schema", {})), param.get("schema", {}), write=True)
        if error:
            problems.append(f"path parameter {name}={raw!r}: {error}")
    for name, raw in parse_qsl(url.query, keep_blank_values=True):
        param = params.get(("query", name))
        if param is None:
            problems.append(f"query parameter {name!r} is not declared for {method} {op.template}")
            continue
        schema = param.get("schema", {})
        error = _validate(_coerce(raw, schema), schema, write=True)
        if error:
            problems.append(f"query parameter {name}={raw!r}: {error}")
    for (where, name), param in params.items():
        if where == "query" and param.get("required") and name not in dict(parse_qsl(url.query)):
            problems.append(f"required query parameter {name!r} is missing")

    body = decode(request.get("body"))
    declared = op.body.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        if declared is None:
            problems.append(f"{method} {op.template} takes no JSON body")
        else:
            error = _validate(body, declared.get("schema", {}), write=True)
            if error:
                problems.append(f"request body: {error}")
    elif declared is not None and op.body["requestBody"].get("required"):
        problems.append("request body is required")

    status = str(response["status"]["code"])
    answer = op.body.get("responses", {}).get(status)
    if answer is not None:
        declared_out = (answer.get("content") or {}).get("application/json")
        data = decode(response.get("body"))
        if declared_out and data is not None and not isinstance(data, str):
            error = _validate(data, declared_out.get("schema", {}), write=False)
            if error:
                problems.append(f"response {status}: {error}")
    return problems


def load_cassette(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text())
    return list(data.get("interactions") or [])
