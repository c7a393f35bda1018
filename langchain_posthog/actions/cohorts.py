"""Cohorts: list them, and create dynamic (by person properties or behaviour) or static ones."""

import json
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from langchain_posthog.actions._args import ArgsModel, Limit, Offset
from langchain_posthog.actions._filters import NEGATED, VALUELESS, PropertyValue
from langchain_posthog.actions._render import compact_json, named, quoted, said, term
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import Area, create_row, list_row
from langchain_posthog.schema import JsonText

# Negative operators (is_not, is_not_set...) are a positive one with negate=true: fewer enum
# tokens for the model, and PostHog gets its own operator for a negated property.
Operator = Literal["exact", "icontains", "regex", "gt", "lt", "is_set"]
DEFAULT_DAYS = 30
COHORTS = Area("cohort", "cohorts", "cohort", ui="cohorts", text=("name", "description", "filters"))


# Args models have no docstrings on purpose: pydantic would send them to the model in the
# schema, paid in tokens on every call. Field descriptions say what is needed.
class CohortCondition(ArgsModel):
    one_of = ("property", "event", "give exactly one of property or event")
    property: str | None = Field(None, description="Person property.")
    operator: Operator | None = None  # exact
    value: PropertyValue | None = None
    event: str | None = Field(None, description="Or: event done within `days` (30).")
    days: int | None = None
    negate: bool | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if self.days is not None and self.days < 1:
            raise ValueError("days must be at least 1")
        if self.property is not None:
            if self.days is not None:
                raise ValueError("days applies to event conditions only")
            operator = self.operator or "exact"
            if operator == "is_set" and self.value is not None:
                raise ValueError("operator is_set takes no value")
            if operator != "is_set" and self.value in (None, []):
                raise ValueError(f"operator {operator} needs a value")
            if operator != "exact" and isinstance(self.value, list):
                raise ValueError(f"operator {operator} takes one value; a list needs exact")
        elif self.operator is not None or self.value is not None:
            raise ValueError("operator and value apply to property conditions only")
        return self


