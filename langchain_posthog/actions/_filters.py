"""Property filters and release conditions, as PostHog's queries, flags and replays take them.

One model, :class:`PropertyFilter`: ``key operator value`` on a property of some ``type``. Each
use declares a subclass naming the operators and types PostHog allows there (and whether their
defaults are worth the tokens of showing them); the checks and PostHog's form are shared.
"""

from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, ValidationError, WithJsonSchema, model_validator

from langchain_posthog.actions._args import ArgsModel
from langchain_posthog.schema import JsonText

Scalar = str | int | float | bool
# A property filter's value: text, a number, or a list (for exact). A boolean is accepted but
# not offered: PostHog matches 'true'/'false' against boolean properties, as its own UI sends
# them, and the shorter schema is paid on every call.
PropertyValue = Annotated[
    Scalar | list[Scalar],
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {"type": "number"},
                {"type": "array", "items": {"type": "string"}},
            ]
        }
    ),
]


Percent = Annotated[int, Field(ge=0, le=100)]
# Operators that take no value: PostHog stores the operator itself as the value.
VALUELESS = frozenset({"is_set", "is_not_set"})
# Each operator's negation, for a condition given as a positive operator with negate=true.
NEGATED = {
    "exact": "is_not",
    "icontains": "not_icontains",
    "regex": "not_regex",
    "gt": "lte",
    "lt": "gte",
    "is_set": "is_not_set",
}


class PropertyFilter(ArgsModel):
    # No docstring: pydantic would send it to the model as a description, on every call.
    # A subclass narrows operator and type to what PostHog takes where it is used; ``None``
    # stands for exact and event where a default in the schema would cost tokens.
    key: str
    value: PropertyValue | None = None
    operator: str | None = None
    type: str | None = None

    @model_validator(mode="after")
    def _value_fits(self) -> Self:
        if not self.key.strip():
            raise ValueError("key must not be empty")
        operator = self.operator or "exact"
        if self.type == "cohort":
            if not isinstance(self.value, int) or isinstance(self.value, bool):
                raise ValueError("a cohort filter needs value = the cohort id (an integer)")
        elif self.type != "hogql" and operator not in VALUELESS and self.value in (None, []):
            raise ValueError(f"operator {operator!r} needs a value")
        return self

    def to_api(self) -> dict[str, Any]:
        """PostHog's ``*PropertyFilter`` for this filter."""
        key, operator = self.key.strip(), self.operator or "exact"
        if self.type == "hogql":
            return {"type": "hogql", "key": key}
        if self.type == "cohort":
            negated = "not_in" if operator == "is_not" else "in"
            return {"type": "cohort", "key": "id", "value": self.value, "operator": negated}
        value = operator if self.value is None else self.value  # PostHog's UI does this
        return {"type": self.type or "event", "key": key, "operator": operator, "value": value}


class QueryProperty(PropertyFilter):
    key: str = Field(min_length=1, description="e.g. $browser (cohort: value=id).")
    operator: Literal[
        "exact", "is_not", "icontains", "not_icontains", "regex", "not_regex",
        "gt", "gte", "lt", "lte", "is_set", "is_not_set",
    ] = "exact"  # fmt: skip
    type: Literal["event", "person", "session", "cohort", "hogql"] = "event"


# A flag condition's operators: those a model is shown, and those PostHog also takes there
# (ENDPOINTS.md 3.2), accepted from callers who know them (the catalogue's) without the tokens.
FLAG_OPERATORS_SHOWN = (
    "exact", "is_not", "icontains", "not_icontains", "regex", "gt", "lt", "is_set", "is_not_set"
)  # fmt: skip
FlagOperator = Annotated[
    Literal[
        "exact", "is_not", "icontains", "not_icontains", "regex", "gt", "lt", "is_set",
        "is_not_set", "not_regex", "gte", "lte", "is_date_before", "is_date_after",
    ],
    WithJsonSchema({"enum": list(FLAG_OPERATORS_SHOWN), "type": "string"}),
]  # fmt: skip


class FlagProperty(PropertyFilter):
    key: str = Field(description="Person property, or 'id' with type cohort.")
    operator: FlagOperator = "exact"
    type: Literal["person", "cohort"] = "person"


class RecordingProperty(PropertyFilter):
    operator: Literal["exact", "is_not", "icontains", "is_set"] | None = None
    type: Literal["event", "person"] | None = None


class ReleaseCondition(ArgsModel):
    properties: list[FlagProperty] = Field(default_factory=list, description="ANDed.")
    rollout_percentage: Percent | None = None
    variant: str | None = None


def _release_conditions(value: dict[str, Any]) -> dict[str, Any]:
    """Check a flag's filters given as JSON: its groups are release conditions."""
    groups = value.get("groups")
    if not isinstance(groups, list) or not groups:
        raise ValueError("needs groups: a list of release conditions")
    conditions = []
    for index, group in enumerate(groups):
        try:
            conditions.append(ReleaseCondition.model_validate(group))
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            where = ".".join(str(p) for p in (index, *first["loc"]))
            raise ValueError(f"groups.{where}: {first['msg']}") from None
    if any(not c.properties and c.rollout_percentage in (None, 100) for c in conditions):
        raise ValueError(
            "a group without properties at 100% targets everyone; leave targeting out instead"
        )
    return value


# A flag's filters as JSON text (a survey's targeting), checked as release conditions.
FlagFiltersText = Annotated[dict[str, Any], JsonText(), AfterValidator(_release_conditions)]
