"""Annotations: mark a deploy or an incident on the charts, and list the marks in a window."""

# Argument models have no docstrings: pydantic would send them to the model as descriptions.

import dataclasses
import re
from datetime import UTC, datetime, time
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, PrivateAttr, model_validator

from langchain_posthog.actions._args import ArgsModel, Limit, Offset, text_max
from langchain_posthog.actions._dates import PostHogDate, check_order, iso, parse_date
from langchain_posthog.actions._nodes import DATE
from langchain_posthog.actions._render import (
    MAX_ITEMS,
    cut,
    page_note,
    quoted,
    results,
    said,
    term,
)
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import Area, create_row, row
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.api.errors import PostHogAPIError

ANNOTATIONS = Area(
    "annotation",
    "annotations",
    "annotation",
    ui="data-management/annotations",
    not_found="List annotations with posthog_list_annotations.",
    text=("content", "insight_name", "insight_derived_name", "dashboard_name"),
)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _marker(value: str) -> str:
    if value.strip().lower() != "now":
        parse_date(value)
    return value.strip()


class CreateAnnotationArgs(ArgsModel):
    content: Annotated[str, text_max(400)] = Field(description="e.g. Deployed v2.3.")
    date_marker: Annotated[str, AfterValidator(_marker)] | None = Field(
        None, description="When: now (default), -2h, or ISO (UTC unless it has an offset)."
    )
    scope: Literal["project", "organization", "dashboard_item"] | None = Field(
        None, description="Where it shows; default project (dashboard_item: one insight)."
    )
    dashboard_item: int | None = Field(None, ge=1, description="Insight id.")

    @model_validator(mode="after")
    def _insight_scope(self) -> Self:
        if self.scope == "dashboard_item" and self.dashboard_item is None:
            raise ValueError(
                "scope dashboard_item needs dashboard_item, the insight's id "
                "(see posthog_list_insights)"
            )
        return self


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _create_body(args: CreateAnnotationArgs) -> dict[str, Any]:
    marker = args.date_marker
    moment = _now() if marker is None or marker.lower() == "now" else parse_date(marker)
    moment = moment.astimezone(UTC).replace(microsecond=0)
    # Given an insight and no scope, the mark is meant for that insight.
    scope = args.scope or ("dashboard_item" if args.dashboard_item else "project")
    body: dict[str, Any] = {"content": args.content, "date_marker": iso(moment), "scope": scope}
    if args.dashboard_item is not None:
        body["dashboard_item"] = args.dashboard_item
    return body


def _explain_create(error: PostHogAPIError, args: Any, ctx: Context) -> PostHogAPIError | None:
    if error.status == 400 and error.attr == "dashboard_item":
        detail = (error.detail or "not an insight").rstrip(".")
        hint = "dashboard_item is an insight's id (not short_id): see posthog_list_insights"
        return dataclasses.replace(error, detail=f"{detail}; {hint}")
    return None


class ListAnnotationsArgs(ArgsModel):
    search: str | None = Field(None, description="Part of the text.")
    date_from: PostHogDate | None = Field(None, description=DATE)
    date_to: PostHogDate | None = Field(None, description="Same forms; a date alone: its end.")
    limit: Limit = 50
    offset: Offset = 0

    # The moments the dates stand for, resolved once: what is sent is what the answer is read by.
    _window: tuple[datetime | None, datetime | None] = PrivateAttr((None, None))

    @model_validator(mode="after")
    def _order(self) -> Self:
        check_order(self.date_from, self.date_to)
        return self

    def model_post_init(self, context: Any) -> None:
        """Resolve the dates (private attributes are set after the validators have run)."""
        start = parse_date(self.date_from) if self.date_from else None
        end = parse_date(self.date_to) if self.date_to else None
        if end is not None and self.date_to and _DAY.match(self.date_to):
            end = datetime.combine(end.date(), time(23, 59, 59), UTC)
        # In UTC: an offset's '+' would reach PostHog as a space in the query string.
        self._window = (
            start and start.astimezone(UTC).replace(microsecond=0),
            end and end.astimezone(UTC).replace(microsecond=0),
        )