class CreateCohortArgs(ArgsModel):
    name: str
    description: str | None = None
    groups: list[list[CohortCondition]] | None = Field(
        None, description="Dynamic: ORed groups of ANDed conditions."
    )
    is_static: bool | None = None
    query: Annotated[dict[str, Any], JsonText()] | None = Field(
        None, description="Static only: an ActorsQuery, as JSON."
    )

    unhonoured: ClassVar[Mapping[str, tuple[Any, str]]] = {
        "deleted": (
            False,
            "a cohort cannot be created deleted; leave deleted out (PostHog deletes a cohort "
            "from its page in the UI)",
        )
    }

    @classmethod
    def from_catalogue(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Read PostHog's own cohort shapes as this tool's groups of conditions.

        ``groups`` may come as PostHog's legacy ``[{"properties": [...]}]`` and ``filters`` as
        its current ``{"properties": {"type": "OR", "values": [{"type": "AND", ...}]}}``, either
        as a JSON string; each condition is read back into the compact form and checked there.
        """
        data = super().from_catalogue(data)
        groups = _parsed(data.get("groups"))
        if isinstance(groups, list) and any(isinstance(g, dict) for g in groups):
            data["groups"] = [_native_group(g, f"groups[{i}]") for i, g in enumerate(groups)]
        if "filters" in data:
            filters = _parsed(data.pop("filters"))
            if filters is not None:
                if "groups" in data:
                    raise ValueError("give groups or filters, not both")
                data["groups"] = _native_filters(filters)
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # Bounds checked here rather than declared: the schema a model reads stays short.
        if not self.name.strip() or len(self.name) > 400:
            raise ValueError("name must be 1 to 400 characters")
        if self.description is not None and len(self.description) > 1000:
            raise ValueError("description must be at most 1000 characters")
        if self.query is not None:
            if not self.is_static:
                raise ValueError("query needs is_static=true (PostHog computes it once)")
            if self.query.get("kind") != "ActorsQuery":
                raise ValueError("query must be an ActorsQuery: {'kind': 'ActorsQuery', ...}")
        if self.is_static and self.groups is not None:
            raise ValueError("a static cohort takes no groups; leave is_static false")
        if not self.is_static and not self.groups:
            raise ValueError("give groups (dynamic cohort) or is_static=true")
        for group in self.groups or []:
            if not group:
                raise ValueError("a group needs at least one condition")
            if all(c.negate and c.event for c in group):
                raise ValueError("a group of only negated events matches nobody; add a condition")
        return self


def _parsed(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError("not valid JSON; give the object itself or its JSON text") from None
    return value


_POSITIVE = {negated: positive for positive, negated in NEGATED.items()}


def _native_condition(prop: Any, where: str) -> dict[str, Any]:
    """One of PostHog's cohort conditions as this tool's compact condition."""
    if not isinstance(prop, dict):
        raise ValueError(f"{where}: a condition is an object with key, type and value")
    kind = prop.get("type", "person")
    if kind == "behavioral":
        if prop.get("value") != "performed_event" or prop.get("time_interval", "day") != "day":
            raise ValueError(
                f"{where}: only 'performed_event' within N days is supported; give it as "
                "{'event': name, 'days': N}"
            )
        days = prop.get("time_value")
        condition: dict[str, Any] = {"event": prop.get("key")}
        if days is not None:
            condition["days"] = int(days) if str(days).isdigit() else days
        if prop.get("negation"):
            condition["negate"] = True
        return condition
    if kind != "person":
        raise ValueError(
            f"{where}: condition type {kind!r} is not supported; use person properties or "
            "behavioral performed_event"
        )
    operator = prop.get("operator") or "exact"
    negate = operator in _POSITIVE
    operator = _POSITIVE.get(operator, operator)
    condition = {"property": prop.get("key"), "operator": operator}
    if operator not in VALUELESS:
        condition["value"] = prop.get("value")
    if negate or prop.get("negation"):
        condition["negate"] = True
    return condition


def _native_group(group: Any, where: str) -> Any:
    if not isinstance(group, dict):
        return group  # the compact form: a list of conditions
    props = group.get("properties", group.get("values"))
    if not isinstance(props, list):
        raise ValueError(f"{where}: a group needs properties, a list of conditions")
    if group.get("type", "AND") != "AND":
        raise ValueError(f"{where}: conditions within a group are ANDed; give ORs as groups")
    return [_native_condition(p, f"{where}.properties[{i}]") for i, p in enumerate(props)]


def _native_filters(filters: Any) -> list[Any]:
    """PostHog's ``filters`` (an OR of AND groups) as this tool's groups."""
    top = filters.get("properties") if isinstance(filters, dict) else None
    if not isinstance(top, dict) or not isinstance(top.get("values"), list):
        raise ValueError(
            "filters: give PostHog's form {'properties': {'type': 'OR', 'values': [{'type': "
            "'AND', 'values': [conditions]}]}}"
        )
    values = top["values"]
    if top.get("type", "OR") == "AND":
        # An AND of AND groups is one group; an AND of OR groups has no form here.
        if any(_is_group(v) and v.get("type", "AND") != "AND" for v in values):
            raise ValueError(
                "filters.properties: an AND of OR groups cannot be given here; give OR groups "
                "of ANDed conditions"
            )
        flat = [c for v in values for c in (v["values"] if _is_group(v) else [v])]
        return [_native_group({"properties": flat}, "filters.properties")]
    if not all(map(_is_group, values)):
        return [_native_group({"properties": values}, "filters.properties")]
    return [_native_group(g, f"filters.properties.values[{i}]") for i, g in enumerate(values)]


def _is_group(value: Any) -> bool:
    return isinstance(value, dict) and "values" in value


class ListCohortsArgs(ArgsModel):
    limit: Limit = 50
    offset: Offset | None = None


def _condition(c: CohortCondition) -> dict[str, Any]:
    if c.event is not None:
        return {
            "key": c.event,
            "type": "behavioral",
            "value": "performed_event",
            "event_type": "events",
            "time_value": str(c.days or DEFAULT_DAYS),
            "time_interval": "day",
            "negation": bool(c.negate),
        }
    operator: str = c.operator or "exact"
    value: Any = c.value
    if operator == "exact" and not isinstance(value, list):
        value = [value]
    if c.negate:
        operator = NEGATED[operator]
    if operator in VALUELESS:
        value = operator  # what PostHog stores for operators without a value
    return {"key": c.property, "type": "person", "operator": operator, "value": value}


def _create_body(args: CreateCohortArgs) -> dict[str, Any]:
    body: dict[str, Any] = args.model_dump(
        include={"name", "description", "is_static", "query"}, exclude_none=True, mode="json"
    )
    if args.groups is not None:
        groups = [{"type": "AND", "values": [_condition(c) for c in g]} for g in args.groups]
        body["filters"] = {"properties": {"type": "OR", "values": groups}}
    return body


def _kind(cohort: dict[str, Any]) -> str:
    return "static" if cohort.get("is_static") else "dynamic"


def _size(cohort: dict[str, Any]) -> str:
    if cohort.get("is_calculating"):
        return "calculating"
    count = cohort.get("count")
    if count is None:
        return "size not computed yet"
    return f"{count:,} persons"


def _cohort_line(cohort: dict[str, Any]) -> str:
    errors = " (last calculation failed)" if cohort.get("errors_calculating") else ""
    return f"- {named(cohort)}: {_kind(cohort)}, {_size(cohort)}{errors}"


def _describe(prop: dict[str, Any]) -> str:
    key = quoted(prop.get("key") or "?")
    if prop.get("type") == "behavioral":
        did = "did not perform" if prop.get("negation") else "performed"
        days = prop.get("time_value")
        days = int(days) if isinstance(days, str) and days.isdecimal() and len(days) < 10 else days
        return f"{did} {key}" + said(" in the last {} days", None if days is None else quoted(days))
    operator, value = prop.get("operator") or "exact", prop.get("value")
    bare = operator in {"is_set", "is_not_set"} or value is None
    return f"{key} {term(operator)}" + ("" if bare else " " + compact_json(value))


def _conditions(filters: Any) -> str:
    groups = ((filters or {}).get("properties") or {}).get("values") or []
    parts = []
    for group in groups:
        props = [p for p in group.get("values") or [] if isinstance(p, dict)]
        if props:
            parts.append(" and ".join(_describe(p) for p in props))
    return "; or ".join(parts)


def _created_text(data: Any, args: CreateCohortArgs, ctx: Context) -> str:
    lines = [f"Created {_kind(data)} cohort {named(data)}."]
    conditions = _conditions(data.get("filters"))
    if conditions and not data.get("is_static"):
        lines.append(f"Conditions: {conditions}.")
    if data.get("is_static") and not args.query:
        lines.append("It has no members yet: upload a CSV of distinct ids in the UI.")
    else:
        lines.append(
            "PostHog computes its members asynchronously (is_calculating); the count shows in "
            "posthog_list_cohorts once done."
        )
    return "\n".join(lines)


ACTIONS = [
    list_row(
        COHORTS,
        "posthog_list_cohorts",
        "List cohorts with ids and sizes.",
        ListCohortsArgs,
        _cohort_line,
        empty="No cohorts.",
        catalogue="RETRIEVE_PROJECT_COHORTS_WITH_PAGINATION",
        example={"limit": 50},
    ),
    create_row(
        COHORTS,
        "posthog_create_cohort",
        "Create a dynamic or static cohort of persons.",
        CreateCohortArgs,
        _created_text,
        body=_create_body,
        head="",
        catalogue="CREATE_PROJECT_COHORT",
        example={
            "name": "Pro users at risk",
            "description": "Pro plan, no checkout in 30 days",
            "groups": [
                [
                    {"property": "plan", "value": "pro"},
                    {"event": "checkout completed", "negate": True},
                ]
            ],
        },
    ),
]
