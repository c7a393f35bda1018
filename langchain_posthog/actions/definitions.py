"""Data discovery: the project's event names, property names and types, and saved actions.

An agent reads these before it queries, so that the names it puts in a query are ones PostHog
has seen. Each list is one page of PostHog's own list; a search for an event that matches
nothing asks again without the search and names the closest events.
"""

# Argument models have no docstrings: pydantic would send them to the model as descriptions.

import difflib
import json
import re
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from langchain_posthog.actions._args import ArgsModel, Limit, Offset
from langchain_posthog.actions._render import cut, named, page_note, quoted, results, term
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import Area, http, row
from langchain_posthog.api.calls import Call, Plan

# What a team typed or its product sent: names, descriptions, tags, who verified, changed or owns
# a definition (PostHog users, as they named themselves), an event's chosen columns; an action's
# Slack message, and what its steps match (its event, element, URL and property filters).
_DEFINED = ("name", "description", "tags", "verified_by.*", "updated_by.*")
EVENTS = Area(
    "event_definition", "event_definitions", "event",
    text=(*_DEFINED, "owner.*", "default_columns"),
)  # fmt: skip
PROPERTIES = Area(
    "property_definition", "property_definitions", "property", "properties", text=_DEFINED
)
_STEPS = (
    "event", "selector", "tag_name", "text", "href", "url",
    "properties[].key", "properties[].value",
)  # fmt: skip
ACTION_AREA = Area(
    "action", "actions", "action", ui="data-management/actions",
    text=("name", "description", "tags", "slack_message_format", *(f"steps[].{f}" for f in _STEPS)),
)  # fmt: skip

# PostHog orders event definitions by when they were last seen when asked to (name, last_seen_at
# and created_at are all it can order by: posthog/api/event_definition.py). Asked for nothing, a
# large project comes back in name order, which says nothing about which events matter.
EVENT_ORDER = "-last_seen_at"
# How many recent events a search that matched nothing is compared with, and how many are named.
NEARBY = 100
CLOSEST = 3
CLOSE_ENOUGH = 0.6
DESCRIPTION = 120
GROUP_TYPES = 5  # PostHog's GROUP_TYPES_LIMIT: group type indexes are 0 to 4
EventName = Annotated[str, Field(min_length=1)]

# -- events -------------------------------------------------------------------------------------


class ListEventDefinitionsArgs(ArgsModel):
    search: str | None = Field(None, description="Part of an event name; every word must match.")
    limit: Limit = 50
    offset: Offset | None = None


def _events_plan(args: ListEventDefinitionsArgs, ctx: Context) -> Plan[dict[str, Any]]:
    params = {"search": args.search, "limit": args.limit, "offset": args.offset}
    reply = yield Call("GET", EVENTS.at(ctx), params={**params, "ordering": EVENT_ORDER})
    data: dict[str, Any] = reply.data if isinstance(reply.data, dict) else {"results": reply.data}
    if not args.search or results(data) or args.offset:
        return data
    # Nothing matched: the recent events are where the name the model meant most likely is.
    nearby = yield Call("GET", EVENTS.at(ctx), params={"limit": NEARBY, "ordering": EVENT_ORDER})
    return {**data, "without_search": nearby.data}


def _event_line(event: dict[str, Any]) -> str:
    seen = str(event.get("last_seen_at") or "")[:10]
    facts = [f"last seen {term(seen)}" if seen else "never seen"]
    volume = event.get("volume_30_day")
    if isinstance(volume, int) and not isinstance(volume, bool):
        facts.append(f"{volume:,} in 30 days")
    facts += [flag for flag in ("verified", "hidden") if event.get(flag)]
    text = f"- {_name(event)}: " + ", ".join(facts)
    if event.get("description"):
        text += f"; {quoted(event['description'], DESCRIPTION)}"
    return text


def _name(item: dict[str, Any]) -> str:
    return quoted(item["name"]) if item.get("name") else "(unnamed)"


def closest(wanted: str, names: list[str], n: int = CLOSEST) -> list[str]:
    """The ``n`` names most like ``wanted``, best first; none when nothing is close.

    Case, ``$``, ``_`` and spaces are ignored, and ``wanted`` is also held against each run of
    words of a name, so that "signup" finds "user signed up".
    """
    target = _squash(wanted)
    scored = []
    for index, name in enumerate(names):
        words = _words(name)
        runs = [
            "".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)
        ]
        score = max((_ratio(target, run) for run in runs), default=0.0)
        if score >= CLOSE_ENOUGH:
            scored.append((-score, index, name))
    return [name for _, _, name in sorted(scored)[:n]]


