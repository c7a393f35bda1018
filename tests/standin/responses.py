"""PostHog's success answers, taken from the hand-written cassettes and keyed by method and path.

A cassette answers one concrete URL (``/api/projects/2/feature_flags/1234/``); the stand-in must
answer any project and any id, so each path becomes a pattern whose id segments match anything,
and the answer's ``id`` is set to the id that was asked for.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
INGEST_PATHS = frozenset({"/i/v0/e/", "/batch/"})

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

NOT_FOUND = {"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None}


@dataclass(frozen=True)
class Answer:
    """A success a cassette recorded: the status and the body, parsed when it is JSON."""

    status: int
    body: Any
    content_type: str
    source: str


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    variables: int
    answer: Answer
    kind: str | None  # the query kind of a POST .../query/ (one path, many kinds of answer)


def answer_of(response: dict[str, Any]) -> tuple[str, Any]:
    """A recorded response's content type and body: JSON decoded, other text as it is."""
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    kind = (headers.get("content-type") or ["application/json"])[0]
    raw = (response.get("body") or {}).get("string") or ""
    try:
        return kind, json.loads(raw) if raw.strip() else None
    except ValueError:
        return kind, raw


def _is_variable(segment: str) -> bool:
    # Ids, uuids, session ids and '@current'/'@me' hold a digit or start with '@'; the names of
    # PostHog's collections (feature_flags, summarize_responses) never do.
    return segment.startswith("@") or any(c.isdigit() for c in segment)


def _pattern(path: str) -> tuple[re.Pattern[str], int]:
    parts = path.strip("/").split("/")
    variables = sum(_is_variable(p) for p in parts)
    regex = "/".join("[^/]+" if _is_variable(p) else re.escape(p) for p in parts)
    return re.compile(f"^/{regex}/$"), variables


@cache
def routes() -> tuple[_Route, ...]:
    """Every success in ``cassettes/``; a tool's own cassette wins over its scenario variants."""
    found: list[tuple[int, _Route]] = []
    for path in sorted(CASSETTES.glob("*.yaml")):
        scenario = path.name.count(".") > 1
        data = yaml.load(path.read_text(), Loader=_LOADER) or {}
        for interaction in data.get("interactions") or []:
            request, response = interaction["request"], interaction["response"]
            status = int(response["status"]["code"])
            url_path = urlsplit(request["uri"]).path
            if status >= 300 or url_path in INGEST_PATHS:
                continue
            kind, body = answer_of(response)
            pattern, variables = _pattern(url_path)
            answer = Answer(status, body, kind, path.name)
            method = request["method"].upper()
            route = _Route(method, pattern, variables, answer, _query_kind(request.get("body")))
            found.append((int(scenario), route))
    found.sort(key=lambda item: (item[0], item[1].variables))
    return tuple(route for _, route in found)


def answer(method: str, path: str, body: Any = None) -> Answer | None:
    """PostHog's success answer to ``method path``, with the asked-for id filled in.

    For the query API, an answer recorded for the same query kind is preferred.
    """
    if path in INGEST_PATHS and method == "POST":
        return Answer(200, {"status": "Ok"}, "application/json", "capture")
    matching = [r for r in routes() if r.method == method and r.pattern.match(path)]
    if not matching:
        return None
    kind = _query_kind(body)
    chosen = next((r for r in matching if kind and r.kind == kind), matching[0])
    return _with_id(chosen.answer, path)


def _query_kind(body: Any) -> str | None:
    if isinstance(body, str | bytes):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    query = body.get("query") if isinstance(body, dict) else None
    return query.get("kind") if isinstance(query, dict) else None


def _with_id(found: Answer, path: str) -> Answer:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    body = copy.deepcopy(found.body)
    if isinstance(body, dict) and "id" in body and _is_variable(last) and not last.startswith("@"):
        if isinstance(body["id"], int) and last.isdigit():
            body["id"] = int(last)
        elif isinstance(body["id"], str):
            body["id"] = last
    return Answer(found.status, body, found.content_type, found.source)
