"""Insight and query-API scenarios: saved insights, funnels, trends and HogQL."""

from __future__ import annotations

from tests.scenarios import Scenario, example

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
        "posthog_create_insight",
        "posthog_create_insight.yaml",
        example("posthog_create_insight"),
        expect=(
            "Created insight 'Weekly signups' (short_id aB3dE9fQ, id 5501)",
            "trends of user signed up (dau), by week, from -90d",
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
            "Weekly signups (short_id aB3dE9fQ, id 5501): user signed up (dau), by week",
            "user signed up 1804 (latest 2026-11-16: 476)",
            "Pageviews and upgrades (short_id Pq7Rs8Tu, id 5507): $pageview, Clicked upgrade (dau)",
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
            "Weekly signups (short_id aB3dE9fQ, id 5501)",
            "user signed up 1804",
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
            "5501,aB3dE9fQ,Weekly signups",
            "5507,Pq7Rs8Tu,Pageviews and upgrades",
        ),
        forbid=("Signup funnel",),
        artifact_keys=("csv",),
    ),
    Scenario(
        "posthog_run_funnel",
        "posthog_run_funnel.yaml",
        example("posthog_run_funnel"),
        expect=(
            "Funnel 2026-10-21 to 2026-11-20, conversion window 14 day(s)",
            "1. $pageview: 1800",
            "2. user signed up: 240 (13.3% of previous, 13.3% of first); median 48m 10s",
        ),
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
            "step,name,count,pct_of_previous,pct_of_first,median_s",
            "2,viewed pricing,600,40.0%,40.0%,95",
            "3,user signed up,0,0.0%,0.0%,",
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
            "user signed up: total 240; 2026-11-13 28, 2026-11-14 31,",
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
            "$pageview [Mobile Safari]: sum of interval values 121; 2026-11-20 06:00 12,",
            "$pageview [Chrome iOS]: sum of interval values 24",
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
        expect=("3 row(s). Columns: event | c", "$pageview | 18234", "user signed up | 240"),
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
        expect=("4 row(s). Columns: browser | c", "Chrome | 10512", "null | 12"),
        artifact_keys=("columns", "results"),
    ),
    Scenario(
        "posthog_run_hogql_query",
        "posthog_run_hogql_query.resume.yaml",
        {"query_id": "0b6f1c2e9d7a4a53b8f0f3c1d2e4a5b6", "format": "csv"},
        expect=("browser,c\nChrome,10512\n", "\n,12"),
        artifact_keys=("columns", "results"),
    ),
    Scenario(
        "posthog_run_hogql_query",
        "posthog_run_hogql_query.expired.yaml",
        {"query_id": "9f9f9f9f9f9f4f9f9f9f9f9f9f9f9f9f"},
        ok=False,
        expect=("404", "unknown or expired", "run the SQL again"),
    ),
]
