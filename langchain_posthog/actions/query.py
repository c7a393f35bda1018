"""Queries run on demand: funnels and HogQL (SQL); trends are in actions/trends.py."""

import re
from typing import Any, Literal, Self

from pydantic import Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from langchain_posthog.actions._args import ArgsModel, PathId
from langchain_posthog.actions._catalogue import funnel_steps
from langchain_posthog.actions._dates import PostHogDate, check_order
from langchain_posthog.actions._nodes import (
    DATE,
    BareSeries,
    Series,
    WindowUnit,
    date_range,
    drop_none,
)
from langchain_posthog.actions._render import (
    clip,
    compact_json,
    csv_text,
    cut,
    duration,
    num,
    quoted,
)
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._running import (
    QUERIES,
    RESUME_WAITS,
    pending_text,
    period,
    poll_query,
    query_explainer,
    run_query,
)
from langchain_posthog.actions._shapes import row
from langchain_posthog.api.calls import Plan
from langchain_posthog.api.errors import PostHogAPIError

# -- funnels ----------------------------------------------------------------------------------

# A funnel's answer: its steps, or a list of steps per breakdown value.
_STEP_TEXT = ("name", "custom_name", "action_id", "breakdown", "breakdown_value")
FUNNEL_TEXT = tuple(f"results[]{nested}.{key}" for nested in ("", "[]") for key in _STEP_TEXT)


