"""Capture, cohort and person tools against an injected transport: routing, keys, retries, input.

No test here carries the vcr mark: VCR would intercept the MockTransport.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.api.retry import RetryPolicy
from tests.conftest import PERSONAL_KEY, PROJECT_ID, PROJECT_KEY

CAPTURE_TOOLS = ("posthog_capture_event", "posthog_capture_events")
EVENT = {"event": "signed_up", "distinct_id": "user-42"}
PERSON = {
    "id": 100234,
    "uuid": "01935c1e-9a1f-7d2e-8b3a-5c0f2e7d1a44",
    "name": "ada@example.com",
    "distinct_ids": ["user-42"],
    "properties": {"plan": "pro"},
    "created_at": "2025-06-01T08:00:00Z",
}
Handler = Callable[[httpx.Request], httpx.Response]


def body(request: httpx.Request) -> Any:
    raw = request.content
    if request.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw) if raw else None


class Server:
    """A fake PostHog: records every request and answers from a list, then with ``default``."""

    def __init__(self, *answers: httpx.Response, default: Handler | None = None) -> None:
        self.answers = list(answers)
        self.default = default or (lambda r: httpx.Response(200, json={"status": "Ok"}))
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else self.default(request)

    @property
    def bodies(self) -> list[Any]:
        return [body(r) for r in self.requests]


def make_toolkit(server: Server, **settings: Any) -> PostHogToolkit:
    transport = httpx.MockTransport(server)
    options: dict[str, Any] = {
        "personal_api_key": PERSONAL_KEY,
        "project_api_key": PROJECT_KEY,
        "project_id": PROJECT_ID,
        "max_retries": 0,
        "http_client": httpx.Client(transport=transport),
        "async_http_client": httpx.AsyncClient(transport=transport),
        **settings,
    }
    return PostHogToolkit(**{k: v for k, v in options.items() if v is not None})


def tool_call(toolkit: PostHogToolkit, name: str, args: dict[str, Any]) -> Any:
    tool = next(t for t in toolkit.get_tools() if t.name == name)
    return tool.invoke({"name": name, "args": args, "id": "call-1", "type": "tool_call"})


# -- (1) arguments cannot steer the key or the host ---------------------------------------


@pytest.mark.parametrize("extra", ["api_key", "host", "url", "token", "ingest_host", "uuid"])
def test_no_argument_can_carry_a_key_a_host_or_a_uuid(extra: str) -> None:
    server = Server()
    toolkit = make_toolkit(server)
    steer = {extra: "https://evil.example.com/phc_attacker"}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("posthog_capture_event", {**EVENT, **steer}),
        ("posthog_capture_events", {"events": [EVENT], **steer}),
        ("posthog_capture_events", {"events": [{**EVENT, **steer}]}),
    ]
    for name, args in calls:
        result = toolkit.execute(name, args)
        assert not result.successful
        assert "unknown argument" in (result.error or "")
        message = tool_call(toolkit, name, args)
        assert message.status == "error" and "unknown argument" in str(message.content)
    assert server.requests == []


@pytest.mark.parametrize("key", ["api_key", "token", "$token", "API_KEY", "project_api_key"])
def test_properties_cannot_carry_a_key(key: str) -> None:
    server = Server()
    toolkit = make_toolkit(server)
    properties = {key: "phc_attacker", "plan": "pro"}
    single = toolkit.execute("posthog_capture_event", {**EVENT, "properties": properties})
    batch = toolkit.execute(
        "posthog_capture_events", {"events": [{**EVENT, "properties": properties}]}
    )
    for result in (single, batch):
        assert not result.successful
        assert f"property {key!r} is not allowed" in (result.error or "")
    assert server.requests == []


@pytest.mark.parametrize(
    ("settings", "origin"),
    [
        ({}, "https://us.i.posthog.com"),
        ({"host": "eu"}, "https://eu.i.posthog.com"),
        (
            {"host": "https://ph.acme.dev", "ingest_host": "https://capture.acme.dev"},
            "https://capture.acme.dev",
        ),
    ],
)
def test_capture_always_goes_to_the_ingestion_host_with_the_toolkits_key(
    settings: dict[str, Any], origin: str
) -> None:
    server = Server()
    toolkit = make_toolkit(server, **settings)
    harmless = {
        "event": "https://evil.example.com/i/v0/e/",
        "distinct_id": "phc_attacker",
        "properties": {"$set": {"plan": "pro"}, "url": "https://evil.example.com"},
    }
    assert toolkit.execute("posthog_capture_event", harmless).successful
    assert toolkit.execute("posthog_capture_events", {"events": [harmless, EVENT]}).successful
    single, batch = server.requests
    assert str(single.url) == f"{origin}/i/v0/e/"
    assert str(batch.url) == f"{origin}/batch/"
    for request in server.requests:
        assert "Authorization" not in request.headers
        assert body(request)["api_key"] == PROJECT_KEY
    assert batch.headers["Content-Encoding"] == "gzip"
    sent = body(batch)
    assert sent["historical_migration"] is False
    assert [e["event"] for e in sent["batch"]] == [harmless["event"], "signed_up"]
    assert all("api_key" not in e for e in sent["batch"])  # one key, for the whole batch


# -- (2) a retried capture carries the same event uuid ------------------------------------


def _unavailable() -> httpx.Response:
    return httpx.Response(503, text="transient error, please retry")


def _retrying(server: Server) -> PostHogToolkit:
    toolkit = make_toolkit(server, max_retries=2)
    toolkit.client.retry = RetryPolicy(max_retries=2, backoff=0.001)
    return toolkit


def _uuids(payload: Any) -> list[str]:
    events = payload.get("batch", [payload])
    return [e["uuid"] for e in events]


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("posthog_capture_event", EVENT),
        ("posthog_capture_events", {"events": [EVENT, {**EVENT, "event": "invited_teammate"}]}),
    ],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_retried_capture_carries_the_same_uuid(
    name: str, args: dict[str, Any], mode: str
) -> None:
    server = Server(_unavailable())
    toolkit = _retrying(server)
    if mode == "sync":
        result = toolkit.execute(name, args)
    else:
        result = await toolkit.aexecute(name, args)
    assert result.successful, result.error
    first, second = server.bodies
    assert _uuids(first) == _uuids(second)
    assert len(set(_uuids(first))) == len(_uuids(first))  # one uuid per event
    assert first == second
    assert _uuids(result.data.get("event") or {"batch": result.data["batch"]}) == _uuids(first)


async def test_a_retried_unset_carries_the_same_uuid() -> None:
    server = Server(httpx.Response(200, json=PERSON), _unavailable())
    toolkit = _retrying(server)
    result = await toolkit.aexecute(
        "posthog_update_person_properties", {"id": 100234, "unset": ["trial_ends_at"]}
    )
    assert result.successful, result.error
    lookup, first, second = server.requests
    assert lookup.method == "GET"
    assert body(first)["uuid"] == body(second)["uuid"]
    assert body(first)["properties"] == {"$unset": ["trial_ends_at"]}


def test_each_tool_call_is_a_new_event_with_a_new_uuid() -> None:
    server = Server()
    toolkit = make_toolkit(server)
    toolkit.execute("posthog_capture_event", EVENT)
    toolkit.execute("posthog_capture_event", EVENT)
    assert server.bodies[0]["uuid"] != server.bodies[1]["uuid"]


def test_a_capture_that_keeps_failing_says_so() -> None:
    server = Server(_unavailable(), _unavailable(), _unavailable())
    toolkit = _retrying(server)
    result = toolkit.execute("posthog_capture_event", EVENT)
    assert not result.successful
    assert "503" in (result.error or "") and "3 attempts" in (result.error or "")
    assert len({b["uuid"] for b in server.bodies}) == 1


# -- (3) without a project key ------------------------------------------------------------


def test_without_a_project_key_capture_tools_are_absent_and_named_in_errors() -> None:
    server = Server(default=lambda r: httpx.Response(200, json={"results": [PERSON]}))
    toolkit = make_toolkit(server, project_api_key=None)
    names = {t.name for t in toolkit.get_tools()}
    assert not names & set(CAPTURE_TOOLS)
    assert "posthog_update_person_properties" in names  # setting needs only the personal key
    calls: list[tuple[str, dict[str, Any]]] = [
        ("posthog_capture_event", EVENT),
        ("POSTHOG_CAPTURE_EVENT", EVENT),
        ("posthog_capture_events", {"events": [EVENT]}),
    ]
    for name, args in calls:
        result = toolkit.execute(name, args)
        assert not result.successful
        assert "POSTHOG_PROJECT_API_KEY" in (result.error or "")
    assert server.requests == []


def test_without_a_project_key_unset_changes_nothing_and_names_the_setting() -> None:
    server = Server(default=lambda r: httpx.Response(200, json={"results": [PERSON]}))
    toolkit = make_toolkit(server, project_api_key=None)
    result = toolkit.execute(
        "posthog_update_person_properties",
        {"distinct_id": "user-42", "set": {"plan": "enterprise"}, "unset": ["trial_ends_at"]},
    )
    assert not result.successful
    assert "POSTHOG_PROJECT_API_KEY" in (result.error or "")
    assert "Nothing was changed" in (result.error or "")
    assert [r.method for r in server.requests] == ["GET"]


def test_set_alone_uses_the_person_api_without_a_project_key() -> None:
    server = Server(httpx.Response(200, json={"results": [PERSON]}), httpx.Response(202))
    toolkit = make_toolkit(server, project_api_key=None)
    result = toolkit.execute(
        "posthog_update_person_properties",
        {"distinct_id": "user-42", "set": {"plan": "enterprise"}},
    )
    assert result.successful, result.error
    lookup, patch = server.requests
    assert lookup.url.params["distinct_id"] == "user-42"
    assert patch.method == "PATCH"
    assert patch.url.path == f"/api/projects/{PROJECT_ID}/persons/{PERSON['uuid']}/"
    assert body(patch) == {"properties": {"plan": "enterprise"}}


# -- (4) the project key never reaches content or artifact --------------------------------


def _echo(request: httpx.Request) -> httpx.Response:
    """A server that repeats what it received, key included."""
    return httpx.Response(200, json={"status": "Ok", "received": body(request)})


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("posthog_capture_event", {**EVENT, "properties": {"$set": {"plan": "pro"}}}),
        ("posthog_capture_events", {"events": [EVENT, EVENT]}),
        ("posthog_update_person_properties", {"id": 100234, "unset": ["trial_ends_at"]}),
    ],
)
async def test_the_project_key_never_reaches_content_or_artifact(
    name: str, args: dict[str, Any]
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/"):
            return httpx.Response(200, json=PERSON)
        return _echo(request)

    server = Server(default=answer)
    toolkit = make_toolkit(server)
    results = [toolkit.execute(name, args), await toolkit.aexecute(name, args)]
    results.append(tool_call(toolkit, name, args))
    for result in results:
        content = result.content
        data = getattr(result, "data", None) or getattr(result, "artifact", None)
        assert data is not None
        text = str(content) + json.dumps(data, default=str)
        assert PROJECT_KEY not in text and PERSONAL_KEY not in text
    assert all(PROJECT_KEY in json.dumps(b) for b in server.bodies if b and "api_key" in b)


# -- argument checks (nothing is sent for input PostHog would refuse) ---------------------


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("2026-01-31", "2026-01-31T00:00:00Z"),
        ("2026-01-31T10:15:00Z", "2026-01-31T10:15:00Z"),
        ("2026-01-31T10:15:00+02:00", "2026-01-31T10:15:00+02:00"),
        ("2026-01-31 10:15", "2026-01-31T10:15:00Z"),
    ],
)
def test_timestamps_are_sent_as_iso_8601(value: str, sent: str) -> None:
    server = Server()
    assert (
        make_toolkit(server)
        .execute("posthog_capture_event", {**EVENT, "timestamp": value})
        .successful
    )
    assert server.bodies[0]["timestamp"] == sent


@pytest.mark.parametrize("value", ["-7d", "yesterday", "mStart", "2026-13-01"])
def test_relative_or_invalid_timestamps_are_refused(value: str) -> None:
    server = Server()
    result = make_toolkit(server).execute("posthog_capture_event", {**EVENT, "timestamp": value})
    assert not result.successful and "ISO 8601" in (result.error or "")
    assert server.requests == []


@pytest.mark.parametrize(
    ("name", "args", "problem"),
    [
        ("posthog_capture_event", {"event": "", "distinct_id": "u"}, "event"),
        ("posthog_capture_event", {"event": "x", "distinct_id": ""}, "distinct_id"),
        (
            "posthog_capture_event",
            {**EVENT, "properties": {"$set": "plan=pro"}},
            "'$set' must be an object",
        ),
        ("posthog_capture_events", {"events": []}, "events"),
        ("posthog_capture_events", {"events": [EVENT] * 101}, "at most 100"),
        ("posthog_create_cohort", {"name": "x"}, "give groups"),
        (
            "posthog_create_cohort",
            {"name": "x", "groups": [[{"property": "plan"}]]},
            "needs a value",
        ),
        (
            "posthog_create_cohort",
            {"name": "x", "groups": [[{"event": "e", "property": "p", "value": 1}]]},
            "exactly one",
        ),
        (
            "posthog_create_cohort",
            {"name": "x", "groups": [[{"event": "e", "negate": True}]]},
            "only negated",
        ),
        (
            "posthog_create_cohort",
            {"name": "x", "groups": [[{"event": "e", "days": 0}]]},
            "at least 1",
        ),
        (
            "posthog_create_cohort",
            {"name": "x", "groups": [[{"property": "p", "operator": "gt", "value": [1, 2]}]]},
            "a list needs exact",
        ),
        (
            "posthog_create_cohort",
            {"name": "x", "is_static": True, "groups": [[{"event": "e"}]]},
            "static cohort takes no groups",
        ),
        (
            "posthog_create_cohort",
            {"name": "x", "query": {"kind": "ActorsQuery"}},
            "is_static=true",
        ),
        (
            "posthog_create_cohort",
            {"name": "x", "is_static": True, "query": {"kind": "HogQLQuery"}},
            "ActorsQuery",
        ),
        ("posthog_create_cohort", {"name": " ", "is_static": True}, "name"),
        ("posthog_get_person", {}, "exactly one of id or distinct_id"),
        ("posthog_get_person", {"id": 1, "distinct_id": "u"}, "exactly one of id or distinct_id"),
        ("posthog_get_person", {"id": "user-42"}, "use distinct_id"),
        ("posthog_get_person", {"id": "../1"}, "not a person id"),
        ("posthog_update_person_properties", {"id": 1}, "give set, unset or both"),
        (
            "posthog_update_person_properties",
            {"id": 1, "set": {"a": 1}, "unset": ["a"]},
            "both set and unset",
        ),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(
    name: str, args: dict[str, Any], problem: str
) -> None:
    server = Server()
    result = make_toolkit(server).execute(name, args)
    assert not result.successful
    assert problem in (result.error or ""), result.error
    assert server.requests == []


def test_cohort_conditions_become_posthogs_filters() -> None:
    server = Server(default=lambda r: httpx.Response(201, json={"id": 5, "name": "x"}))
    groups = [
        [
            {"property": "plan", "value": "free", "negate": True},
            {"property": "email", "operator": "is_set"},
            {"event": "$pageview", "days": 7},
        ],
        [{"property": "age", "operator": "gt", "value": 30, "negate": True}],
    ]
    assert (
        make_toolkit(server)
        .execute("posthog_create_cohort", {"name": "x", "groups": groups})
        .successful
    )
    filters = server.bodies[0]["filters"]["properties"]
    assert filters["type"] == "OR"
    first, second = (g["values"] for g in filters["values"])
    assert first == [
        {"key": "plan", "type": "person", "operator": "is_not", "value": ["free"]},
        {"key": "email", "type": "person", "operator": "is_set", "value": "is_set"},
        {
            "key": "$pageview",
            "type": "behavioral",
            "value": "performed_event",
            "event_type": "events",
            "time_value": "7",
            "time_interval": "day",
            "negation": False,
        },
    ]
    assert second == [{"key": "age", "type": "person", "operator": "lte", "value": 30}]


def test_a_static_cohort_from_a_query_is_sent_as_given() -> None:
    server = Server(
        default=lambda r: httpx.Response(201, json={"id": 6, "name": "x", "is_static": True})
    )
    query = {"kind": "ActorsQuery", "select": ["id"], "search": "acme.com"}
    result = make_toolkit(server).execute(
        "posthog_create_cohort", {"name": "x", "is_static": True, "query": query}
    )
    assert result.successful and "static cohort" in (result.content or "")
    assert server.bodies[0] == {"name": "x", "is_static": True, "query": query}


def test_a_long_person_is_cut_with_a_note() -> None:
    person = {
        **PERSON,
        "distinct_ids": [f"device-{i}" for i in range(25)],
        "properties": {f"prop_{i}": "x" * 300 for i in range(60)},
    }
    server = Server(default=lambda r: httpx.Response(200, json={"results": [person]}))
    result = make_toolkit(server).execute("posthog_get_person", {"distinct_id": "device-3"})
    content = result.content or ""
    assert "(+15 more)" in content
    assert "20 more not shown; all properties are in the artifact" in content
    assert "x" * 118 not in content and "x" * 117 + "..." in content
    assert content.endswith("/person/device-3")
    assert len(result.data["properties"]) == 60