def _words(text: str) -> list[str]:
    return re.sub(r"[\W_]+", " ", text.lower()).split()


def _squash(text: str) -> str:
    return "".join(_words(text))


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _render_events(data: Any, args: ListEventDefinitionsArgs, ctx: Context) -> str:
    items = results(data)
    if not items and args.search and isinstance(data, dict) and "without_search" in data:
        return _no_match(args.search, results(data["without_search"]))
    note = page_note(data, shown=len(items), offset=args.offset, noun="events")
    if not items:
        return note if args.offset else "No events yet: nothing has been captured in this project."
    if not any("volume_30_day" in e for e in items):
        # Older PostHog, which counted volumes, could not order by last seen: it ordered by volume.
        note = note.replace(".", ", most recently seen first.", 1)
    return "\n".join([note, *map(_event_line, items)])


def _no_match(search: str, recent: list[dict[str, Any]]) -> str:
    names = [str(e["name"]) for e in recent if e.get("name")]
    head = f"No event matches {quoted(search)}"
    if not names:
        return f"{head}: this project has no events yet."
    near = closest(search, names)
    if near:
        listed = ", ".join(map(quoted, near))
        which = "the closest is" if len(near) == 1 else "the closest are"
        return (
            f"{head}; {which} {listed}. Use the exact name, or search again with a shorter part "
            "of the name."
        )
    listed = ", ".join(map(quoted, names[:10]))
    return (
        f"{head}, and none of the {len(names)} most recently seen events is close. The most "
        f"recently seen are {listed}. Search again with another part of the name."
    )


# -- properties ---------------------------------------------------------------------------------


class ListPropertyDefinitionsArgs(ArgsModel):
    type: Literal["event", "person", "session", "group"] | None = Field(
        None, description="Whose properties; default event."
    )
    event_names: Annotated[list[EventName], Field(min_length=1, max_length=20)] | None = Field(
        None, description="Only properties seen with these events."
    )
    group_type_index: int | None = Field(None, ge=0, le=GROUP_TYPES - 1, description="For group.")
    search: str | None = Field(None, description="Part of a property name.")
    limit: Limit = 100
    offset: Offset | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        kind = self.type or "event"
        if kind == "group" and self.group_type_index is None:
            raise ValueError(
                "type 'group' needs group_type_index (0-4), the group type's index, e.g. 0 for "
                "the first group type (such as company)"
            )
        if kind != "group" and self.group_type_index is not None:
            raise ValueError("group_type_index applies to type 'group' only")
        if kind != "event" and self.event_names:
            raise ValueError("event_names applies to event properties only (type 'event')")
        return self


def _properties_params(args: ListPropertyDefinitionsArgs) -> dict[str, Any]:
    params: dict[str, Any] = {
        "type": args.type,
        "group_type_index": args.group_type_index,
        "search": args.search,
        "limit": args.limit,
        "offset": args.offset,
    }
    if args.event_names:
        # PostHog reads event_names as one JSON list, and only narrows the list to properties
        # seen with those events when filter_by_event_names is also true.
        params["event_names"] = json.dumps(args.event_names, ensure_ascii=False)
        params["filter_by_event_names"] = "true"
    return params


def _property_line(prop: dict[str, Any]) -> str:
    kind = prop.get("property_type") or ("Numeric" if prop.get("is_numerical") else None)
    facts = [term(kind) if kind else "type not known yet"]
    facts += [flag for flag in ("verified", "hidden") if prop.get(flag)]
    if prop.get("virtual"):
        facts.append("computed by PostHog")
    text = f"- {_name(prop)}: " + ", ".join(facts)
    if prop.get("description"):
        text += f"; {quoted(prop['description'], DESCRIPTION)}"
    return text


def _properties_noun(args: ListPropertyDefinitionsArgs) -> str:
    kind = args.type or "event"
    if kind == "group":
        return f"group type {args.group_type_index} properties"
    return f"{kind} properties"


