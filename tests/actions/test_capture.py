"""Event capture: the ingestion host and the project key, never an argument; one uuid an event."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.api.retry import RetryPolicy
from tests.actions import Server, body, make_toolkit, tool_call
from tests.conftest import PERSONAL_KEY, PROJECT_KEY
from tests.scenarios import Scenario, example, params, play

SCENARIOS = [
    Scenario(
        "posthog_capture_event",
        "posthog_capture_event.yaml",
        example("posthog_capture_event"),
        expect=('Captured "report_exported" for "user-42" (uuid ', "accepted", "few seconds"),
        forbid=("[redacted]", "api_key"),
        artifact_keys=("event", "response"),
    ),
    Scenario(
        "posthog_capture_event",
        "posthog_capture_event.invalid_key.yaml",
        example("posthog_capture_event"),
        ok=False,
        expect=("401", "project API key", "not_ascii", "POSTHOG_PROJECT_API_KEY"),
        forbid=("POSTHOG_PERSONAL_API_KEY",),
    ),
    Scenario(
        "posthog_capture_event",
        "posthog_capture_event.unavailable.yaml",
        {"event": "signed_up", "distinct_id": "user-42", "timestamp": "2026-01-31T10:15:00+00:00"},
        ok=False,
        expect=("503", "transient error, please retry", "try again"),
    ),
    Scenario(
        "posthog_capture_events",
        "posthog_capture_events.yaml",
        {
            "events": [
                {"event": "signed_up", "distinct_id": "user-42"},
                {
                    "event": "invited_teammate",
                    "distinct_id": "user-42",
                    "properties": {"invitee": "user-43"},
                },
                {
                    "event": "signed_up",
                    "distinct_id": "user-43",
                    "timestamp": "2026-01-31T10:16:00Z",
                },
            ]
        },
        expect=(
            "Captured 3 event(s) for 2 distinct id(s)",
            '"signed_up" x2',
            '"invited_teammate" x1',
        ),
        forbid=("[redacted]",),
        artifact_keys=("batch", "response"),
    ),
    Scenario(
        "posthog_capture_events",
        "posthog_capture_events.too_large.yaml",
        {
            "events": [
                {
                    "event": "page_snapshot",
                    "distinct_id": "user-42",
                    "properties": {"html": "<main>...</main>"},
                }
            ]
        },
        ok=False,
        expect=("413", "maximum event size exceeded", "split the batch"),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


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
        assert not result.successful and result.error is not None
        # The catalogue's capture took a key and a host: one other than the toolkit's is
        # explained, never followed and never repeated.
        assert "unknown argument" in result.error or "are settings, not arguments" in result.error
        assert "phc_attacker" not in result.error
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


def _unavailable() -> httpx.Response:
    return httpx.Response(503, text="transient error, please retry")


def _retrying(server: Server) -> PostHogToolkit:
    toolkit = make_toolkit(server, max_retries=2)
    toolkit.client.retry = RetryPolicy(max_retries=2, backoff=0.001)
    return toolkit


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
