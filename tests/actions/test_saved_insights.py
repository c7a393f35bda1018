"""Saved insights: finding them, changing one, arguments refused before sending, and scenarios."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.actions import Server, body, make_toolkit, refusal
from tests.scenarios import Scenario, example, params, play

MONTHLY = {
    "kind": "TrendsQuery",
    "series": [{"event": "user signed up", "math": "dau"}],
    "interval": "month",
    "date_from": "-180d",
}

SCENARIOS = [
    Scenario(
        "posthog_list_insights",
        "posthog_list_insights.yaml",
        example("posthog_list_insights"),
        expect=(
            "Saved insights 1-3 of 3.",
            '- "Signups by plan" (short_id Hq4Lm2Vx, id 5511): HogQLQuery, on dashboards 12, 14, '
            "modified 2026-11-19",
            '- "Weekly signups" (short_id aB3dE9fQ, id 5501): TrendsQuery, on dashboards 12, '
            "modified 2026-11-02",
            # No name: PostHog's derived name, and no dashboards to name.
            '- "Pageview to user signed up conversion" (short_id Zx81Qw0p, id 5502): FunnelsQuery, '
            "modified 2026-10-28\n",
            "Open one: https://us.posthog.com/project/2/insights/<short_id>",
        ),
        forbid=("null", "ada@example.com", "SELECT"),
        artifact_keys=("results", "count"),
    ),
    Scenario(
        "posthog_list_insights",
        "posthog_list_insights.forbidden.yaml",
        example("posthog_list_insights"),
        ok=False,
        expect=("403", "insight:read"),
    ),
    Scenario(
        "posthog_list_insights",
        "posthog_list_insights.short_id.yaml",
        {"short_id": "aB3dE9fQ"},
        expect=(
            '"Weekly signups" (short_id aB3dE9fQ, id 5501): TrendsQuery, on dashboards 12',
            'Query: trends of "user signed up" (dau), by week, from -90d',
            # Text a user wrote stays in its quotes, on its line.
            'Description: "Signups \\"this week\\"\\nsee the growth doc"',
            'Tags: "growth", "weekly"',
            "Open: https://us.posthog.com/project/2/insights/aB3dE9fQ",
        ),
        forbid=("Saved insights",),
        artifact_keys=("results",),
    ),
    Scenario(
        "posthog_list_insights",
        "posthog_list_insights.not_found.yaml",
        {"short_id": "nope1234"},
        ok=False,
        expect=("404", "no insight has short_id 'nope1234'", "/insights/<short_id>"),
    ),
    Scenario(
        "posthog_list_insights",
        "posthog_list_insights.no_match.yaml",
        {"search": "weekly churn by plan"},
        expect=(
            'No saved insight matches "weekly churn by plan" in its name, description or tags',
            "try one word of it, or list without search",
        ),
        forbid=("0-0",),
        artifact_keys=("results",),
    ),
    Scenario(
        "posthog_update_insight",
        "posthog_update_insight.yaml",
        example("posthog_update_insight"),
        expect=(
            'Updated insight "Weekly signups (DAU)" (short_id aB3dE9fQ, id 5501): trends of "user '
            'signed up" (dau), by week',
            "Now on dashboards 12, 14 (added 14).",
            "Open: https://us.posthog.com/project/2/insights/aB3dE9fQ",
        ),
        forbid=("null", "ada@example.com", "Tags"),
        artifact_keys=("insight", "dashboards_before"),
    ),
    Scenario(
        "posthog_update_insight",
        "posthog_update_insight.query.yaml",
        {
            "id": 5501,
            "query": MONTHLY,
            "tags": ["growth", "monthly"],
            "remove_from_dashboards": [12, 9],
        },
        expect=(
            'trends of "user signed up" (dau), by month, from -180d',
            "Now on no dashboard (removed 12). It was not on 9.",
            'Tags: "growth", "monthly"',
        ),
        artifact_keys=("insight", "dashboards_before"),
    ),
    Scenario(
        "posthog_update_insight",
        "posthog_update_insight.forbidden.yaml",
        {"id": 5501, "name": "Weekly signups (DAU)"},
        ok=False,
        expect=("403", "insight:write"),
    ),
    Scenario(
        "posthog_update_insight",
        "posthog_update_insight.not_found.yaml",
        {"id": 99999, "add_to_dashboards": [14]},
        ok=False,
        expect=("404", "project 2", "posthog_list_insights", "not the short_id"),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        ("posthog_update_insight", {"id": 5501}, "nothing to change: give name, description"),
        ("posthog_update_insight", {"id": 5501, "add_to_dashboards": []}, "at least 1 item"),
        (
            "posthog_update_insight",
            {"id": 5501, "add_to_dashboards": [12, 14], "remove_from_dashboards": [14]},
            "dashboards [14] are both added and removed",
        ),
        (
            "posthog_update_insight",
            {"id": 5501, "query": {"kind": "HogQLQuery", "query": "SELECT 1"}},
            "posthog_run_hogql_query",
        ),
        (
            "posthog_update_insight",
            {"id": 5501, "query": {"kind": "LifecycleQuery", "series": []}},
            "LifecycleQuery takes 1 series, not 0",
        ),
        ("posthog_update_insight", {"id": "aB3dE9fQ", "name": "n"}, "id"),
        ("posthog_list_insights", {"short_id": "a b"}, "short_id is letters and digits"),
        ("posthog_list_insights", {"limit": 500}, "limit"),
    ],
)
def test_bad_arguments_are_refused_before_sending(
    tool: str, args: dict[str, Any], expected: str
) -> None:
    error = refusal(tool, args)
    assert expected in error, error


def _insight(dashboards: list[int]) -> dict[str, Any]:
    return {"id": 5501, "short_id": "aB3dE9fQ", "name": "Weekly signups", "dashboards": dashboards}


def _echo_patch(request: httpx.Request) -> httpx.Response:
    """PostHog's answer to a PATCH: the insight as changed (the dashboards sent)."""
    return httpx.Response(200, json={**_insight([]), **body(request)})


