"""Insights: arguments refused before sending, and the recorded scenarios."""

from __future__ import annotations

from typing import Any

import pytest

from tests.actions import answering, make_toolkit, refusal
from tests.scenarios import Scenario, example, params, play

PRICING_FUNNEL = {
    "name": "Pricing to signup",
    "dashboards": [999],
    "query": {
        "kind": "FunnelsQuery",
        "series": [
            {
                "event": "$pageview",
                "properties": [
                    {"key": "$current_url", "operator": "icontains", "value": "/pricing"}
                ],
            },
            {"event": "user signed up"},
        ],
        "date_from": "-30d",
        "breakdown": "$browser",
        "funnel_window_interval": 1,
        "funnel_window_interval_type": "day",
    },
}

SCENARIOS = [
    Scenario(
        "posthog_create_insight",
        "posthog_create_insight.yaml",
        example("posthog_create_insight"),
        expect=(
            'Created insight "Weekly signups" (short_id aB3dE9fQ, id 5501)',
            'trends of "user signed up" (dau), by week, from -90d',
            "https://us.posthog.com/project/2/insights/aB3dE9fQ",
        ),
        forbid=("null", "created_by", "ada@example.com"),
        artifact_keys=("id", "short_id", "query"),
    ),
    Scenario(
        "posthog_create_insight",
        "posthog_create_insight.bad_dashboard.yaml",
        PRICING_FUNNEL,
        ok=False,
        expect=("400", "field 'dashboards'", 'Invalid pk "999" - object does not exist'),
    ),
    Scenario(
        "posthog_list_trend_insights",
        "posthog_list_trend_insights.yaml",
        {"limit": 10},
        expect=(
            "Insights 1-3 of 3.",
            "2 of 3 insights on this page are trends",
            '"Weekly signups" (short_id aB3dE9fQ, id 5501): "user signed up" (dau), by week',
            '"user signed up" 1804 (latest 2026-11-16: 476)',
            '"Pageviews and upgrades" (short_id Pq7Rs8Tu, id 5507): "$pageview", '
            '"Clicked upgrade" (dau)',
            "/project/2/insights/<short_id>",
        ),
        forbid=("Signup funnel", "Zx81Qw0p", "null"),
        artifact_keys=("results", "count"),
    ),
    Scenario(
        "posthog_list_trend_insights",
        "posthog_list_trend_insights.forbidden.yaml",
        {},
        ok=False,
        expect=("403", "insight:read"),
    ),
    Scenario(
        "posthog_list_trend_insights",
        "posthog_list_trend_insights.short_id.yaml",
        {"short_id": "aB3dE9fQ"},
        expect=(
            '"Weekly signups" (short_id aB3dE9fQ, id 5501)',
            '"user signed up" 1804',
            "Open: https://us.posthog.com/project/2/insights/aB3dE9fQ",
        ),
        artifact_keys=("results",),
    ),
    Scenario(
        "posthog_list_trend_insights",
        "posthog_list_trend_insights.not_found.yaml",
        {"short_id": "nope1234"},
        ok=False,
        expect=("404", "no insight has short_id 'nope1234'", "/insights/<short_id>"),
    ),
    Scenario(
        "posthog_list_trend_insights",
        "posthog_list_trend_insights.csv.yaml",
        {"limit": 10, "format": "csv"},
        expect=(
            "CSV: 2 of 3 insights on this page are trends.",
            '5501,"aB3dE9fQ","Weekly signups"',
            '5507,"Pq7Rs8Tu","Pageviews and upgrades"',
        ),
        forbid=("Signup funnel",),
        artifact_keys=("csv",),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


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
        ("posthog_list_trend_insights", {"short_id": "a b"}, "short_id is letters and digits"),
        # PostHog's own query shape: a setting the tool does not carry over is refused, not
        # dropped (the insight would measure something else).
        (
            "posthog_create_insight",
            {
                "name": "n",
                "query": {
                    "kind": "InsightVizNode",
                    "source": {
                        "kind": "FunnelsQuery",
                        "series": [{"event": "a"}, {"event": "b"}],
                        "funnelsFilter": {"funnelOrderType": "strict", "funnelWindowInterval": 7},
                    },
                },
            },
            "funnelsFilter: funnelOrderType cannot be set here (this tool takes "
            "funnelWindowInterval, funnelWindowIntervalUnit); leave it out",
        ),
        (
            "posthog_create_insight",
            {
                "name": "n",
                "query": {
                    "kind": "RetentionQuery",
                    "retentionFilter": {
                        "targetEntity": {"id": "a"},
                        "returningEntity": {"id": "b"},
                        "period": "Week",
                        "retentionType": "retention_recurring",
                    },
                },
            },
            "retentionFilter: retentionType cannot be set here",
        ),
    ],
)
def test_bad_arguments_are_refused_before_sending(
    tool: str, args: dict[str, Any], expected: str
) -> None:
    error = refusal(tool, args)
    assert expected in error, error


def test_settings_at_posthogs_defaults_are_taken_as_changing_nothing() -> None:
    # What PostHog's UI puts in a query it exports.
    recorder = answering({"id": 1, "short_id": "abc", "name": "n"}, 201)
    source = {
        "kind": "FunnelsQuery",
        "series": [{"event": "a"}, {"event": "b"}],
        "dateRange": {"date_from": "-7d", "explicitDate": False},
        "funnelsFilter": {
            "funnelVizType": "steps",
            "funnelOrderType": "ordered",
            "funnelStepReference": "total",
            "funnelWindowInterval": 7,
        },
    }
    query = {"kind": "InsightVizNode", "source": source}
    result = make_toolkit(recorder).execute("posthog_create_insight", {"name": "n", "query": query})
    assert result.successful, result.error
    sent = recorder.body()["query"]["source"]
    assert sent["funnelsFilter"] == {"funnelWindowInterval": 7}
    # A value of another type is not the default: true is not smoothingIntervals 1.
    query = {
        "kind": "TrendsQuery",
        "series": [{"event": "a"}],
        "trendsFilter": {"smoothingIntervals": True},
    }
    error = refusal("posthog_create_insight", {"name": "n", "query": query})
    assert "trendsFilter: smoothingIntervals cannot be set here" in error
