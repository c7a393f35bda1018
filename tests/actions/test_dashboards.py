"""Dashboards: the recorded scenarios, and changes refused or sent as PostHog takes them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.actions import Server, body, make_toolkit, refusal
from tests.scenarios import Scenario, example, params, play

CHROME = {"type": "event", "key": "$browser", "operator": "exact", "value": "Chrome"}
PRO = {"type": "person", "key": "plan", "value": "pro"}

SCENARIOS = [
    Scenario(
        "posthog_create_dashboard",
        "posthog_create_dashboard.yaml",
        example("posthog_create_dashboard"),
        expect=(
            'Created dashboard "Growth" (id 12)',
            "https://us.posthog.com/project/2/dashboard/12",
            "dashboards [12]",
        ),
        forbid=("null", "created_by"),
        artifact_keys=("id", "name", "tiles"),
    ),
    Scenario(
        "posthog_create_dashboard",
        "posthog_create_dashboard.forbidden.yaml",
        example("posthog_create_dashboard"),
        ok=False,
        expect=("403", "dashboard:write"),
    ),
    Scenario(
        "posthog_get_dashboard",
        "posthog_get_dashboard.yaml",
        {"id": 12},
        expect=(
            'Dashboard "Growth" (id 12), pinned',
            "Weekly growth numbers",
            'Tags: "growth", "weekly"',
            "Tiles (4):",
            '"Weekly signups" (TrendsQuery, insight 345)',
            '"Pageview to signup conversion" (FunnelsQuery, insight 346)',
            '"Top referrers" (HogQLQuery, insight 347)',
            'text: "Numbers refresh every Monday morning.',
            "/project/2/dashboard/12",
        ),
        # The deleted tile, the cached results and PostHog's layout payload stay in the artifact.
        forbid=("Old retention", "layouts", "1804", "null"),
        artifact_keys=("id", "tiles"),
    ),
    Scenario(
        "posthog_get_dashboard",
        "posthog_get_dashboard.not_found.yaml",
        {"id": 99999},
        ok=False,
        expect=("404", "project 2", "/dashboard/"),
    ),
    Scenario(
        "posthog_update_dashboard",
        "posthog_update_dashboard.yaml",
        example("posthog_update_dashboard"),
        expect=(
            'Updated dashboard "Growth" (id 12), pinned',
            'Filters on every tile: from -30d where "$browser" exact "Chrome"',
            'They were: where "$browser" exact "Chrome"',
            "https://us.posthog.com/project/2/dashboard/12",
        ),
        forbid=("null", "Weekly signups", "ada@example.com"),
        artifact_keys=("dashboard", "filters_before"),
    ),
    Scenario(
        "posthog_update_dashboard",
        "posthog_update_dashboard.clear.yaml",
        {
            "id": 12,
            "name": "Growth (weekly)",
            "description": 'Numbers for the "Monday" review',
            "tags": [],
            "filters": {"properties": []},
        },
        expect=(
            'Updated dashboard "Growth (weekly)" (id 12)\n',
            'Description: "Numbers for the \\"Monday\\" review"',
            "Tags: none",
            "Filters on every tile: none",
        ),
        artifact_keys=("dashboard", "filters_before"),
    ),
    Scenario(
        "posthog_update_dashboard",
        "posthog_update_dashboard.forbidden.yaml",
        {"id": 12, "name": "Growth (weekly)", "tags": ["growth"]},
        ok=False,
        expect=("403", "dashboard:write"),
    ),
    Scenario(
        "posthog_update_dashboard",
        "posthog_update_dashboard.not_found.yaml",
        {"id": 99999, "pinned": False},
        ok=False,
        expect=("404", "project 2", "/dashboard/"),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"id": 12}, "nothing to change: give name, description, tags, pinned or filters"),
        ({"id": 12, "filters": {}}, "filters need date_from, date_to or properties"),
        ({"id": 12, "filters": {"date_from": "last month"}}, "-7d"),
        (
            {"id": 12, "filters": {"date_from": "2026-02-01", "date_to": "2026-01-01"}},
            "date_from '2026-02-01' is after date_to '2026-01-01'",
        ),
        ({"id": 12, "filters": {"properties": [{"key": "$browser"}]}}, "needs a value"),
        ({"id": 12, "filters": {"interval": "week"}}, "interval"),
    ],
)
def test_bad_updates_are_refused_before_sending(args: dict[str, Any], expected: str) -> None:
    error = refusal("posthog_update_dashboard", args)
    assert expected in error, error


def _dashboard(filters: dict[str, Any]) -> dict[str, Any]:
    return {"id": 12, "name": "Growth", "filters": filters, "tiles": []}


def _echo_patch(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={**_dashboard({}), **body(request)})


@pytest.mark.parametrize(
    ("current", "given", "sent"),
    [
        # PostHog replaces the filters whole: the keys not given are sent as they were.
        (
            {"date_from": "-7d", "properties": [CHROME]},
            {"date_from": "-30d", "date_to": "-1d"},
            {"date_from": "-30d", "date_to": "-1d", "properties": [CHROME]},
        ),
        (
            {"date_from": "-7d", "properties": [CHROME]},
            {"properties": []},
            {"date_from": "-7d", "properties": []},
        ),
        (
            {},
            {"properties": [PRO]},
            {
                "properties": [
                    {"type": "person", "key": "plan", "operator": "exact", "value": "pro"}
                ]
            },
        ),
    ],
)
def test_filters_are_read_then_sent_whole(
    current: dict[str, Any], given: dict[str, Any], sent: dict[str, Any]
) -> None:
    server = Server(httpx.Response(200, json=_dashboard(current)), default=_echo_patch)
    result = make_toolkit(server).execute("posthog_update_dashboard", {"id": 12, "filters": given})
    assert result.successful, result.error
    assert [(r.method, r.url.path) for r in server.requests] == [
        ("GET", "/api/projects/2/dashboards/12/"),
        ("PATCH", "/api/projects/2/dashboards/12/"),
    ]
    assert server.body() == {"filters": sent}


def test_a_change_without_filters_is_one_patch() -> None:
    server = Server(default=_echo_patch)
    args = {"id": 12, "name": "Growth", "pinned": False, "description": ""}
    result = make_toolkit(server).execute("posthog_update_dashboard", args)
    assert result.successful, result.error
    assert [r.method for r in server.requests] == ["PATCH"]
    assert server.body() == {"name": "Growth", "pinned": False, "description": ""}
    assert "not pinned" in (result.content or "")


def test_one_end_given_that_would_precede_the_kept_other_end_is_refused_before_the_patch() -> None:
    server = Server(httpx.Response(200, json=_dashboard({"date_from": "-7d"})))
    args = {"id": 12, "filters": {"date_to": "-30d"}}
    result = make_toolkit(server).execute("posthog_update_dashboard", args)
    assert not result.successful
    assert [r.method for r in server.requests] == ["GET"]  # read, never changed
    assert "date_from '-7d' is after date_to '-30d'" in (result.error or "")
    assert "give date_from and date_to together" in (result.error or "")
    assert "Nothing was changed." in (result.error or "")