class RunFunnelArgs(ArgsModel):
    events: list[str] | None = Field(
        None, min_length=2, max_length=20, description="Steps, in order."
    )
    actions: list[int] | None = Field(
        None, min_length=2, max_length=20, description="Action ids, instead of events."
    )
    # Steps given as objects (the catalogue's, PostHog's nodes): events and actions in one
    # order, each with its own filters. Not advertised: the schema a model reads stays small.
    steps: SkipJsonSchema[list[Series] | None] = Field(None, min_length=2, max_length=20)
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
    def _steps(self) -> Self:
        given = [name for name in ("events", "actions", "steps") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(
                "give the steps as events or as actions (ids)"
                + (", not both" if len(given) > 1 else "")
            )
        if any(not e.strip() for e in self.events or []):
            raise ValueError("event names must not be empty")
        check_order(self.date_from, self.date_to)
        return self


def _funnel_plan(args: RunFunnelArgs, ctx: Context) -> Plan[dict[str, Any]]:
    steps: list[BareSeries] = [BareSeries(event=e) for e in args.events or []]
    steps += [BareSeries(id=a) for a in args.actions or []]
    steps += args.steps or []
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
            lines.append(f"{'(no value)' if value in (None, '', []) else compact_json(value)}:")
        for number, name, count, prev, first, median in _funnel_rows(group):
            text = f"{number}. {quoted(name)}: {num(count)}"
            if number > 1:
                text += f" ({prev} of previous, {first} of first)"
            if median is not None:
                text += f"; median {duration(median)} to convert"
            lines.append(text)
    if not any(groups):
        lines.append("No steps returned: check the event names and the date range.")
    return "\n".join(lines)


# -- HogQL --------------------------------------------------------------------------------------

MAX_ROWS_SHOWN = 200
# A query's answer, or a query PostHog ran in the background.
HOGQL_TEXT = tuple(
    f"{where}{part}"
    for where in ("", "query_status.results.")
    for part in ("columns[]", "results[][]", "error")
)
_FINAL_LIMIT = re.compile(r"\blimit\s+\d+(\s*(,|offset)\s*\d+)?\s*$", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")
HOGQL_FIX = (
    "Fix the SQL and call again. HogQL is ClickHouse SQL over tables such as events, persons "
    "and sessions; event properties are properties.$browser, person ones person.properties.email."
)


class RunHogQLQueryArgs(ArgsModel):
    one_of = ("query", "query_id", "give query (the SQL) or query_id (of a query still running)")
    query: str | None = Field(None, min_length=1, description="HogQL (ClickHouse SQL) SELECT.")
    limit: int = Field(100, ge=1, le=10000, description="Added as LIMIT if the SQL has none.")
    format: Literal["json", "csv"] | None = None
    query_id: PathId | None = Field(None, description="Fetch a still-running query's result.")


def with_limit(sql: str, limit: int) -> str:
    """Add ``LIMIT limit`` to the SQL when its outermost SELECT has none."""
    text = _bare(sql)
    bare = _COMMENT.sub("", text).rstrip()
    if _FINAL_LIMIT.search(bare) or re.search(r"\bsettings\b", bare, re.IGNORECASE):
        return text
    return f"{text}\nLIMIT {limit}"


def _bare(sql: str) -> str:
    return sql.strip().rstrip(";").rstrip()


def _hogql_plan(args: RunHogQLQueryArgs, ctx: Context) -> Plan[dict[str, Any]]:
    if args.query_id:
        return (yield from poll_query(ctx, args.query_id, RESUME_WAITS))
    query = {"kind": "HogQLQuery", "query": with_limit(args.query or "", args.limit)}
    return (yield from run_query(ctx, query, "hogql"))


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return compact_json(value, pruned=False)
    return num(value) if isinstance(value, float) else quoted(value)


def _render_hogql(data: Any, args: RunHogQLQueryArgs, ctx: Context) -> str:
    pending = pending_text(
        data, "Call posthog_run_hogql_query with that query_id in a minute to get the result."
    )
    if pending:
        return pending
    columns = [str(c) for c in data.get("columns") or []]
    rows = [r if isinstance(r, list) else [r] for r in data.get("results") or []]
    if args.format == "csv":
        return clip(csv_text([columns, *rows]))
    lines = [f"{len(rows)} row(s). Columns: {' | '.join(map(quoted, columns))}"]
    lines += cut(
        [" | ".join(_cell(v) for v in row) for row in rows],
        MAX_ROWS_SHOWN,
        "all rows are in the artifact; aggregate or add a smaller LIMIT to read them here",
    )
    if data.get("hasMore"):
        lines.append("PostHog has more rows: raise the SQL's LIMIT (or limit) to get them.")
    elif (
        args.query
        and len(rows) >= args.limit
        and with_limit(args.query, args.limit) != _bare(args.query)
    ):
        lines.append(f"Capped at limit={args.limit} (added as LIMIT); raise limit for more rows.")
    if data.get("error"):
        lines.append(f"PostHog reported: {quoted(data['error'])}")
    return clip("\n".join(lines))


_hogql_errors = query_explainer(HOGQL_FIX, "Shorten the date range, filter more or add a LIMIT")


def _explain_hogql(error: PostHogAPIError, args: RunHogQLQueryArgs, ctx: Context) -> str | None:
    # A 404 names the query id only when one was given; without one it is the project's.
    if error.status == 404 and args.query_id:
        return (
            f"Not found (404) in project {ctx.project_id}: nothing with query_id "
            f"{args.query_id} exists; it is unknown or expired. Run the SQL again with query."
        )
    return _hogql_errors(error, args, ctx)


ACTIONS = [
    row(
        QUERIES,
        "posthog_run_funnel",
        "Run a funnel over ordered event or action steps: each step's count and conversion. "
        "Nothing is saved.",
        RunFunnelArgs,
        _funnel_plan,
        _render_funnel,
        catalogue="GET_FUNNEL_INSIGHTS_IN_PROJECT",
        user_text=FUNNEL_TEXT,
        explain=query_explainer("Check the event names and the date range, and call again."),
        example={"events": ["$pageview", "user signed up"], "date_from": "-30d"},
    ),
    row(
        QUERIES,
        "posthog_run_hogql_query",
        "Run a HogQL (SQL) query over events, persons, sessions... and get the rows as a table. "
        "For questions the other tools cannot express.",
        RunHogQLQueryArgs,
        _hogql_plan,
        _render_hogql,
        user_text=HOGQL_TEXT,
        explain=_explain_hogql,
        example={
            "query": "SELECT event, count() AS c FROM events WHERE timestamp > now() - INTERVAL 7 "
            "DAY GROUP BY event ORDER BY c DESC LIMIT 10"
        },
    ),
]
