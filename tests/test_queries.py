"""Insights and the query API beyond the cassette scenarios: bodies PostHog's schema accepts,
refusals made before anything is sent, and background queries polled over MockTransport."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions._render import duration
from langchain_posthog.actions._running import POLL_WAITS
from langchain_posthog.actions.insights import CreateInsightArgs
from langchain_posthog.actions.query import with_limit
from tests.conftest import PERSONAL_KEY, PROJECT_ID
from tests.contract import validate

# One query of every kind an insight can hold, as a model would write it.
QUERIES: list[dict[str, Any]] = [
    {
        "kind": "TrendsQuery",
        "series": [
            {"event": "$pageview", "math": "dau"},
            {"id": 44, "properties": [{"key": "plan", "value": "pro", "type": "person"}]},
            {"event": "purchase", "math": "sum", "math_property": "revenue"},
        ],
        "interval": "week",
        "date_from": "-90d",
        "date_to": "-1d",
        "breakdown": "$browser",
        "properties": [
            {"key": "email", "operator": "is_set", "type": "person"},
            {"key": "id", "value": 7, "type": "cohort"},
            {"key": "properties.$os = 'iOS'", "type": "hogql"},
        ],
        "filter_test_accounts": True,
        "display": "ActionsBar",
        "formula": "B/A*100",
    },
    {
        "kind": "FunnelsQuery",
        "series": [{"event": "$pageview"}, {"event": "signed up", "math": "first_time_for_user"}],
        "funnel_window_interval": 2,
        "funnel_window_interval_type": "hour",
        "breakdown": "plan",
        "breakdown_type": "person",
    },
    {
        "kind": "RetentionQuery",
        "series": [{"event": "signed up"}, {"id": 12}],
        "interval": "week",
        "retention_intervals": 6,
    },
    {"kind": "PathsQuery", "path_start": "/pricing", "path_types": ["$pageview", "custom_event"]},
    {"kind": "StickinessQuery", "series": [{"event": "$pageview"}], "interval": "day"},
    {"kind": "LifecycleQuery", "series": [{"event": "$pageview"}], "date_from": "-30d"},
]


def _write_errors(instance: Any, component: str) -> list[str]:
    error = validate(instance, {"$ref": f"#/components/schemas/{component}"}, write=True)
    return [error] if error else []


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q["kind"])
def test_every_insight_kind_builds_a_node_posthog_accepts(query: dict[str, Any]) -> None:
    # The contract test cannot see this: the Insight schema types `query` as a bare object.
    args = CreateInsightArgs.model_validate({"name": "n", "query": query})
    node = {"kind": "InsightVizNode", "source": args.query.to_api()}
    assert _write_errors(node, "InsightVizNode") == []
    # The same node, run on the query API, is a valid request too.
    assert _write_errors(node["source"], query["kind"]) == []


def test_posthog_shaped_queries_are_understood() -> None:
    posthog_shaped = {
        "kind": "InsightVizNode",
        "source": {
            "kind": "FunnelsQuery",
            "series": [
                {"kind": "EventsNode", "event": "$pageview", "name": "$pageview"},
                {"kind": "ActionsNode", "id": 3, "name": "Signed up", "custom_name": "Signup"},
            ],
            "dateRange": {"date_from": "-14d"},
            "filterTestAccounts": True,
            "breakdownFilter": {"breakdown": "$browser", "breakdown_type": "event"},
            "funnelsFilter": {"funnelWindowInterval": 3, "funnelWindowIntervalUnit": "day"},
        },
    }
    args = CreateInsightArgs.model_validate({"name": "n", "query": posthog_shaped})
    assert args.query.to_api() == {
        "kind": "FunnelsQuery",
        "dateRange": {"date_from": "-14d"},
        "filterTestAccounts": True,
        "series": [
            {"kind": "EventsNode", "event": "$pageview", "name": "$pageview"},
            {"kind": "ActionsNode", "id": 3},
        ],
        "breakdownFilter": {"breakdown": "$browser", "breakdown_type": "event"},
        "funnelsFilter": {"funnelWindowInterval": 3, "funnelWindowIntervalUnit": "day"},
    }
    retention = CreateInsightArgs.model_validate(
        {
            "name": "n",
            "query": {
                "kind": "RetentionQuery",
                "retentionFilter": {
                    "targetEntity": {"id": "signed up", "type": "events"},
                    "returningEntity": {"id": 5, "type": "actions"},
                    "period": "Week",
                    "totalIntervals": 4,
                },
            },
        }
    )
    assert retention.query.to_api()["retentionFilter"] == {
        "targetEntity": {
            "id": "signed up",
            "name": "signed up",
            "type": "events",
            "kind": "EventsNode",
        },
        "returningEntity": {"id": 5, "type": "actions", "kind": "ActionsNode"},
        "period": "Week",
        "totalIntervals": 4,
    }


def _toolkit(handler: Any) -> PostHogToolkit:
    return PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_id=PROJECT_ID,
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )


def _never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing should be sent: {request.method} {request.url}")


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        (
            "posthog_create_insight",
            {"name": "n", "query": {"kind": "WebStatsTableQuery", "breakdownBy": "Page"}},
            "Web analytics page",
        ),
        (
            "posthog_create_insight",
            {
                "name": "n",
                "query": {"kind": "DataTableNode", "source": {"kind": "WebOverviewQuery"}},
            },
            "cannot be saved with this tool",
        ),
        (
            "posthog_create_insight",
            {"name": "n", "query": {"kind": "HogQLQuery", "query": "SELECT 1"}},
            "posthog_run_hogql_query",
        ),
        (
            "posthog_create_insight",
            {
                "name": "n",
                "query": {"kind": "TrendsQuery", "series": [{"event": "a"}], "path_end": "/x"},
            },
            "path_end does not apply to TrendsQuery",
        ),
        (
            "posthog_create_insight",
            {
                "name": "n",
                "query": {
                    "kind": "FunnelsQuery",
                    "series": [{"event": "a"}, {"event": "b", "math": "dau"}],
                },
            },
            "funnel steps take math total or first_time_for_user",
        ),
        (
            "posthog_create_insight",
            {
                "name": "n",
                "query": {"kind": "LifecycleQuery", "series": [{"event": "a"}, {"event": "b"}]},
            },
            "LifecycleQuery takes 1 series, not 2",
        ),
        (
            "posthog_create_insight",
            {
                "name": "n",
                "query": {
                    "kind": "RetentionQuery",
                    "series": [{"event": "a"}],
                    "interval": "minute",
                },
            },
            "retention periods are hour, day, week or month",
        ),
        (
            "posthog_create_insight",
            {"name": "n", "query": {"kind": "TrendsQuery", "series": [{"math": "dau"}]}},
            "give event (null for all events) or id",
        ),
        (
            "posthog_create_insight",
            {
                "name": "n",
                "query": {
                    "kind": "TrendsQuery",
                    "series": [{"event": "a"}],
                    "properties": [{"key": "id", "type": "cohort", "value": "vip"}],
                },
            },
            "cohort filter needs value = the cohort id",
        ),
        (
            "posthog_run_funnel",
            {"events": ["a", "b"], "date_from": "2026-02-01", "date_to": "2026-01-01"},
            "date_from '2026-02-01' is after date_to '2026-01-01'",
        ),
        ("posthog_run_funnel", {"events": ["a", "b"], "date_from": "last week"}, "-7d"),
        ("posthog_run_funnel", {"events": ["a", "b"], "actions": [1, 2]}, "not both"),
        ("posthog_run_funnel", {"events": ["a"]}, "at least 2 items"),
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
        ("posthog_run_hogql_query", {}, "give query (the SQL) or query_id"),
        ("posthog_run_hogql_query", {"query_id": "../../users"}, "query_id"),
        ("posthog_run_hogql_query", {"query": "SELECT 1", "limit": 50000}, "limit"),
        ("posthog_list_trend_insights", {"short_id": "a b"}, "short_id is letters and digits"),
    ],
)
def test_bad_arguments_are_refused_before_sending(
    tool: str, args: dict[str, Any], expected: str
) -> None:
    result = _toolkit(_never).execute(tool, args)
    assert not result.successful
    assert "nothing was sent" in (result.error or "")
    assert expected in (result.error or ""), result.error


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


class BackgroundQuery:
    """A query API that answers 202 and then reports ``statuses`` one poll at a time."""

    def __init__(self, *statuses: dict[str, Any]) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        running = {"id": "q1", "team_id": 2, "complete": False, "query_async": True}
        if request.method == "POST":
            return httpx.Response(202, json={"query_status": running})
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return httpx.Response(200, json={"query_status": {**running, **status}})


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)

    async def fake(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", fake)
    return waits


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_query_still_running_after_the_polls_returns_its_id(
    no_sleep: list[float], mode: str
) -> None:
    server = BackgroundQuery({"complete": False})
    toolkit = _toolkit(server)
    args = {"query": "SELECT count() FROM events"}
    if mode == "sync":
        result = toolkit.execute("posthog_run_hogql_query", args)
    else:
        result = asyncio.run(toolkit.aexecute("posthog_run_hogql_query", args))
    assert result.successful
    assert "still running this query (id q1)" in (result.content or "")
    assert "query_id" in (result.content or "")
    assert [r.method for r in server.requests] == ["POST"] + ["GET"] * len(POLL_WAITS)
    assert server.requests[-1].url.path == "/api/projects/2/query/q1/"
    assert no_sleep == list(POLL_WAITS) and sum(no_sleep) <= 25


def test_a_query_that_fails_in_the_background_explains_why(no_sleep: list[float]) -> None:
    server = BackgroundQuery(
        {"complete": False},
        {"complete": True, "error": True, "error_message": "Unknown table `evnts`"},
    )
    result = _toolkit(server).execute("posthog_run_hogql_query", {"query": "SELECT 1 FROM evnts"})
    assert not result.successful
    assert "Unknown table `evnts`" in (result.error or "")
    assert "Fix the SQL" in (result.error or "")
    assert no_sleep == list(POLL_WAITS[:2])


def test_funnel_and_trends_poll_too(no_sleep: list[float]) -> None:
    steps = [{"name": "a", "count": 10, "order": 0}, {"name": "b", "count": 4, "order": 1}]
    server = BackgroundQuery({"complete": True, "results": {"results": steps, "isUdf": True}})
    result = _toolkit(server).execute("posthog_run_funnel", {"events": ["a", "b"]})
    assert result.successful
    assert "2. b: 4 (40.0% of previous, 40.0% of first)" in (result.content or "")
    body = json.loads(server.requests[0].content)
    assert body["refresh"] == "blocking" and body["name"] == "langchain-posthog: funnel"


def test_query_posts_are_reads() -> None:
    server = BackgroundQuery({"complete": True, "results": {"results": [], "columns": []}})
    toolkit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_id=PROJECT_ID,
        read_only=True,
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
    )
    names = {t.name for t in toolkit.get_tools()}
    assert {"posthog_run_funnel", "posthog_run_trends", "posthog_run_hogql_query"} <= names
    assert "posthog_create_insight" not in names


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(37, "37s"), (59.6, "1m"), (252, "4m 12s"), (3600, "1h"), (7530, "2h 5m"), (97200, "1d 3h")],
)
def test_durations_read_in_their_two_largest_units(seconds: float, text: str) -> None:
    # Funnels' time to convert and recordings' lengths both use it.
    assert duration(seconds) == text
    assert duration("12") == duration(None) == duration(True) == ""
