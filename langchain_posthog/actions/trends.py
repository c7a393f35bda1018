"""Trends run on demand: series counted over time, optionally against the period before."""

import json
import re
from typing import Any, Self

from pydantic import Field, model_validator

from langchain_posthog.actions._args import ArgsModel
from langchain_posthog.actions._dates import PostHogDate, check_order
from langchain_posthog.actions._nodes import (
    DATE,
    PROPERTY_MATH,
    BareSeries,
    BreakdownType,
    Interval,
    date_range,
    drop_none,
)
from langchain_posthog.actions._render import (
    clip,
    cut,
    num,
    quoted,
    term,
)
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._running import (
    QUERIES,
    pending_text,
    period,
    query_explainer,
    run_query,
)
from langchain_posthog.actions._shapes import row
from langchain_posthog.api.calls import Plan

MAX_POINTS = 60
TRENDS_TEXT = ("results[].label", "results[].action", "results[].breakdown_value")
UNIQUE_MATH = frozenset({"dau", "weekly_active", "monthly_active", "unique_session"})


class RunTrendsArgs(ArgsModel):
    series: list[BareSeries] = Field(min_length=1, max_length=10)
    date_from: PostHogDate | None = Field(None, description=DATE + " Default -7d.")
    date_to: PostHogDate | None = Field(None, description="Same forms; default now.")
    interval: Interval | None = None
    breakdown: str | None = Field(None, description="Property to split by, e.g. $browser.")
    breakdown_type: BreakdownType | None = None
    where: str | None = Field(
        None, description="HogQL filter on the events, e.g. properties.$os = 'iOS'."
    )
    filter_test_accounts: bool | None = None
    # No description: the name says it, and one would double what the field costs every call.
    compare_to_previous: bool | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.breakdown_type and not self.breakdown:
            raise ValueError("breakdown_type needs breakdown, the property to split by")
        if self.compare_to_previous and self.date_from == "all":
            raise ValueError(
                "compare_to_previous needs a date_from such as -7d: 'all' has no period before it"
            )
        check_order(self.date_from, self.date_to)
        return self


def _trends_plan(args: RunTrendsArgs, ctx: Context) -> Plan[dict[str, Any]]:
    query: dict[str, Any] = {
        "kind": "TrendsQuery",
        "series": [s.to_api() for s in args.series],
        "dateRange": date_range(args.date_from, args.date_to),
        "interval": args.interval,
        "properties": [{"type": "hogql", "key": args.where}] if args.where else None,
        "filterTestAccounts": args.filter_test_accounts,
    }
    if args.breakdown:
        query["breakdownFilter"] = {
            "breakdown": args.breakdown,
            "breakdown_type": args.breakdown_type or "event",
        }
    if args.compare_to_previous:
        query["compareFilter"] = {"compare": True}
    return (yield from run_query(ctx, drop_none(query), "trends"))


def _series_name(result: dict[str, Any], args: RunTrendsArgs) -> str:
    """The series' name and breakdown value, as PostHog's users wrote them: quoted."""
    asked = _asked(result, args)
    action = _action(result)
    name = action.get("custom_name") or action.get("name") or result.get("label")
    if not name and asked and asked.id is None:
        name = asked.event  # the event asked for; none means all events
    text = quoted(name) if name else asked.label if asked else "series"
    breakdown = result.get("breakdown_value")
    if breakdown not in (None, "", []):
        parts = breakdown if isinstance(breakdown, list) else [breakdown]
        text += " [" + ", ".join("(no value)" if v is None else quoted(v) for v in parts) + "]"
    return text


def _action(result: dict[str, Any]) -> dict[str, Any]:
    raw = result.get("action")
    return raw if isinstance(raw, dict) else {}


def _asked(result: dict[str, Any], args: RunTrendsArgs) -> BareSeries | None:
    order = _action(result).get("order")
    return args.series[order] if isinstance(order, int) and 0 <= order < len(args.series) else None


def _math(result: dict[str, Any], args: RunTrendsArgs) -> str | None:
    asked = _asked(result, args)
    math = _action(result).get("math") or (asked.math if asked else None)
    return str(math) if math else None


def _total(result: dict[str, Any]) -> float:
    count = result.get("count")
    if isinstance(count, int | float) and not isinstance(count, bool):
        return count
    return sum(v for v in result.get("data") or [] if isinstance(v, int | float))


def _head(result: dict[str, Any], args: RunTrendsArgs) -> tuple[str, str | None]:
    """The series' name, and the word for its total (``None`` when totals mean nothing)."""
    math = _math(result, args)
    if math in PROPERTY_MATH:
        return f"{_series_name(result, args)} ({term(math)})", None
    return _series_name(result, args), "sum of interval values" if math in UNIQUE_MATH else "total"