def _render_properties(data: Any, args: ListPropertyDefinitionsArgs, ctx: Context) -> str:
    items = results(data)
    noun = _properties_noun(args)
    note = page_note(data, shown=len(items), offset=args.offset, noun=noun)
    seen_with = ""
    if args.event_names:
        seen_with = " seen with " + ", ".join(map(quoted, args.event_names))
    if items:
        head = note.replace(".", f"{seen_with}.", 1) if seen_with else note
        return "\n".join([head, *map(_property_line, items)])
    if args.offset:
        return note
    if args.search:
        return (
            f"No {noun}{seen_with} match {quoted(args.search)}. Search with a shorter part of "
            "the name, or leave search out to list them all."
        )
    if args.event_names:
        return (
            f"No {noun}{seen_with}. Check the event names with posthog_list_event_definitions: "
            "they must match exactly."
        )
    return f"No {noun} yet: none has been captured in this project."


# -- actions ------------------------------------------------------------------------------------


class ListActionsArgs(ArgsModel):
    limit: Limit = 50
    offset: Offset | None = None


def _matching(step: dict[str, Any], field: str, default: str) -> str:
    return term(step.get(f"{field}_matching") or default)


def _condition(prop: Any) -> str:
    if not isinstance(prop, dict):
        return quoted(prop)
    key = quoted(prop["key"]) if prop.get("key") else "(no key)"
    operator = prop.get("operator") or "exact"
    if operator in ("is_set", "is_not_set"):
        return f"{key} {operator.replace('_', ' ')}"
    if prop.get("value") is None:
        return f"{key} {term(operator)}"
    return f"{key} {term(operator)} {quoted(prop.get('value'))}"


def _step_text(step: dict[str, Any]) -> str:
    event = step.get("event")
    parts = [quoted(event) if event else "any event"]
    if step.get("url"):
        parts.append(f"url {_matching(step, 'url', 'contains')} {quoted(step['url'])}")
    if step.get("href"):
        parts.append(f"link {_matching(step, 'href', 'exact')} {quoted(step['href'])}")
    if step.get("text"):
        parts.append(f"text {_matching(step, 'text', 'exact')} {quoted(step['text'])}")
    if step.get("selector"):
        parts.append(f"selector {quoted(step['selector'])}")
    if step.get("tag_name"):
        parts.append(f"tag {quoted(step['tag_name'])}")
    text = parts[0] + (" with " + ", ".join(parts[1:]) if len(parts) > 1 else "")
    conditions = [_condition(p) for p in step.get("properties") or []]
    return text + (" where " + " and ".join(conditions) if conditions else "")


def _action_line(action: dict[str, Any]) -> str:
    steps = [s for s in action.get("steps") or [] if isinstance(s, dict)]
    matches = " OR ".join(_step_text(s) for s in steps) or "no steps: it matches nothing"
    text = f"- {named(action)}: {matches}"
    if action.get("description"):
        text += f"; {quoted(action['description'], DESCRIPTION)}"
    return text


def _render_actions(data: Any, args: ListActionsArgs, ctx: Context) -> str:
    items = [a for a in results(data) if not a.get("deleted")]
    note = page_note(data, shown=len(items), offset=args.offset, noun="actions")
    if not items:
        if args.offset:
            return note
        return (
            "No saved actions in this project. Count events directly by name "
            "(posthog_list_event_definitions lists them)."
        )
    lines = cut([_action_line(a) for a in items], hint="call again with offset")
    # One link pattern instead of one link per line: the same for every action, a fifth the tokens.
    link = ctx.ui(f"{ACTION_AREA.ui}/<id>", items[0])
    use = "Count one with posthog_run_trends, series [{id: <id>}]."
    return "\n".join([f"{note} {use}", *lines, f"Open one: {link}"])


ACTIONS = [
    row(
        EVENTS,
        "posthog_list_event_definitions",
        "List the project's event names, most recently seen first. Call it before any query to "
        "get exact event names; a search matching nothing names the closest events.",
        ListEventDefinitionsArgs,
        _events_plan,
        _render_events,
        example={"search": "signed up"},
    ),
    row(
        PROPERTIES,
        "posthog_list_property_definitions",
        "List property names and types (String, Numeric, DateTime, Boolean) of events, persons, "
        "sessions or groups, optionally only those seen with given events. Use it for exact "
        "keys in filters and breakdowns.",
        ListPropertyDefinitionsArgs,
        http("GET", PROPERTIES.collection, params=_properties_params),
        _render_properties,
        example={"event_names": ["checkout completed"]},
    ),
    row(
        ACTION_AREA,
        "posthog_list_actions",
        "List saved actions (named groups of events, e.g. clicks on a button) with ids, what "
        "each matches and links. Use an id as a trends series.",
        ListActionsArgs,
        http("GET", ACTION_AREA.collection),
        _render_actions,
        example={"limit": 50},
    ),
]
