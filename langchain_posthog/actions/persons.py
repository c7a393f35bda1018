"""Persons: read one by id or distinct id, and change its properties."""

import json
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Self
from urllib.parse import quote

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from langchain_posthog.actions._args import UUID_TEXT, ArgsModel
from langchain_posthog.actions._ingest import capture_call, explain_capture
from langchain_posthog.actions._render import compact_json, cut, quoted, said
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import Area, get_row, update_row
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.api.errors import PostHogConfigError, PostHogError
from langchain_posthog.api.redaction import redact
from langchain_posthog.schema import JsonText

PERSONS = Area(
    "person",
    "persons",
    "person",
    ui="person",
    not_found="Look the person up by distinct_id instead (the id a product sends events with).",
    text=("name", "distinct_ids[]", "properties.*"),
)
MAX_PROPERTIES = 40
MAX_DISTINCT_IDS = 10
MAX_VALUE = 120  # characters of one property's value: enough to read, cheap to list
# PostHog sets many $-properties itself; these few are the ones worth a model's attention.
_USEFUL_AUTO = (
    "$geoip_country_name", "$geoip_city_name", "$os", "$browser", "$initial_referring_domain",
    "$initial_utm_source", "$initial_utm_campaign", "$initial_current_url",
)  # fmt: skip


def _check_person_id(value: Any) -> str:
    # Checked here rather than as a schema pattern: a UUID regex costs 40 tokens on every call.
    text = str(value).strip() if isinstance(value, int | str) else ""
    if not (text.isdigit() and int(text) > 0) and not UUID_TEXT.match(text):
        raise ValueError("not a person id (a number or a UUID); for an event's id use distinct_id")
    return text


def _check_distinct_id(value: str) -> str:
    if not value:
        raise ValueError("distinct_id is empty")
    return value


PersonId = Annotated[
    str, BeforeValidator(_check_person_id), Field(description="Person id or UUID.")
]
DistinctId = Annotated[str, AfterValidator(_check_distinct_id)]


# Args models have no docstrings on purpose: pydantic would send them to the model in the
# schema, paid in tokens on every call. Field descriptions say what is needed.
class _PersonRef(ArgsModel):
    one_of = ("id", "distinct_id", "give exactly one of id or distinct_id")
    id: PersonId | None = None
    distinct_id: DistinctId | None = None


_FORMAT = (
    "json",
    "a person comes back as one record, not a table, so there is no CSV form; leave format out",
)


class GetPersonArgs(_PersonRef):
    unhonoured: ClassVar[Mapping[str, tuple[Any, str]]] = {"format": _FORMAT}


