"""Error tracking: the issues PostHog groups captured exceptions into, from its query API."""

# Argument models have no docstrings: pydantic would send them to the model as descriptions.

import re
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from langchain_posthog.actions._args import ArgsModel, Limit, Offset
from langchain_posthog.actions._dates import PostHogDate, check_order
from langchain_posthog.actions._nodes import DATE, date_range, drop_none
from langchain_posthog.actions._render import clip, num, quoted, term
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

DEFAULT_FROM = "-7d"
Status = Literal["active", "resolved", "suppressed", "all"]
OrderBy = Literal["occurrences", "users", "sessions", "last_seen", "first_seen"]
_ORDER_WORDS = {
    "occurrences": "most occurrences first",
    "users": "most users first",
    "sessions": "most sessions first",
    "last_seen": "most recently seen first",
    "first_seen": "newest first",
}
# What an issue holds that its exceptions' senders wrote: its name (the exception type) and
# description (the message), the SDK that sent it, the first and last exception's properties,
# and linked issues elsewhere. Also the answer's column names, PostHog's own here and not shown,
# which a query's author chooses elsewhere. In the answer, or in a finished background query's
# status.
_ISSUE_TEXT = (
    "name", "description", "library", "first_event.properties", "last_event.properties",
    "external_issues[].external_url", "external_issues[].integration.display_name",
)  # fmt: skip
ERRORS_TEXT = tuple(
    f"{where}{part}"
    for where in ("", "query_status.results.")
    for part in ("columns[]", *(f"results[].{key}" for key in _ISSUE_TEXT))
)
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d[\w:.+-]*")


class ListErrorsArgs(ArgsModel):
    date_from: PostHogDate | None = Field(None, description=DATE + " Default -7d.")
    date_to: PostHogDate | None = Field(None, description="Same forms; default now.")
    status: Status | None = Field(None, description="Default active.")
    order_by: OrderBy | None = Field(None, description="Default occurrences.")
    search: str | None = Field(
        None, min_length=1, max_length=200, description="Text in the exception type or message."
    )
    limit: Limit = 20
    offset: Offset | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        check_order(self.date_from, self.date_to)
        return self


def _errors_plan(args: ListErrorsArgs, ctx: Context) -> Plan[dict[str, Any]]:
    order = args.order_by or "occurrences"
    query = {
        "kind": "ErrorTrackingQuery",
        "dateRange": date_range(args.date_from or DEFAULT_FROM, args.date_to),
        "orderBy": order,
        # PostHog lists first_seen oldest first unless told; the newest issues are the news.
        "orderDirection": "DESC" if order == "first_seen" else None,
        "status": args.status or "active",
        "searchQuery": args.search,
        "volumeResolution": 0,  # no volume histogram: the counts are what is read
        "limit": args.limit,
        "offset": args.offset,
    }
    return (yield from run_query(ctx, drop_none(query), "error tracking issues"))


def _moment(value: Any) -> str:
    """``2026-11-20T17:03:44.120000Z`` as ``2026-11-20 17:03``; anything else as a term."""
    text = str(value)
    return text[:16].replace("T", " ") if _TIMESTAMP.fullmatch(text) else term(text)


def _issue_line(issue: dict[str, Any], ctx: Context) -> str:
    name = quoted(issue.get("name") or "(unnamed issue)", 200)
    if issue.get("description"):
        name += f": {quoted(issue['description'], 300)}"
    counts = issue.get("aggregations") or {}
    seen = [
        f"{num(counts[key])} {key}" for key in ("occurrences", "users", "sessions") if key in counts
    ]
    seen += [
        f"{word} {_moment(issue[key])}"
        for key, word in (("first_seen", "first seen"), ("last_seen", "last seen"))
        if issue.get(key)
    ]
    status = issue.get("status")
    if status:
        seen.append(term(status))
    link = ctx.ui(f"error_tracking/{issue.get('id')}") if issue.get("id") else ""
    return f"- {name}; " + ", ".join(seen) + (f"; {link}" if link else "")


def _render_errors(data: Any, args: ListErrorsArgs, ctx: Context) -> str:
    pending = pending_text(data, "Call again with the same arguments in a minute.")
    if pending:
        return pending
    issues = [i for i in data.get("results") or [] if isinstance(i, dict)]
    status = args.status or "active"
    span = period(data) or f" {args.date_from or DEFAULT_FROM} to {args.date_to or 'now'}"
    which = "" if status == "all" else f"{status} "
    found = f" matching {quoted(args.search)}" if args.search else ""
    offset, noun = args.offset or 0, f"{which}error tracking issues"
    if not issues:
        if offset:
            return f"No {noun}{found} at offset {offset}: the list ends before it."
        wider = "widen the range (e.g. date_from='-30d')"
        more = f"{wider} or use status='all'" if status != "all" else wider
        if args.search:
            more += ", or search for less"
        return f"No {noun}{found} from{span}. To find some, {more}."
    order = _ORDER_WORDS[args.order_by or "occurrences"]
    head = f"{noun[0].upper()}{noun[1:]}{found} {offset + 1}-{offset + len(issues)}"
    lines = [f"{head} from{span}, {order}:"]
    lines += [_issue_line(issue, ctx) for issue in issues]
    if data.get("hasMore"):
        lines.append(f"More exist: call again with offset={offset + len(issues)}.")
    return clip("\n".join(lines))


ACTIONS = [
    row(
        QUERIES,
        "posthog_list_errors",
        "List error tracking issues (grouped exceptions) over a date range, default the last 7 "
        "days: name, message, occurrences, users, sessions, first and last seen, status, link.",
        ListErrorsArgs,
        _errors_plan,
        _render_errors,
        user_text=ERRORS_TEXT,
        explain=query_explainer(
            "Check the dates, status and search, and call again.",
            "Shorten the date range, or narrow it with status or search",
        ),
        example={"date_from": "-7d"},
    ),
]
