"""Funnels, trends and HogQL: arguments refused before sending, a LIMIT added when missing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from langchain_posthog.actions.query import with_limit
from langchain_posthog.actions.trends import change
from tests.actions import Server, answering, body, make_toolkit, refusal
from tests.conftest import PROJECT_ID
from tests.scenarios import Scenario, example, params, play

TOP_EVENTS = (
    "SELECT event, count() AS c FROM events WHERE timestamp > now() - INTERVAL 7 DAY "
    "GROUP BY event ORDER BY c DESC LIMIT 10"
)
BROWSERS = (
    "SELECT properties.$browser AS browser, count() AS c FROM events WHERE event = '$pageview' "
    "AND timestamp > now() - INTERVAL 30 DAY GROUP BY browser ORDER BY c DESC"
)

SCENARIOS = [
    Scenario(
        "posthog_run_funnel",
        "posthog_run_funnel.yaml",
        example("posthog_run_funnel"),
        expect=(
            "Funnel 2026-10-21 to 2026-11-20, conversion window 14 day(s)",
            '1. "$pageview": 1800',
            '2. "user signed up": 240 (13.3% of previous, 13.3% of first); median 48m 10s',
        ),
        artifact_keys=("results",),
    ),
    Scenario(
        "posthog_run_funnel",
        "posthog_run_funnel.catalogue.yaml",
        {
            "events": [
                {"id": "user signed up", "type": "events", "order": 1},
                {"id": "$pageview", "type": "events", "order": 0},
            ],
            "date_from": "-30d",
        },
        expect=('1. "$pageview": 1800', '2. "user signed up": 240'),
        artifact_keys=("results",),
    ),
    Scenario(
        "posthog_run_funnel",
        "posthog_run_funnel.csv.yaml",
        {
            "events": ["$pageview", "viewed pricing", "user signed up"],
            "date_from": "2026-11-01",
            "date_to": "2026-11-20",
            "funnel_window_interval": 1,
            "funnel_window_interval_type": "hour",
            "filter_test_accounts": True,
            "format": "csv",
        },
        expect=(
            '"step","name","count","pct_of_previous","pct_of_first","median_s"',
            '2,"viewed pricing",600,"40.0%","40.0%",95',
            '3,"user signed up",0,"0.0%","0.0%",',
        ),
        artifact_keys=("results",),
    ),
    Scenario(
        "posthog_run_funnel",
        "posthog_run_funnel.forbidden.yaml",
        example("posthog_run_funnel"),
        ok=False,
        expect=("403", "query:read"),
    ),
    Scenario(
        "posthog_run_trends",
        "posthog_run_trends.yaml",
        example("posthog_run_trends"),
        expect=(
            "Trends by day 2026-11-13 to 2026-11-20",
            '"user signed up": total 240; 2026-11-13 28, 2026-11-14 31,',
            "2026-11-20 28",
        ),
        artifact_keys=("results",),
    ),
    Scenario(
        "posthog_run_trends",
        "posthog_run_trends.breakdown.yaml",
        {
            "series": [{"event": "$pageview", "math": "dau"}],
            "date_from": "-24h",
            "interval": "hour",
            "breakdown": "$browser",
            "where": "properties.$os = 'iOS'",
        },
        expect=(
            "Trends by hour",
            '"$pageview" ["Mobile Safari"]: sum of interval values 121; 2026-11-20 06:00 12,',
            '"$pageview" ["Chrome iOS"]: sum of interval values 24',
        ),
    ),
    Scenario(
        "posthog_run_trends",
        "posthog_run_trends.compare.yaml",
        {**example("posthog_run_trends"), "compare_to_previous": True},
        expect=(
            "Trends by day 2026-11-13 to 2026-11-20 against the previous period 2026-11-05 to "
            "2026-11-12 (each interval: current/previous):",
            '"user signed up": total 240, previous 200 (+20%); 2026-11-13 28/25, 2026-11-14 31/27,',
            "2026-11-20 28/20",
        ),
        artifact_keys=("results",),
    ),
    Scenario(
        "posthog_run_trends",
        "posthog_run_trends.drop.yaml",
        {**example("posthog_run_trends"), "interval": "day", "compare_to_previous": True},
        expect=(
            '"user signed up": total 202, previous 242 (-16.5%);',
            # The days a fall shows in, beside the same days a period before.
            "2026-11-18 17/33, 2026-11-19 14/28, 2026-11-20 16/29",
        ),
        artifact_keys=("results",),
    ),
    Scenario(
        "posthog_run_trends",
        "posthog_run_trends.compare_breakdown.yaml",
        {
            "series": [{"event": "$pageview"}],
            "date_from": "-2d",
            "breakdown": "$browser",
            "compare_to_previous": True,
        },
        expect=(
            "against the previous period 2026-11-15 to 2026-11-17",
            '"$pageview" ["Chrome"]: total 928, previous 1207 (-23.1%); 2026-11-18 410/402,',
            '"$pageview" ["Safari"]: total 352, previous 453 (-22.3%);',
            # Seen only in the period before: gone, which is a change worth reading.
            '"$pageview" ["Firefox"]: not in this period\'s results, previous total 83',
        ),
    ),
    Scenario(
        "posthog_run_trends",
        "posthog_run_trends.too_slow.yaml",
        {
            "series": [{"event": None, "math": "dau"}],
            "date_from": "-365d",
            "interval": "hour",
            "breakdown": "$current_url",
        },
        ok=False,
        expect=("512", "Estimated query execution time", "Shorten the date range"),
    ),
    Scenario(
        "posthog_run_hogql_query",
        "posthog_run_hogql_query.yaml",
        {"query": TOP_EVENTS},
        expect=(
            '3 row(s). Columns: "event" | "c"',
            '"$pageview" | 18234',
            '"user signed up" | 240',
        ),
        forbid=("Capped",),
        artifact_keys=("columns", "results"),
    ),
    Scenario(
        "posthog_run_hogql_query",
        "posthog_run_hogql_query.syntax_error.yaml",
        {"query": "SELECT event, count() FORM events GROUP BY event"},
        ok=False,
        expect=("400", "mismatched input 'FORM'", "Fix the SQL", "properties.$browser"),
    ),
    Scenario(
        "posthog_run_hogql_query",
        "posthog_run_hogql_query.polled.yaml",
        {"query": BROWSERS},
        expect=('4 row(s). Columns: "browser" | "c"', '"Chrome" | 10512', "null | 12"),
        artifact_keys=("columns", "results"),
    ),
    Scenario(
        "posthog_run_hogql_query",
        "posthog_run_hogql_query.resume.yaml",
        {"query_id": "0b6f1c2e9d7a4a53b8f0f3c1d2e4a5b6", "format": "csv"},
        expect=('"browser","c"\n"Chrome",10512\n', "\n,12"),
        artifact_keys=("columns", "results"),
    ),
    Scenario(
        "posthog_run_hogql_query",
        "posthog_run_hogql_query.expired.yaml",
        {"query_id": "9f9f9f9f9f9f4f9f9f9f9f9f9f9f9f9f"},
        ok=False,
        expect=(
            "404",
            "query_id 9f9f9f9f9f9f4f9f9f9f9f9f9f9f9f9f",
            "unknown or expired",
            "Run the SQL again",
        ),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        (
            "posthog_run_trends",
            {"series": [{"event": "a", "math": "p95"}]},
            "math 'p95' needs math_property",
        ),
        (
            "posthog_run_trends",
            {"series": [{"event": "a", "properties": [{"key": "x", "value": 1}]}]},
            "filter with where (HogQL)",
        ),
        (
            "posthog_run_trends",
            {"series": [{"event": "a"}], "breakdown_type": "person"},
            "needs breakdown",
        ),
        (
            "posthog_run_trends",
            {"series": [{"event": "a"}], "date_from": "all", "compare_to_previous": True},
            "'all' has no period before it",
        ),
        ("posthog_run_hogql_query", {}, "give query (the SQL) or query_id"),
        ("posthog_run_hogql_query", {"query_id": "../../users"}, "query_id"),
        ("posthog_run_hogql_query", {"query": "SELECT 1", "limit": 50000}, "limit"),
        (
            "posthog_run_funnel",
            {"events": ["a", "b"], "date_from": "2026-02-01", "date_to": "2026-01-01"},
            "date_from '2026-02-01' is after date_to '2026-01-01'",
        ),
        ("posthog_run_funnel", {"events": ["a", "b"], "date_from": "last week"}, "-7d"),
        ("posthog_run_funnel", {"events": ["a", "b"], "actions": [1, 2]}, "not both"),
        ("posthog_run_funnel", {"events": ["a"]}, "at least 2 items"),
        ("posthog_run_funnel", {}, "give the steps as events or as actions (ids)"),
        (
            "posthog_run_funnel",
            {"events": [{"id": "a", "order": 0}]},
            "a funnel needs at least 2 steps, events and actions together",
        ),
        (
            # What a step object carries is taken or refused by name, never dropped.
            "posthog_run_funnel",
            {"events": [{"id": "a", "order": 0, "math_group_type_index": 1}, {"id": "b"}]},
            "math_group_type_index: unknown argument; remove it",
        ),
    ],
)
def test_bad_arguments_are_refused_before_sending(
    tool: str, args: dict[str, Any], expected: str
) -> None:
    error = refusal(tool, args)
    assert expected in error, error


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", "SELECT 1\nLIMIT 100"),
        ("SELECT 1 LIMIT 5;", "SELECT 1 LIMIT 5"),
        ("select 1 limit 5 offset 10", "select 1 limit 5 offset 10"),
        ("SELECT * FROM (SELECT 1 LIMIT 3)", "SELECT * FROM (SELECT 1 LIMIT 3)\nLIMIT 100"),
        ("SELECT 1 -- the answer", "SELECT 1 -- the answer\nLIMIT 100"),
        ("SELECT 1 LIMIT 10 -- top ten", "SELECT 1 LIMIT 10 -- top ten"),
        ("SELECT 1 SETTINGS max_threads = 1", "SELECT 1 SETTINGS max_threads = 1"),
    ],
)
def test_limit_is_added_only_when_the_sql_has_none(sql: str, expected: str) -> None:
    assert with_limit(sql, 100) == expected


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [
        (240, 200, "+20%"),
        (90, 100, "-10%"),
        (928, 1207, "-23.1%"),
        (5, 0, "new"),
        (0, 0, "no change"),
        (12.5, 12.5, "no change"),
        (0, 40, "-100%"),
    ],
)
def test_change_is_written_in_percent_of_the_period_before(
    now: float, before: float, expected: str
) -> None:
    assert change(now, before) == expected


def test_a_404_without_a_query_id_is_not_blamed_on_one() -> None:
    toolkit = make_toolkit(answering({"type": "invalid_request", "detail": "Not found."}, 404))
    error = toolkit.execute("posthog_run_hogql_query", {"query": "SELECT 1"}).error or ""
    assert error.startswith(f"Not found (404) in project {PROJECT_ID}: no such object")
    assert "query_id" not in error and "expired" not in error


def test_catalogue_steps_keep_their_filters_and_their_order_across_events_and_actions() -> None:
    server = Server(httpx.Response(200, json={"results": []}))
    toolkit = make_toolkit(server)
    pricing = {"key": "$current_url", "value": "pricing", "operator": "icontains", "type": "event"}
    result = toolkit.execute(
        "POSTHOG_GET_FUNNEL_INSIGHTS_IN_PROJECT",
        {
            "events": [
                {"id": "user signed up", "type": "events", "order": 2},
                {"id": "$pageview", "type": "events", "order": 0, "properties": [pricing]},
            ],
            "actions": [{"id": 12, "type": "actions", "order": 1}],
        },
    )
    assert result.successful, result.error
    series = body(server.requests[0])["query"]["series"]
    assert [(s["kind"], s.get("event", s.get("id"))) for s in series] == [
        ("EventsNode", "$pageview"),
        ("ActionsNode", 12),
        ("EventsNode", "user signed up"),
    ]
    assert series[0]["properties"] == [
        {"type": "event", "key": "$current_url", "operator": "icontains", "value": "pricing"}
    ]
    assert "properties" not in series[1] and "properties" not in series[2]


def test_once_one_step_is_an_object_plain_steps_join_the_same_order() -> None:
    server = Server(httpx.Response(200, json={"results": []}))
    result = make_toolkit(server).execute(
        "posthog_run_funnel", {"events": [{"id": "a", "order": 0}], "actions": [3]}
    )
    assert result.successful, result.error
    series = body(server.requests[0])["query"]["series"]
    assert [(s["kind"], s.get("event", s.get("id"))) for s in series] == [
        ("EventsNode", "a"),
        ("ActionsNode", 3),
    ]