def _list_plan(args: ListAnnotationsArgs, ctx: Context) -> Plan[Any]:
    # PostHog reads the window as ISO only (fromisoformat): relative dates go resolved.
    start, end = args._window
    params = {
        "search": args.search,
        "date_from": start and iso(start),
        "date_to": end and iso(end),
        "limit": args.limit,
        "offset": args.offset,
    }
    return (yield Call("GET", ANNOTATIONS.at(ctx), params=params)).data or {}


# -- rendering ------------------------------------------------------------------------------


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _when(value: Any) -> str:
    moment = _moment(value)
    if moment is None:
        return quoted(value) if value else "(no date)"
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _where(note: dict[str, Any]) -> str:
    scope = note.get("scope") or "project"
    if scope == "dashboard_item":
        name = note.get("insight_name") or note.get("insight_derived_name")
        item = note.get("dashboard_item")
        return "insight " + (quoted(name) if name else said("{}", item and term(item)))
    if scope == "dashboard" and note.get("dashboard_name"):
        return "dashboard " + quoted(note["dashboard_name"])
    return term(scope)


def _line(note: dict[str, Any]) -> str:
    creator = (note.get("created_by") or {}).get("first_name")
    return (
        f"- {_when(note.get('date_marker'))}, {_where(note)}: {quoted(note.get('content') or '')}"
        + said(" by {}", creator and quoted(creator))
        + said(" (id {})", note.get("id") and term(note["id"]))
    )


def _created_text(data: Any, args: CreateAnnotationArgs, ctx: Context) -> str:
    return _line(data)[2:]


def _span(start: datetime | None, end: datetime | None) -> str:
    if start and end:
        return f"from {_when(iso(start))} to {_when(iso(end))}"
    if start:
        return f"since {_when(iso(start))}"
    return f"until {_when(iso(end))}" if end else ""


def _render_list(data: Any, args: ListAnnotationsArgs, ctx: Context) -> str:
    start, end = args._window
    span = _span(start, end)
    items = results(data)
    # An older PostHog ignores date_from and date_to: what falls outside is not shown as inside.
    inside = [
        n
        for n in items
        if (moment := _moment(n.get("date_marker"))) is None
        or ((start is None or moment >= start) and (end is None or moment <= end))
    ]
    if not items and not args.offset:
        matching = said("matching {}", args.search and quoted(args.search))
        looked = " ".join(filter(None, [matching, span]))
        tries = [said("{}", span and "widen the dates"), said("{}", matching and "drop search")]
        advice = " or ".join(filter(None, tries)) or "mark one with posthog_create_annotation"
        return f"No annotations{said(' {}', looked)}: {advice}."
    lines = [page_note(data, shown=len(items), offset=args.offset, noun="annotations")]
    if items:
        lines.append((span[:1].upper() + span[1:] if span else "All dates") + ", newest first:")
    if len(inside) < len(items):
        lines.append(
            f"{len(items) - len(inside)} on this page fall outside the dates and are left out "
            "(this PostHog does not filter annotations by date)."
        )
    rest = f"call again with offset={args.offset + MAX_ITEMS}"
    lines += cut([_line(n) for n in inside], hint=rest)
    return "\n".join(lines)


ACTIONS = [
    create_row(
        ANNOTATIONS,
        "posthog_create_annotation",
        "Mark a moment (a deploy, an incident, a campaign) on the project's charts, or on one "
        "insight's. Returns the annotation.",
        CreateAnnotationArgs,
        _created_text,
        head="Created annotation ",
        body=_create_body,
        explain=_explain_create,
        example={
            "content": "Deployed v2.3 (checkout rewrite)",
            "date_marker": "2026-11-18T14:05:00Z",
        },
    ),
    row(
        ANNOTATIONS,
        "posthog_list_annotations",
        "List annotations (deploys, incidents, launches), newest first, in a date range or by "
        "text: when, where they show, what they say, who wrote them.",
        ListAnnotationsArgs,
        _list_plan,
        _render_list,
        example={"date_from": "2026-11-01", "date_to": "2026-11-20"},
    ),
]
