"""Query nodes: every insight kind builds a node PostHog's schema accepts."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_posthog.actions.insights import CreateInsightArgs
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
