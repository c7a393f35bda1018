"""Property filters and release conditions, as PostHog's queries, flags and surveys take them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from langchain_posthog.actions._args import ArgsModel, PropertyValue

Percent = Annotated[int, Field(ge=0, le=100)]

QueryOperator = Literal[
    "exact", "is_not", "icontains", "not_icontains", "regex", "not_regex",
    "gt", "gte", "lt", "lte", "is_set", "is_not_set",
]  # fmt: skip


class PropertyFilter(ArgsModel):
    key: str = Field(min_length=1, description="e.g. $browser (cohort: value=id).")
    value: PropertyValue | None = None
    operator: QueryOperator = "exact"
    type: Literal["event", "person", "session", "cohort", "hogql"] = "event"

    @model_validator(mode="after")
    def _value_fits(self) -> PropertyFilter:
        if self.type == "cohort":
            if not isinstance(self.value, int) or isinstance(self.value, bool):
                raise ValueError("a cohort filter needs value = the cohort id (an integer)")
        elif (
            self.type != "hogql"
            and self.operator not in {"is_set", "is_not_set"}
            and self.value in (None, [])
        ):
            raise ValueError(f"operator {self.operator!r} needs a value")
        return self

    def to_api(self) -> dict[str, Any]:
        """PostHog's ``*PropertyFilter`` for this filter."""
        if self.type == "hogql":
            return {"type": "hogql", "key": self.key}
        if self.type == "cohort":
            operator = "not_in" if self.operator == "is_not" else "in"
            return {"type": "cohort", "key": "id", "value": self.value, "operator": operator}
        value = self.operator if self.value is None else self.value  # PostHog's UI does this
        return {"type": self.type, "key": self.key, "operator": self.operator, "value": value}


FlagOperator = Literal[
    "exact", "is_not", "icontains", "not_icontains", "regex", "gt", "lt", "is_set", "is_not_set"
]  # fmt: skip


class FlagProperty(ArgsModel):
    key: str = Field(description="Person property, or 'id' with type cohort.")
    value: PropertyValue | None = None
    operator: FlagOperator = "exact"
    type: Literal["person", "cohort"] = "person"


class ReleaseCondition(ArgsModel):
    properties: list[FlagProperty] = Field(default_factory=list, description="ANDed.")
    rollout_percentage: Percent | None = None
    variant: str | None = None
