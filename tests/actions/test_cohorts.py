"""Cohorts: conditions become PostHog's filters; a static cohort's query is sent as given."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.actions import Server, make_toolkit
from tests.scenarios import Scenario, example, params, play

SCENARIOS = [
    Scenario(
        "posthog_list_cohorts",
        "posthog_list_cohorts.yaml",
        {"limit": 50},
        expect=(
            "Cohorts 1-3 of 3.",
            '"Pro users at risk" (id 31): dynamic, calculating',
            '"Power users" (id 27): dynamic, 1,204 persons',
            '"Beta testers" (id 12): static, 48 persons',
        ),
        forbid=("null", "created_by", "example.com"),
        artifact_keys=("results", "count"),
    ),
    Scenario(
        "posthog_list_cohorts",
        "posthog_list_cohorts.forbidden.yaml",
        {"limit": 50},
        ok=False,
        expect=("403", "cohort:read"),
    ),
    Scenario(
        "posthog_create_cohort",
        "posthog_create_cohort.yaml",
        example("posthog_create_cohort"),
        expect=(
            'Created dynamic cohort "Pro users at risk" (id 31)',
            '"plan" exact ["pro"] and did not perform "checkout completed" in the last 30 days',
            "asynchronously",
            "https://us.posthog.com/project/2/cohorts/31",
        ),
        artifact_keys=("id", "filters", "is_calculating"),
    ),
    Scenario(
        "posthog_create_cohort",
        "posthog_create_cohort.catalogue.yaml",
        {
            "name": "Pro users at risk",
            "description": "Pro plan, no checkout in 30 days",
            "filters": json.dumps(
                {
                    "properties": {
                        "type": "OR",
                        "values": [
                            {
                                "type": "AND",
                                "values": [
                                    {
                                        "key": "plan",
                                        "type": "person",
                                        "operator": "exact",
                                        "value": ["pro"],
                                    },
                                    {
                                        "key": "checkout completed",
                                        "type": "behavioral",
                                        "value": "performed_event",
                                        "event_type": "events",
                                        "time_value": "30",
                                        "time_interval": "day",
                                        "negation": True,
                                    },
                                ],
                            }
                        ],
                    }
                }
            ),
        },
        expect=('Created dynamic cohort "Pro users at risk" (id 31)',),
        artifact_keys=("id", "filters"),
    ),
    Scenario(
        "posthog_create_cohort",
        "posthog_create_cohort.invalid_query.yaml",
        {
            "name": "Beta testers",
            "is_static": True,
            "query": {"kind": "ActorsQuery", "select": "person_id"},
        },
        ok=False,
        expect=("400", "field 'query'", "Input should be a valid list"),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


EVENT = {"event": "signed_up", "distinct_id": "user-42"}


@pytest.mark.parametrize(
    ("name", "args", "problem"),
    [
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


def _top(kind: str, *groups: dict[str, Any]) -> dict[str, Any]:
    return {"properties": {"type": kind, "values": list(groups)}}


PLAN = {"key": "plan", "type": "person", "operator": "exact", "value": ["pro"]}
EMAIL = {"key": "email", "type": "person", "operator": "is_set", "value": "is_set"}


def test_an_and_of_and_groups_is_one_group_and_an_and_of_or_groups_is_refused() -> None:
    server = Server(default=lambda r: httpx.Response(201, json={"id": 5, "name": "x"}))
    kit = make_toolkit(server)
    both = _top("AND", {"type": "AND", "values": [PLAN]}, {"type": "AND", "values": [EMAIL]})
    result = kit.execute("POSTHOG_CREATE_PROJECT_COHORT", {"name": "x", "filters": both})
    assert result.successful, result.error
    (group,) = server.bodies[0]["filters"]["properties"]["values"]
    assert group["values"] == [PLAN, EMAIL]
    either = _top("AND", {"type": "OR", "values": [PLAN, EMAIL]})
    result = kit.execute("POSTHOG_CREATE_PROJECT_COHORT", {"name": "x", "filters": either})
    assert "an AND of OR groups cannot be given here" in (result.error or ""), result.error
    assert len(server.requests) == 1
