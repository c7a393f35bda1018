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
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

SPEC_PATH = Path(__file__).with_name("openapi-subset.json")
APP_HOSTS = {"us.posthog.com", "eu.posthog.com"}
INGEST_HOSTS = {"us.i.posthog.com", "eu.i.posthog.com"}
INGEST_PATHS = {"/i/v0/e/", "/batch/"}


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return loaded


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


# Response fields whose type in PostHog's schema is wrong, per component. drf-spectacular
# types a SerializerMethodField it cannot see into as a string, and does not mark read-only
# nested serializers nullable; the server sends the list, object, number or null that PostHog's
# docs show. These fields (in these components only) accept any value.
RESPONSE_QUIRKS: dict[str, frozenset[str]] = {
    "FeatureFlag": frozenset({"experiment_set"}),
    "Organization": frozenset({"member_count", "metadata"}),
    # get_conditions returns the conditions object or null; flags are null when not set.
    "Survey": frozenset({"conditions", "linked_flag", "targeting_flag"}),
    "SurveySerializerCreateUpdateOnly": frozenset({"linked_flag", "targeting_flag"}),
    "Experiment": frozenset({"holdout"}),
    # A session recording's person: its first ten distinct ids, a list.
    "MinimalPerson": frozenset({"distinct_ids"}),
    # True, false, or null when no event_names were sent (PropertyDefinitionSerializer).
    "PropertyDefinition": frozenset({"is_seen_on_filtered_events"}),
    # ActionSerializer.get_creation_context returns null (declared allow_null in newer PostHog).
    "Action": frozenset({"creation_context"}),
    # Computed when the insight is calculated: lists, nulls and booleans, typed as strings.
    "Insight": frozenset(
        {
            "alerts",
            "cache_target_age",
            "columns",
            "hasMore",
            "hogql",
            "is_cached",
            "last_refresh",
            "next_allowed_client_refresh",
            "query_status",
            "result",
            "types",
        }
    ),
}


@cache
def relaxed_spec() -> dict[str, Any]:
    """The spec with the quirky response fields above accepting any value."""
    relaxed: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    schemas = relaxed["components"]["schemas"]
    for component, names in RESPONSE_QUIRKS.items():
        for name in names:
            assert name in schemas[component]["properties"], f"{component}.{name} is not a field"
            schemas[component]["properties"][name] = {}
    return relaxed


def validate(instance: Any, schema: dict[str, Any], *, write: bool) -> str | None:
    """The first way ``instance`` departs from ``schema`` (refs into the spec), or ``None``."""
    cls = OAS30WriteValidator if write else OAS30ReadValidator
    components = (spec() if write else relaxed_spec())["components"]
    error = best_match(cls({**schema, "components": components}).iter_errors(instance))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message[:300]}"


def response_schema(op: Operation, status: str, request_body: Any) -> dict[str, Any] | None:
    """The JSON schema PostHog's answer follows.

    The query endpoint's 200 is a oneOf over every query response, and HogQL's response accepts
    what the others hold, so no answer can match exactly one: check it against the response of
    the kind that was asked for (the source's kind, for an InsightVizNode).
    """
    answer = op.body.get("responses", {}).get(status)
    declared = ((answer or {}).get("content") or {}).get("application/json")
    if declared is None:
        return None
    query_answer = status == "200" and op.template.endswith("/query/") and op.method == "POST"
    if query_answer and isinstance(request_body, dict):
        query = request_body.get("query") or {}
        kind = (query.get("source") or {}).get("kind") or query.get("kind")
        named = f"{kind}Response"
        if named in spec()["components"]["schemas"]:
            return {"$ref": f"#/components/schemas/{named}"}
    schema: dict[str, Any] = declared.get("schema", {})
    return schema


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
        error = validate(_coerce(raw, param.get("schema", {})), param.get("schema", {}), write=True)
        if error:
            problems.append(f"path parameter {name}={raw!r}: {error}")
    for name, raw in parse_qsl(url.query, keep_blank_values=True):
        param = params.get(("query", name))
        if param is None:
            problems.append(f"query parameter {name!r} is not declared for {method} {op.template}")
            continue
        schema = param.get("schema", {})
        error = validate(_coerce(raw, schema), schema, write=True)
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
            error = validate(body, declared.get("schema", {}), write=True)
            if error:
                problems.append(f"request body: {error}")
    elif declared is not None and op.body["requestBody"].get("required"):
        problems.append("request body is required")

    status = str(response["status"]["code"])
    schema = response_schema(op, status, body)
    data = decode(response.get("body"))
    if schema is not None and data is not None and not isinstance(data, str):
        # $refs resolve against the document root: every schema gets the components beside it.
        error = validate(data, schema, write=False)
        if error:
            problems.append(f"response {status}: {error}")
    return problems


def load_cassette(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text())
    return list(data.get("interactions") or [])