class UpdatePersonPropertiesArgs(_PersonRef):
    set: Annotated[dict[str, Any], JsonText()] | None = Field(None, description="JSON object.")
    unset: list[str] | None = Field(None, description="Names to remove.")
    renamed: ClassVar[Mapping[str, str]] = {"properties": "set"}
    unhonoured: ClassVar[Mapping[str, tuple[Any, str]]] = {
        "format": _FORMAT,
        "distinct_ids": (
            None,
            "a person's distinct ids come from the events sent for it and cannot be set here; "
            "merge two ids by capturing a $identify or $create_alias event with "
            "posthog_capture_event",
        ),
    }

    @classmethod
    def from_catalogue(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The catalogue's ``name`` is the person's ``name`` property; ``uuid`` names the person."""
        data = super().from_catalogue(data)
        uuid_given = data.pop("uuid", None)
        if uuid_given is not None:
            if data.get("id") not in (None, uuid_given) or data.get("distinct_id") is not None:
                raise ValueError(
                    "id and uuid differ; name the person once (id takes a number or UUID)"
                )
            data["id"] = uuid_given
        name = data.pop("name", None)
        if name is not None:
            changes = data.get("set")
            if isinstance(changes, str):
                try:
                    changes = json.loads(changes)
                except ValueError:
                    return data  # the set field's own validation names the problem
            if not isinstance(changes, dict):
                changes = {} if changes is None else changes
            if isinstance(changes, dict):
                if changes.get("name", name) != name:
                    raise ValueError("name and properties.name differ; give the name once")
                changes = {**changes, "name": name}
            data["set"] = changes
        return data

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.set and not self.unset:
            raise ValueError("give set, unset or both")
        if self.unset and (len(self.unset) > 100 or not all(self.unset)):
            raise ValueError("unset takes 1 to 100 non-empty property names")
        both = set(self.set or {}) & set(self.unset or [])
        if both:
            raise ValueError(f"properties both set and unset: {sorted(both)}")
        return self


def _by_distinct_id(distinct_id: str, ctx: Context) -> Plan[dict[str, Any]]:
    """Find the person with this distinct id (the list returns it whole: one call does)."""
    path = PERSONS.at(ctx)
    reply = yield Call("GET", path, params={"distinct_id": distinct_id})
    found = [p for p in (reply.data or {}).get("results") or [] if isinstance(p, dict)]
    if not found:
        raise PostHogError(
            f"No person in project {ctx.project_id} has distinct id {distinct_id!r}. Distinct ids "
            "are exact and case-sensitive, and a person exists only once an event for it has "
            "been ingested (a few seconds after capture)."
        )
    return found[0]


def _get_plan(args: GetPersonArgs, ctx: Context) -> Plan[dict[str, Any]]:
    if args.distinct_id is not None:
        return (yield from _by_distinct_id(args.distinct_id, ctx))
    reply = yield Call("GET", PERSONS.at(ctx, args.id))
    return reply.data or {}


def _value(value: Any) -> str:
    if not isinstance(value, dict | list):
        return quoted(value, limit=MAX_VALUE)
    text = compact_json(value)
    return text if len(text) <= MAX_VALUE else f"({len(text)} characters of JSON, in the artifact)"


def _properties(props: dict[str, Any]) -> list[str]:
    props = {k: v for k, v in props.items() if v not in (None, "")}
    own = [k for k in props if not k.startswith("$")]
    auto = [k for k in _USEFUL_AUTO if k in props]
    lines = [f"  {quoted(k)}: {_value(props[k])}" for k in [*own, *auto]]
    lines = cut(lines, MAX_PROPERTIES, "all properties are in the artifact")
    hidden = len(props) - len(own) - len(auto)
    if hidden > 0:
        lines.append(f"  (+{hidden} more $-properties set by PostHog, in the artifact)")
    return lines


def _render_person(data: Any, args: GetPersonArgs, ctx: Context) -> str:
    ids = [str(d) for d in data.get("distinct_ids") or []]
    known = [said("id {}", data.get("id")), said("uuid {}", data.get("uuid"))]
    name = quoted(data["name"]) if data.get("name") else "(no name)"
    lines = [f"Person {name}" + said(" ({})", ", ".join(filter(None, known)))]
    if ids:
        shown = ", ".join(map(quoted, ids[:MAX_DISTINCT_IDS]))
        more = f" (+{len(ids) - MAX_DISTINCT_IDS} more)" if len(ids) > MAX_DISTINCT_IDS else ""
        lines.append(f"Distinct ids: {shown}{more}")
    dates = [
        f"{label} {data[key]}"
        for key, label in (("created_at", "Created"), ("last_seen_at", "last seen"))
        if data.get(key)
    ]
    if dates:
        lines.append("; ".join(dates))
    props = data.get("properties") or {}
    if isinstance(props, dict) and props:
        lines.append("Properties:")
        lines += _properties(props)
    link_id = args.distinct_id or (ids[0] if ids else None)
    if link_id:
        lines.append(PERSONS.link(quote(link_id, safe=""), ctx, data))
    return "\n".join(lines)


def _update_plan(args: UpdatePersonPropertiesArgs, ctx: Context) -> Plan[dict[str, Any]]:
    person: dict[str, Any] | None = None
    distinct_id = args.distinct_id
    if distinct_id is not None:
        # Never write to a distinct id PostHog does not know: a capture would create a person.
        person = yield from _by_distinct_id(distinct_id, ctx)
    if not args.unset:
        target = (person.get("uuid") or person.get("id")) if person else args.id
        path = PERSONS.at(ctx, target)
        reply = yield Call("PATCH", path, json={"properties": args.set})
        return {"person": person or reply.data, "set": args.set, "via": "PATCH persons"}
    if person is None:
        person = (yield Call("GET", PERSONS.at(ctx, args.id))).data
        ids = (person or {}).get("distinct_ids") or []
        if not ids:
            raise PostHogError(f"Person {args.id} has no distinct id to send the change to.")
        distinct_id = str(ids[0])
    # PostHog's API has no call in this toolkit's contract that removes a property, so the
    # change goes as a $set event carrying $unset (and $set, so both land together).
    changes: dict[str, Any] = {"$unset": args.unset}
    if args.set:
        changes["$set"] = args.set
    event = {
        "event": "$set",
        "distinct_id": distinct_id,
        "properties": changes,
        "uuid": str(uuid.uuid4()),  # once per call: a retry is the same event
    }
    try:
        reply = yield capture_call("/i/v0/e/", event)
    except PostHogConfigError:
        raise PostHogConfigError(
            "Removing person properties goes through event capture and needs the project API "
            "key: set POSTHOG_PROJECT_API_KEY or pass project_api_key='phc_...'. Nothing was "
            "changed; an update with only `set` works without it."
        ) from None
    return {
        "person": person,
        "set": args.set,
        "unset": args.unset,
        "via": "capture $set event",
        "event": event,
        "response": reply.data,
    }


def _render_update(data: Any, args: UpdatePersonPropertiesArgs, ctx: Context) -> str:
    person = data.get("person") or {}
    named = person.get("name") or args.distinct_id
    who = quoted(named) if named else args.id
    changes = []
    if args.set:
        # As the artifact shows it: values under credential names are not repeated.
        shown = redact(args.set).items()
        changes.append("set " + ", ".join(f"{quoted(k)}={_value(v)}" for k, v in shown))
    if args.unset:
        changes.append("unset " + ", ".join(map(quoted, args.unset)))
    return (
        f"PostHog accepted the change to person {who}: {'; '.join(changes)}. It applies changes "
        "asynchronously, usually within seconds, so a read right away may still show the old "
        "values."
    )


ACTIONS = [
    get_row(
        PERSONS,
        "posthog_get_person",
        "Get a person by distinct_id or id: name, distinct ids, properties, first seen.",
        GetPersonArgs,
        plan=_get_plan,
        render=_render_person,
        catalogue="RETRIEVE_PERSON_DETAILS_BY_ID",
        example={"distinct_id": "user-42"},
    ),
    update_row(
        PERSONS,
        "posthog_update_person_properties",
        "Set or remove properties of a person, by distinct_id or id. PostHog applies changes "
        "asynchronously, within seconds.",
        UpdatePersonPropertiesArgs,
        _update_plan,
        _render_update,
        catalogue="UPDATE_PERSON_PROPERTIES",
        explain=explain_capture,
        example={"distinct_id": "user-42", "set": {"plan": "enterprise"}},
    ),
]
