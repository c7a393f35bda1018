"""Insights: save one from a typed query, list the saved trends, and run a funnel."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from langchain_posthog.actions._args import ArgsModel, text_max
from langchain_posthog.actions._catalogue import SAVED_INSIGHT_UNHONOURED, funnel_steps
from langchain_posthog.actions._dates import PostHogDate, check_order
from langchain_posthog.actions._insight_forms import (
    INSIGHTS,
    ShortId,
    ids,
    query_of,
    series_text,
    summary,
    viz_node,
)
from langchain_posthog.actions._nodes import (
    DATE,
    BareSeries,
    InsightQuery,
    WindowUnit,
    date_range,
    drop_none,
)
from langchain_posthog.actions._render import (
    clip,
    csv_text,
    cut,
    duration,
    num,
    page_note,
    results,
    said,
)
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._running import (
    QUERIES,
    pending_text,
    period,
    query_explainer,
    run_query,
)
from langchain_posthog.actions._shapes import create_row, row
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.api.errors import PostHogAPIError


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
    lines = [f"{name!r}{ids(data)}" + said(": {}", source and summary(source))]
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
    data = (yield Call("GET", path, params=params)).data or {}
    if args.short_id and not results(data):
        raise PostHogAPIError(
            404, method="GET", path=path, code="not_found",
            detail=f"no insight has short_id {args.short_id!r}",
        )  # fmt: skip
    return data


def _resultsummary(result: Any) -> str:
    if not isinstance(result, list):
        return ""
    parts = []
    for series in result[:3]:
        if not isinstance(series, dict):
            continue
        total = series.get("aggregated_value")
        total = series.get("count") if total is None else total
        text = f"{series.get('label') or 'series'} {num(total)}"
        data, days = series.get("data") or [], series.get("days") or series.get("labels") or []
        if data and days:
            text += f" (latest {days[-1]}: {num(data[-1])})"
        parts.append(text)
    if len(result) > 3:
        parts.append(f"+{len(result) - 3} more series")
    return "; ".join(parts)


def _insight_line(insight: dict[str, Any]) -> str:
    source = query_of(insight)
    name = insight.get("name") or insight.get("derived_name") or "(unnamed)"
    line = f"- {name}{ids(insight)}: "
    line += series_text(source) or "no series"
    if source.get("interval"):
        line += f", by {source['interval']}"
    cached = _resultsummary(insight.get("result"))
    if cached:
        line += f"; last result ({insight.get('last_refresh') or 'cached'}): {cached}"
    return line


def _filter_csv(text: str) -> tuple[str, str]:
    """Keep the CSV's trend rows when the flattened query kind column is there."""
    rows = list(csv.reader(io.StringIO(text)))
    column = "query.source.kind"
    if not rows or column not in rows[0]:
        return text, "CSV of every insight on the page (all kinds; no query kind column to filter)."
    index = rows[0].index(column)
    kept = [row for row in rows[1:] if len(row) > index and row[index] == "TrendsQuery"]
    return csv_text(
        [rows[0], *kept]
    ), f"CSV: {len(kept)} of {len(rows) - 1} insights on this page are trends."


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
            return (
                f"Insight {insight.get('name') or '(unnamed)'!r} (short_id {args.short_id}) is "
                f"a {kind or 'query of another kind'}, not a trend: {summary(query_of(insight))}."
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


# -- running a funnel -----------------------------------------------------------------------------


class RunFunnelArgs(ArgsModel):
    one_of = ("events", "actions", "give the steps as events or as actions (ids), not both")
    events: list[str] | None = Field(
        None, min_length=2, max_length=20, description="Steps, in order."
    )
    actions: list[int] | None = Field(
        None, min_length=2, max_length=20, description="Action ids, instead of events."
    )
    date_from: PostHogDate | None = Field(None, description=DATE + " Default -7d.")
    date_to: PostHogDate | None = Field(None, description="Same forms; default now.")
    funnel_window_interval: int | None = Field(
        None, ge=1, description="Time allowed to convert; default 14 days."
    )
    funnel_window_interval_type: WindowUnit | None = None
    filter_test_accounts: bool | None = None
    format: Literal["json", "csv"] | None = None

    @classmethod
    def from_catalogue(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Steps given as objects (the catalogue's and PostHog's) read as names and ids."""
        return funnel_steps(super().from_catalogue(data))

    @model_validator(mode="after")
    def _steps(self) -> RunFunnelArgs:
        if any(not e.strip() for e in self.events or []):
            raise ValueError("event names must not be empty")
        check_order(self.date_from, self.date_to)
        return self


def _funnel_plan(args: RunFunnelArgs, ctx: Context) -> Plan[dict[str, Any]]:
    steps = [BareSeries(event=e) for e in args.events or []]
    steps += [BareSeries(id=a) for a in args.actions or []]
    window = {
        "funnelWindowInterval": args.funnel_window_interval,
        "funnelWindowIntervalUnit": args.funnel_window_interval_type,
    }
    query = {
        "kind": "FunnelsQuery",
        "series": [s.to_api() for s in steps],
        "dateRange": date_range(args.date_from, args.date_to),
        "funnelsFilter": {"funnelVizType": "steps", **{k: v for k, v in window.items() if v}},
        "filterTestAccounts": args.filter_test_accounts,
    }
    return (yield from run_query(ctx, drop_none(query), "funnel"))


def _pct(part: Any, whole: Any) -> str:
    if not isinstance(part, int | float) or not isinstance(whole, int | float) or not whole:
        return "n/a"
    return f"{100 * part / whole:.1f}%"


def _funnel_rows(steps: list[dict[str, Any]]) -> list[list[Any]]:
    """Per step: number, name, count, % of previous, % of first, median seconds to convert."""
    rows = []
    for i, step in enumerate(steps):
        count = step.get("count")
        previous = steps[i - 1].get("count") if i else None
        first = steps[0].get("count")
        rows.append(
            [
                i + 1,
                step.get("custom_name") or step.get("name") or step.get("action_id") or "step",
                count,
                _pct(count, previous) if i else "",
                _pct(count, first) if i else "",
                step.get("median_conversion_time") if i else None,
            ]
        )
    return rows


def _render_funnel(data: Any, args: RunFunnelArgs, ctx: Context) -> str:
    pending = pending_text(data, "Call again with the same arguments in a minute.")
    if pending:
        return pending
    results = data.get("results") or []
    groups = results if results and isinstance(results[0], list) else [results]
    if args.format == "csv":
        header = ["step", "name", "count", "pct_of_previous", "pct_of_first", "median_s"]
        return clip(csv_text([header, *(row for group in groups for row in _funnel_rows(group))]))
    window = f"{args.funnel_window_interval or 14} {args.funnel_window_interval_type or 'day'}(s)"
    lines = [f"Funnel{period(data)}, conversion window {window}:"]
    for group in groups:
        if not group:
            continue
        if len(groups) > 1:
            value = group[0].get("breakdown_value")
            lines.append(f"{'(no value)' if value in (None, '', []) else value}:")
        for number, name, count, prev, first, median in _funnel_rows(group):
            text = f"{number}. {name}: {num(count)}"
            if number > 1:
                text += f" ({prev} of previous, {first} of first)"
            if median is not None:
                text += f"; median {duration(median)} to convert"
            lines.append(text)
    if not any(groups):
        lines.append("No steps returned: check the event names and the date range.")
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
    row(
        QUERIES,
        "posthog_run_funnel",
        "Run a funnel over ordered event or action steps: each step's count and conversion. "
        "Nothing is saved.",
        RunFunnelArgs,
        _funnel_plan,
        _render_funnel,
        catalogue="GET_FUNNEL_INSIGHTS_IN_PROJECT",
        explain=query_explainer("Check the event names and the date range, and call again."),
        example={"events": ["$pageview", "user signed up"], "date_from": "-30d"},
    ),
]
