"""What the insight rows share: the area, a saved insight's query as sent and as read back.

``insights`` (create, the trend list, funnels) and ``saved_insights`` (find and change any kind)
both send a query wrapped in an ``InsightVizNode`` and describe what PostHog answers.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator

from langchain_posthog.actions._nodes import InsightQuery
from langchain_posthog.actions._render import quoted, results, said, term
from langchain_posthog.actions._shapes import Area
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.api.errors import PostHogAPIError

INSIGHTS = Area(
    "insight",
    "insights",
    "insight",
    ui="insights",
    link_key="short_id",
    not_found=(
        "The short_id is the code in the insight's URL (/insights/<short_id>); or list without it."
    ),
    text=(
        "name", "derived_name", "description", "tags[]", "query.source.series",
        "query.source.breakdownFilter", "query.source.properties", "query.source.query",
        "query.query", "filters", "result",
    ),
)  # fmt: skip

KIND_NAMES = {
    "TrendsQuery": "trends",
    "FunnelsQuery": "funnel",
    "RetentionQuery": "retention",
    "PathsQuery": "paths",
    "StickinessQuery": "stickiness",
    "LifecycleQuery": "lifecycle",
}


def _short_id(value: str) -> str:
    # It goes in the query string, where httpx encodes it; this only catches a wrong value early.
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise ValueError(
            "a short_id is letters and digits, e.g. aB3dE9fQ (from /insights/<short_id>)"
        )
    return value


ShortId = Annotated[str, AfterValidator(_short_id)]


def viz_node(query: InsightQuery) -> dict[str, Any]:
    """The ``query`` a saved insight holds: PostHog's chart node around the query."""
    return {"kind": "InsightVizNode", "source": query.to_api()}


def query_of(insight: dict[str, Any]) -> dict[str, Any]:
    """The query inside a saved insight's ``InsightVizNode`` (or its query, unwrapped)."""
    query = insight.get("query") or {}
    found = query.get("source") if query.get("kind") == "InsightVizNode" else query
    return found if isinstance(found, dict) else {}


def kind_of(insight: dict[str, Any]) -> str:
    """An insight's query kind (``TrendsQuery``, ``HogQLQuery``...), or its legacy filters' kind."""
    query = insight.get("query")
    query = query if isinstance(query, dict) else {}
    inner = query.get("source")
    kind = (inner.get("kind") if isinstance(inner, dict) else None) or query.get("kind")
    if kind:
        return term(kind)
    legacy = (insight.get("filters") or {}).get("insight")
    return f"legacy {term(legacy)} filters" if legacy else "no query"


def series_text(query: dict[str, Any], between: str = ", ") -> str:
    """The series of a query node, ``"$pageview", "Clicked upgrade" (dau)``: names quoted."""
    parts = []
    for node in query.get("series") or []:
        label = node.get("custom_name") or node.get("event") or node.get("name")
        if node.get("kind") == "ActionsNode":
            label = node.get("custom_name") or node.get("name")
            text = quoted(label) if label else said("action {}", node.get("id"))
        else:
            text = quoted(label) if label else "All events"
        math = node.get("math")
        parts.append(text + (f" ({term(math)})" if math and math != "total" else ""))
    return between.join(parts)


def summary(query: dict[str, Any]) -> str:
    """A query node in a few words: its kind, series, interval, breakdown and dates."""
    kind = query.get("kind")
    text = KIND_NAMES.get(str(kind)) or term(kind) if kind else "insight"
    series = series_text(query, " -> " if kind == "FunnelsQuery" else ", ")
    if series:
        text += " of " + series
    if query.get("interval"):
        text += f", by {term(query['interval'])}"
    breakdown = (query.get("breakdownFilter") or {}).get("breakdown")
    if breakdown:
        text += f", broken down by {quoted(breakdown)}"
    dates = query.get("dateRange") or {}
    if dates.get("date_from"):
        text += f", from {term(dates['date_from'])}" + said(
            " to {}", dates.get("date_to") and term(dates["date_to"])
        )
    return text


def ids(insight: dict[str, Any]) -> str:
    """`` (short_id aB3dE9fQ, id 5501)``, or what of it PostHog gave."""
    short_id, ident = insight.get("short_id"), insight.get("id")
    found = [said("short_id {}", short_id and term(short_id)), said("id {}", ident and term(ident))]
    return said(" ({})", ", ".join(filter(None, found)))


def listed(path: str, params: dict[str, Any], short_id: str | None) -> Plan[dict[str, Any]]:
    """A page of insights; a short_id no insight has is a 404 (PostHog answers an empty list)."""
    data = (yield Call("GET", path, params=params)).data or {}
    if short_id and not results(data):
        raise PostHogAPIError(
            404, method="GET", path=path, code="not_found",
            detail=f"no insight has short_id {short_id!r}",
        )  # fmt: skip
    return data
