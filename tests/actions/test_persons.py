"""Persons: found by distinct id, changed through the person API or a $set event."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.api.retry import RetryPolicy
from tests.actions import Server, body, make_toolkit
from tests.conftest import PROJECT_ID
from tests.scenarios import Scenario, params, play

PERSON_UUID = "01935c1e-9a1f-7d2e-8b3a-5c0f2e7d1a44"

SCENARIOS = [
    Scenario(
        "posthog_get_person",
        "posthog_get_person.yaml",
        {"distinct_id": "user-42"},
        expect=(
            f'Person "ada@example.com" (id 100234, uuid {PERSON_UUID})',
            'Distinct ids: "user-42", ',
            "Created 2025-06-01T08:00:00Z; last seen 2026-11-19T17:42:00Z",
            '"plan": "pro"',
            '"$geoip_country_name": "United Kingdom"',
            "more $-properties set by PostHog",
            "https://us.posthog.com/project/2/person/user-42",
        ),
        forbid=("$creator_event_uuid", "$initial_os"),
        artifact_keys=("id", "uuid", "distinct_ids", "properties"),
    ),
    Scenario(
        "posthog_get_person",
        "posthog_get_person.by_id.yaml",
        {"id": PERSON_UUID},
        expect=(
            'Person "ada@example.com" (id 100234',
            '"email": "user@example.com"',
            "/person/user-42",
        ),
        artifact_keys=("id", "uuid"),
    ),
    Scenario(
        "posthog_get_person",
        "posthog_get_person.unknown_distinct_id.yaml",
        {"distinct_id": "User-42"},
        ok=False,
        expect=("No person in project 2 has distinct id 'User-42'", "case-sensitive"),
    ),
    Scenario(
        "posthog_get_person",
        "posthog_get_person.not_found.yaml",
        {"id": 99999},
        ok=False,
        expect=("404", "project 2", "distinct_id"),
    ),
    Scenario(
        "posthog_update_person_properties",
        "posthog_update_person_properties.yaml",
        {"distinct_id": "user-42", "set": {"plan": "enterprise"}},
        expect=(
            'PostHog accepted the change to person "ada@example.com": set "plan"="enterprise"',
            "asynchronously",
            "may still show the old values",
        ),
        artifact_keys=("person", "set"),
    ),
    Scenario(
        "posthog_update_person_properties",
        "posthog_update_person_properties.legacy.yaml",
        {"id": "100234", "set": {"plan": "enterprise", "seats": 25}},
        expect=('person "ada@example.com": set "plan"="enterprise", "seats"=25', "asynchronously"),
        artifact_keys=("person", "set"),
    ),
    Scenario(
        "posthog_update_person_properties",
        "posthog_update_person_properties.catalogue.yaml",
        {"id": "100234", "properties": '{"plan": "enterprise", "seats": 25}'},
        expect=('person "ada@example.com": set "plan"="enterprise", "seats"=25',),
        artifact_keys=("person", "set"),
    ),
    Scenario(
        "posthog_update_person_properties",
        "posthog_update_person_properties.unset.yaml",
        {"id": 100234, "set": {"plan": "enterprise"}, "unset": ["trial_ends_at"]},
        expect=('set "plan"="enterprise"; unset "trial_ends_at"', "asynchronously"),
        forbid=("[redacted]",),
        artifact_keys=("person", "event", "response"),
    ),
    Scenario(
        "posthog_update_person_properties",
        "posthog_update_person_properties.not_found.yaml",
        {"id": 99999, "set": {"plan": "enterprise"}},
        ok=False,
        expect=("404", "project 2", "distinct_id"),
    ),
    Scenario(
        "posthog_update_person_properties",
        "posthog_update_person_properties.forbidden.yaml",
        {"distinct_id": "user-42", "set": {"plan": "enterprise"}},
        ok=False,
        expect=("403", "person:write"),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


EVENT = {"event": "signed_up", "distinct_id": "user-42"}

PERSON = {
    "id": 100234,
    "uuid": "01935c1e-9a1f-7d2e-8b3a-5c0f2e7d1a44",
    "name": "ada@example.com",
    "distinct_ids": ["user-42"],
    "properties": {"plan": "pro"},
    "created_at": "2025-06-01T08:00:00Z",
}


def _unavailable() -> httpx.Response:
    return httpx.Response(503, text="transient error, please retry")


def _retrying(server: Server) -> PostHogToolkit:
    toolkit = make_toolkit(server, max_retries=2)
    toolkit.client.retry = RetryPolicy(max_retries=2, backoff=0.001)
    return toolkit


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


def test_a_credential_set_on_a_person_is_sent_but_not_repeated() -> None:
    server = Server(httpx.Response(200, json={"results": [PERSON]}), httpx.Response(202))
    result = make_toolkit(server, project_api_key=None).execute(
        "posthog_update_person_properties",
        {"distinct_id": "user-42", "set": {"password": "hunter2", "plan": "pro"}},
    )
    assert result.successful, result.error
    assert body(server.requests[-1]) == {"properties": {"password": "hunter2", "plan": "pro"}}
    assert "hunter2" not in (result.content or "") and "hunter2" not in json.dumps(result.data)
    assert '"password"="[redacted]", "plan"="pro"' in (result.content or "")


@pytest.mark.parametrize(
    ("name", "args", "problem"),
    [
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
    # Each value is cut inside its quotes, saying how much is left out.
    assert "x" * 121 not in content and '"' + "x" * 120 + '"(+180 chars)' in content
    assert content.splitlines()[-2].endswith("/person/device-3")
    assert len(result.data["properties"]) == 60
