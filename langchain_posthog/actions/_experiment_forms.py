"""An experiment's variants and metrics, as its create and update take them.

Also the catalogue's forms of them: its ``parameters`` (PostHog's, with the variants nested) and
its ``secondary_metrics`` (PostHog's legacy ``{"name", "filters": {"events": [...]}}``), read as
this toolkit's own before validation.
"""

import json
import uuid
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from langchain_posthog.actions._args import ArgsModel, key_chars, text_max
from langchain_posthog.schema import from_json_text

Name = Annotated[str, text_max(400)]
# Checked rather than declared: feature_flag_key's pattern already shows the rule to the model.
VariantKey = Annotated[str, key_chars()]


class Variant(ArgsModel):
    key: VariantKey
    name: str | None = None
    rollout_percentage: int = Field(ge=0, le=100)


class Parameters(ArgsModel):
    feature_flag_variants: list[Variant] = Field(
        description="2-20, control first, percentages summing to 100."
    )
    minimum_detectable_effect: int | None = Field(None, ge=1, le=100)  # percent

    @model_validator(mode="after")
    def _valid_variants(self) -> Self:
        variants = self.feature_flag_variants
        problems = []
        if not 2 <= len(variants) <= 20:
            raise ValueError(f"give 2 to 20 variants, not {len(variants)}")
        if variants[0].key != "control":
            problems.append(f"the first variant must be 'control', not {variants[0].key!r}")
        keys = [v.key for v in variants]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            problems.append(f"variant keys must be unique ({', '.join(repeated)} repeated)")
        total = sum(v.rollout_percentage for v in variants)
        if total != 100:
            problems.append(f"rollout percentages must sum to 100, not {total}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Metric(ArgsModel):
    name: Name
    events: list[Annotated[str, text_max(400)]]
    mean: bool | None = None
    secondary: bool | None = None

    @model_validator(mode="after")
    def _events(self) -> Self:
        if not 1 <= len(self.events) <= (1 if self.mean else 10):
            raise ValueError("events: a funnel takes 1 to 10, a mean exactly 1")
        return self


def secondary_metrics(value: Any) -> list[Any]:
    """The catalogue's ``secondary_metrics`` as this toolkit's metrics, marked secondary.

    Its items are PostHog's legacy form, ``{"name", "filters": {"events": [{"id": ...}]}}``, or
    this toolkit's own ``{"name", "events": [...]}``; anything else is left for the model's
    validation to name.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError("secondary_metrics: not valid JSON; give a list of metrics") from None
    if not isinstance(value, list):
        raise ValueError("secondary_metrics: give a list of {name, events} metrics")
    metrics = []
    for item in value:
        if isinstance(item, dict) and "events" not in item and "filters" in item:
            item = _legacy_metric(item)
        metrics.append({**item, "secondary": True} if isinstance(item, dict) else item)
    return metrics


# What a legacy metric's event may hold that this form keeps, or that changes nothing.
_EVENT_KEYS = frozenset({"id", "name", "type", "order"})
_FILTER_KEYS = frozenset({"insight", "events"})


def _kept(item: dict[str, Any], keys: frozenset[str]) -> list[str]:
    """The keys of ``item`` besides ``keys`` whose value says something."""
    return sorted(k for k, v in item.items() if k not in keys and not _says_nothing(v))


def _says_nothing(value: Any) -> bool:
    # null, false, empty, or the default math: 0 is a number, not false.
    return value is None or value is False or value in ([], {}, "total")


def _legacy_metric(item: dict[str, Any]) -> dict[str, Any]:
    """A legacy ``{"name", "filters": {"insight", "events"}}`` metric: a funnel, or a count."""
    filters = item.get("filters") or {}
    insight = str(filters.get("insight") or "FUNNELS").upper()
    if insight not in ("FUNNELS", "TRENDS"):
        raise ValueError(
            f"secondary_metrics: a {insight} metric has no form here; give a funnel of events "
            "or a count of one event (insight TRENDS)"
        )
    # Dropping anything would measure something else: only the events themselves are carried.
    left = _kept(filters, _FILTER_KEYS)
    if left:
        raise ValueError(
            f"secondary_metrics: {', '.join(left)} in a metric's filters cannot be kept here; "
            "leave it out, and set the metric up in PostHog's experiment page"
        )
    steps = filters.get("events") or []
    ordered = sorted(steps, key=lambda e: e.get("order", 0) if isinstance(e, dict) else 0)
    for step in ordered:
        left = _kept(step, _EVENT_KEYS) if isinstance(step, dict) else []
        if isinstance(step, dict) and step.get("type", "events") != "events":
            left = ["type " + str(step.get("type"))]
        if left:
            raise ValueError(
                f"secondary_metrics: {', '.join(left)} on an event cannot be kept here; leave "
                "it out, and set the metric up in PostHog's experiment page"
            )
    events = [e.get("id") if isinstance(e, dict) else e for e in ordered]
    metric = {"name": item.get("name") or " -> ".join(map(str, events)), "events": events}
    return {**metric, "mean": True} if insight == "TRENDS" else metric


def metric_json(metric: Metric) -> dict[str, Any]:
    """PostHog's ExperimentMetric for a metric given as event names."""
    nodes = [{"kind": "EventsNode", "event": e, "name": e} for e in metric.events]
    body: dict[str, Any] = {
        "kind": "ExperimentMetric",
        "uuid": str(uuid.uuid4()),
        "name": metric.name,
        "metric_type": "mean" if metric.mean else "funnel",
    }
    if metric.mean:
        body["source"] = {**nodes[0], "math": "total"}
    else:
        body["series"] = nodes
    return body


def listed(value: Any) -> list[Any]:
    value = from_json_text(value)
    return value if isinstance(value, list) else [] if value is None else [value]


class LegacyFilters(ArgsModel):
    # PostHog's legacy experiment filters: what a flag-based experiment is measured on before
    # metrics existed. Only its documented keys are passed on.
    events: list[dict[str, Any]] | None = None
    actions: list[dict[str, Any]] | None = None
    insight: Literal["TRENDS", "FUNNELS"] | None = None
    date_from: str | None = None
    date_to: str | None = None
    filter_test_accounts: bool | None = None


def spread_parameters(data: dict[str, Any]) -> dict[str, Any]:
    """The catalogue's ``parameters`` on an update, checked whole, as the tool's own fields."""
    parameters = data.pop("parameters", None)
    if parameters is None:
        return data
    given = Parameters.model_validate(parameters)
    for name, value in (
        ("variants", given.feature_flag_variants),
        ("minimum_detectable_effect", given.minimum_detectable_effect),
    ):
        if value is not None and data.get(name) not in (None, value):
            raise ValueError(f"parameters and {name} differ; give it once")
        if value is not None:
            data[name] = value
    return data