@pytest.mark.parametrize(
    ("current", "add", "remove", "sent"),
    [
        # Added at the end, the others kept in PostHog's order; one already there is not doubled.
        ([14, 12], [3, 12, 3], None, [14, 12, 3]),
        ([12, 14], None, [12], [14]),
        ([12], [20], [12, 99], [20]),
        ([], None, [12], []),
    ],
)
def test_dashboards_are_sent_whole_after_reading_them(
    current: list[int], add: list[int] | None, remove: list[int] | None, sent: list[int]
) -> None:
    server = Server(httpx.Response(200, json=_insight(current)), default=_echo_patch)
    args: dict[str, Any] = {"id": 5501, "add_to_dashboards": add, "remove_from_dashboards": remove}
    result = make_toolkit(server).execute("posthog_update_insight", args)
    assert result.successful, result.error
    get, patch = server.requests
    assert (get.method, get.url.path) == ("GET", "/api/projects/2/insights/5501/")
    assert (patch.method, patch.url.path) == ("PATCH", "/api/projects/2/insights/5501/")
    assert server.body() == {"dashboards": sent}
    said = f"Now on dashboards {', '.join(map(str, sent))}" if sent else "Now on no dashboard"
    assert said in (result.content or "")


def test_a_change_without_dashboards_is_one_patch_of_what_was_given() -> None:
    server = Server(default=_echo_patch)
    args = {"id": 5501, "name": "Signups", "description": "", "tags": [], "query": MONTHLY}
    result = make_toolkit(server).execute("posthog_update_insight", args)
    assert result.successful, result.error
    (patch,) = server.requests
    assert patch.method == "PATCH"
    sent = server.body()
    # An empty description and empty tags are changes (they clear); the query is a chart node.
    assert sent["name"] == "Signups" and sent["description"] == "" and sent["tags"] == []
    assert sent["query"]["kind"] == "InsightVizNode"
    assert sent["query"]["source"]["interval"] == "month"
    assert "dashboards" not in sent
    assert result.content is not None and "Tags: none" in result.content


def test_list_asks_for_saved_insights_in_a_stable_order_without_results() -> None:
    server = Server(default=lambda r: httpx.Response(200, json={"count": 0, "results": []}))
    toolkit = make_toolkit(server)
    toolkit.execute("posthog_list_insights", {"search": "signups", "limit": 5, "offset": 10})
    toolkit.execute("posthog_list_insights", {"short_id": "aB3dE9fQ"})
    listed, by_short_id = (dict(r.url.params) for r in server.requests)
    assert listed == {
        "search": "signups",
        "saved": "true",
        "basic": "true",
        "order": "-last_modified_at",
        "limit": "5",
        "offset": "10",
    }
    # A short_id names one insight, saved or not.
    assert "saved" not in by_short_id and by_short_id["short_id"] == "aB3dE9fQ"


def test_a_long_page_is_cut_with_the_offset_of_the_rest() -> None:
    page = [{"id": i, "short_id": f"s{i}", "name": f"n{i}", "query": None} for i in range(60)]
    answer = {"count": 130, "next": "more", "results": page}
    server = Server(default=lambda r: httpx.Response(200, json=answer))
    result = make_toolkit(server).execute("posthog_list_insights", {"limit": 60, "offset": 20})
    content = result.content or ""
    assert "Saved insights 21-80 of 130. More exist: call again with offset=80." in content
    assert '"n49" (short_id s49, id 49): no query' in content
    assert '"n50"' not in content
    assert "... 10 more not shown; call again with offset=70." in content


def test_a_dashboard_posthog_did_not_add_is_named() -> None:
    # PostHog leaves out a deleted dashboard without an error; its answer is what holds.
    server = Server(
        httpx.Response(200, json=_insight([12])),
        httpx.Response(200, json=_insight([12])),
    )
    args = {"id": 5501, "add_to_dashboards": [30]}
    result = make_toolkit(server).execute("posthog_update_insight", args)
    assert server.body() == {"dashboards": [12, 30]}
    content = result.content or ""
    assert "Now on dashboards 12." in content
    assert "PostHog did not add it to 30: check those dashboards exist" in content
