"""Insights: save one from a typed query, and list the saved trends."""

import csv
import io
from typing import Annotated, Any, Literal

from pydantic import Field

from langchain_posthog.actions._args import ArgsModel, text_max
from langchain_posthog.actions._catalogue import SAVED_INSIGHT_UNHONOURED
from langchain_posthog.actions._insight_forms import (
    INSIGHTS,
    ShortId,
    ids,
    listed,
    query_of,
    series_text,
    summary,
    viz_node,
)
from langchain_posthog.actions._nodes import (
    InsightQuery,
)
from langchain_posthog.actions._render import (
    clip,
    csv_text,
    cut,
    num,
    page_note,
    quoted,
    results,
    said,
    term,
)
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import create_row, row
from langchain_posthog.api.calls import Call, Plan


class CreateInsightArgs(ArgsModel):
    name: Annotated[str, text_max(400)]
    query: InsightQuery
    description: str | None = Field(None, max_length=400)
    tags: list[str] | None = None
    dashboards: list[Annotated[int, Field(ge=1)]] | None = None
    favorited: bool | None = None
    saved: bool = True
    unhonoured = SAVED_INSIGHT_UNHONOURED


def _create_body(args: CreateInsightArgs) -> dict[str, Any]:
    body = args.model_dump(exclude_none=True, exclude={"query"}, mode="json")
    body["query"] = viz_node(args.query)
    return body


# -- rendering -------------------------------------------------------------------------------


def _created_text(data: Any, args: CreateInsightArgs, ctx: Context) -> str:
    name = data.get("name") or args.name
    source = query_of(data)
    lines = [f"{quoted(name)}{ids(data)}" + said(": {}", source and summary(source))]
    if data.get("dashboards"):
        lines.append("On dashboards " + ", ".join(str(d) for d in data["dashboards"]))
    if not data.get("saved", args.saved):
        lines.append("Not saved: it stays out of saved-insight lists.")
    return "\n".join(lines)


class ListTrendInsightsArgs(ArgsModel):
    short_id: ShortId | None = Field(None, description="From the insight's URL.")
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0)
    format: Literal["json", "csv"] | None = None


def _list_plan(args: ListTrendInsightsArgs, ctx: Context) -> Plan[Any]:
    path = INSIGHTS.at(ctx)
    params: dict[str, Any] = (
        {"short_id": args.short_id}
        if args.short_id
        else {"limit": args.limit, "offset": args.offset}
    )
    params["format"] = args.format
    if args.format == "csv":
        return {"csv": (yield Call("GET", path, params=params, text=True)).data or ""}
    return (yield from listed(path, params, args.short_id))


def _resultsummary(result: Any) -> str:
    if not isinstance(result, list):
        return ""
    parts = []
    for series in result[:3]:
        if not isinstance(series, dict):
            continue
        total = series.get("aggregated_value")
        total = series.get("count") if total is None else total
        label = series.get("label")
        text = f"{quoted(label) if label else 'series'} {num(total)}"
        data, days = series.get("data") or [], series.get("days") or series.get("labels") or []
        if data and days:
            text += f" (latest {term(days[-1])}: {num(data[-1])})"
        parts.append(text)
    if len(result) > 3:
        parts.append(f"+{len(result) - 3} more series")
    return "; ".join(parts)


def _insight_line(insight: dict[str, Any]) -> str:
    source = query_of(insight)
    name = insight.get("name") or insight.get("derived_name")
    line = f"- {quoted(name) if name else '(unnamed)'}{ids(insight)}: "
    line += series_text(source) or "no series"
    if source.get("interval"):
        line += f", by {term(source['interval'])}"
    cached = _resultsummary(insight.get("result"))
    if cached:
        line += f"; last result ({insight.get('last_refresh') or 'cached'}): {cached}"
    return line


def _filter_csv(text: str) -> tuple[str, str]:
    """Keep the CSV's trend rows when the flattened query kind column is there.

    PostHog's CSV is written again, so its text cells read as every CSV of this toolkit.
    """
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:  # not CSV: the tool says PostHog's answer is not what it reads
        raise ValueError(f"PostHog's CSV does not parse: {error}") from None
    column = "query.source.kind"
    if not rows or column not in rows[0]:
        note = "CSV of every insight on the page (all kinds; no query kind column to filter)."
        return csv_text(rows), note
    index = rows[0].index(column)
    kept = [row for row in rows[1:] if len(row) > index and row[index] == "TrendsQuery"]
    note = f"CSV: {len(kept)} of {len(rows) - 1} insights on this page are trends."
    return csv_text([rows[0], *kept]), note


def _render_list(data: Any, args: ListTrendInsightsArgs, ctx: Context) -> str:
    if "csv" in data:
        text, note = _filter_csv(data["csv"])
        return note + "\n" + clip(text)
    items = results(data)
    trends = [i for i in items if query_of(i).get("kind") == "TrendsQuery"]
    if args.short_id:
        insight = items[0]
        if not trends:
            kind = query_of(insight).get("kind") or (insight.get("query") or {}).get("kind")
            name = insight.get("name")
            return (
                f"Insight {quoted(name) if name else '(unnamed)'} (short_id {args.short_id}) is "
                f"a {term(kind) if kind else 'query of another kind'}, not a trend: "
                f"{summary(query_of(insight))}."
            )
        return _insight_line(insight)[2:] + "\n" + INSIGHTS.link(args.short_id, ctx, insight)
    note = page_note(data, shown=len(items), offset=args.offset, noun="insights")
    lines = [
        note,
        f"{len(trends)} of {len(items)} insights on this page are trends "
        "(PostHog cannot filter by kind; the others are left out).",
        *cut([_insight_line(i) for i in trends]),
    ]
    if trends:
        lines.append("Open one: " + ctx.ui("insights/<short_id>"))
    return "\n".join(lines)


ACTIONS = [
    create_row(
        INSIGHTS,
        "posthog_create_insight",
        "Save an insight (trends, funnel, retention, paths, stickiness, lifecycle); returns its "
        "link. For numbers only, use posthog_run_trends or posthog_run_funnel.",
        CreateInsightArgs,
        _created_text,
        body=_create_body,
        catalogue="CREATE_CUSTOM_PROJECT_INSIGHTS",
        example={
            "name": "Weekly signups",
            "query": {
                "kind": "TrendsQuery",
                "series": [{"event": "user signed up", "math": "dau"}],
                "interval": "week",
                "date_from": "-90d",
                "filter_test_accounts": True,
            },
        },
    ),
    row(
        INSIGHTS,
        "posthog_list_trend_insights",
        "List saved trend insights with their series and last cached result, or get one by "
        "short_id.",
        ListTrendInsightsArgs,
        _list_plan,
        _render_list,
        catalogue="RETRIEVE_PROJECT_TREND_INSIGHTS",
        not_found=INSIGHTS.not_found,
        example={"limit": 10},
    ),
]