def _points(result: dict[str, Any], before: dict[str, Any] | None = None) -> str:
    data = result.get("data") or []
    days = result.get("days") or result.get("labels") or []
    earlier = (before or {}).get("data") or []
    points = [
        f"{_moment(d)} {num(v)}" + (f"/{num(earlier[i])}" if i < len(earlier) else "")
        for i, (d, v) in enumerate(zip(days, data, strict=False))
    ]
    if len(points) > MAX_POINTS:
        skipped = len(points) - MAX_POINTS
        return ", ".join(points[-MAX_POINTS:]) + f" (first {skipped} intervals left out)"
    return ", ".join(points)


def _series_line(result: dict[str, Any], args: RunTrendsArgs) -> str:
    name, word = _head(result, args)
    head = f"{name}: {word} {num(_total(result))}" if word else name
    points = _points(result)
    return f"{head}; {points}" if points else head


def _compared_line(
    result: dict[str, Any], before: dict[str, Any] | None, args: RunTrendsArgs
) -> str:
    name, word = _head(result, args)
    head = name
    if word:
        now = _total(result)
        head = f"{name}: {word} {num(now)}"
        if before is None:
            head += ", previous n/a"
        else:
            head += f", previous {num(_total(before))} ({change(now, _total(before))})"
    points = _points(result, before)
    return f"{head}; {points}" if points else head


def change(now: float, before: float) -> str:
    """The change from ``before`` to ``now`` in percent: "+20%", "-12.5%", "new", "no change"."""
    if before == now:
        return "no change"
    if not before:
        return "new"
    percent = round((now - before) / abs(before) * 100, 1)
    return f"{'+' if percent > 0 else ''}{num(percent)}%"


def _key(result: dict[str, Any]) -> str:
    """What pairs a series of this period with its series of the period before."""
    return json.dumps([_action(result).get("order"), result.get("breakdown_value")], default=str)


def _moment(day: Any) -> str:
    """Write ``2026-11-20 06:00:00`` as ``2026-11-20 06:00``."""
    text = str(day)
    return text[:-3] if re.fullmatch(r".* \d\d:\d\d:00", text) else text


def _span(results: list[dict[str, Any]]) -> str:
    days = [
        str(d)[:10] for r in results for d in (r.get("days") or [])[:1] + (r.get("days") or [])[-1:]
    ]
    return f" {min(days)} to {max(days)}" if days else ""


def _render_trends(data: Any, args: RunTrendsArgs, ctx: Context) -> str:
    pending = pending_text(data, "Call again with the same arguments in a minute.")
    if pending:
        return pending
    results = [r for r in data.get("results") or [] if isinstance(r, dict)]
    head = f"Trends by {args.interval or 'day'}{period(data)}"
    if not results:
        return head + ": no data: check the event names, filters and date range."
    hint = "use fewer series or a breakdown limit"
    if not args.compare_to_previous:
        return clip(
            "\n".join([head + ":", *cut([_series_line(r, args) for r in results], 25, hint)])
        )
    current = [r for r in results if r.get("compare_label") != "previous"]
    previous = {_key(r): r for r in results if r.get("compare_label") == "previous"}
    if previous:
        head += f" against the previous period{_span(list(previous.values()))}"
        head += " (each interval: current/previous)"
    lines = [_compared_line(r, previous.get(_key(r)), args) for r in current]
    # A breakdown value seen only before (a browser that vanished) is a change too.
    shown = {_key(r) for r in current}
    lines += [_gone_line(r, args) for key, r in previous.items() if key not in shown]
    return clip("\n".join([head + ":", *cut(lines, 25, hint)]))


def _gone_line(before: dict[str, Any], args: RunTrendsArgs) -> str:
    name, word = _head(before, args)
    total = f", previous {word} {num(_total(before))}" if word else ""
    return f"{name}: not in this period's results{total}"


ACTIONS = [
    row(
        QUERIES,
        "posthog_run_trends",
        "Count events or actions over time, e.g. signups per day last week, optionally per "
        "property value. Returns totals and per-interval values; nothing is saved.",
        RunTrendsArgs,
        _trends_plan,
        _render_trends,
        user_text=TRENDS_TEXT,
        explain=query_explainer(
            "Check event names, property keys and math (avg..p99 need math_property), and call "
            "again."
        ),
        example={"series": [{"event": "user signed up"}], "date_from": "-7d"},
    ),
]
