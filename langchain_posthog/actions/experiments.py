"""PostHog experiments: list, create, read, launch, stop, restart and archive."""

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from langchain_posthog.actions._args import ArgsModel, Limit, Offset, text_max
from langchain_posthog.actions._dates import Moment, check_dates, iso
from langchain_posthog.actions._experiment_area import EXPERIMENTS, ExperimentId
from langchain_posthog.actions._experiment_forms import (
    LegacyFilters,
    Metric,
    Name,
    Parameters,
    Variant,
    VariantKey,
    listed,
    metric_json,
    secondary_metrics,
    spread_parameters,
)
from langchain_posthog.actions._render import cut, named, quoted, said, term
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import (
    create_row,
    describe,
    get_row,
    list_row,
    update_row,
)
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.api.errors import PostHogAPIError, PostHogError

_DATES = (("start_date", "Started"), ("end_date", "ended"))
_CLEARED = ("end_date", "conclusion", "conclusion_comment")
Conclusion = Literal["won", "lost", "inconclusive", "stopped_early", "invalid"]


class _CreateExperimentArgs(ArgsModel):
    name: Name
    feature_flag_key: VariantKey = Field(
        description="New key, or a multivariate flag with control first."
    )
    description: Annotated[str, text_max(400)] | None = None
    parameters: Parameters | None = Field(None, description="Default: control/test 50/50.")
    metrics: list[Metric] | None = Field(
        None, description="Funnel: share doing events in order; mean: count of one event."
    )
    start_date: Moment | None = Field(None, description="ISO or 'now': launches it.")
    end_date: Moment | None = None
    archived: bool | None = None
    # PostHog's legacy filters, superseded by metrics: accepted and checked, not advertised.
    filters: SkipJsonSchema[LegacyFilters | None] = None

    @classmethod
    def from_catalogue(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The catalogue's ``secondary_metrics`` join ``metrics``, marked secondary."""
        data = super().from_catalogue(data)
        if data.get("secondary_metrics") is not None:
            data["metrics"] = [
                *listed(data.get("metrics")),
                *secondary_metrics(data.pop("secondary_metrics")),
            ]
        data.pop("secondary_metrics", None)
        return data

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.metrics is not None and len(self.metrics) > 20:
            raise ValueError("give at most 20 metrics")
        check_dates(self.start_date, self.end_date)
        return self


class _ListExperimentsArgs(ArgsModel):
    limit: Limit = 50
    offset: Offset | None = None


class _GetExperimentArgs(ArgsModel):
    id: ExperimentId


class _UpdateExperimentArgs(ArgsModel):
    id: ExperimentId
    name: Name | None = None
    description: Annotated[str, text_max(400)] | None = None
    start_date: Moment | None = Field(None, description="ISO or 'now': launches it.")
    end_date: Moment | None = Field(None, description="ISO or 'now': stops it.")
    conclusion: Conclusion | None = None
    conclusion_comment: str | None = None
    restart: bool | None = Field(None, description="Clears end_date and conclusion.")
    minimum_detectable_effect: int | None = Field(None, ge=1, le=100)  # percent
    variants: list[Variant] | None = Field(None, description="Drafts only; sum 100.")
    # The catalogue's; advertised on create as metrics with secondary=true.
    secondary_metrics: SkipJsonSchema[list[Metric] | None] = None
    archived: bool | None = None
    # The catalogue requires the experiment's flag key on every update; PostHog cannot change
    # it, so it is checked against the experiment's own and never advertised.
    feature_flag_key: SkipJsonSchema[str | None] = None
    unhonoured: ClassVar[Mapping[str, tuple[Any, str]]] = {
        "exposure_cohort": (
            None,
            "PostHog creates an experiment's exposure cohort itself (read-only in its API); to "
            "target people, create a cohort with posthog_create_cohort and use it in the flag",
        )
    }

    @classmethod
    def from_catalogue(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The catalogue's ``secondary_metrics`` in PostHog's legacy form read as metrics."""
        data = super().from_catalogue(data)
        if data.get("secondary_metrics") is not None:
            data["secondary_metrics"] = secondary_metrics(data["secondary_metrics"])
        return spread_parameters(data)

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if (
            not _update_body(self)
            and self.minimum_detectable_effect is None
            and self.variants is None
        ):
            # A null end_date (the catalogue's way to restart) is "not given" here.
            raise ValueError(
                "give at least one field to change (to restart a stopped experiment, give "
                "restart: true)"
            )
        if self.restart:
            given = [f for f in _CLEARED if getattr(self, f) is not None]
            if given:
                raise ValueError(
                    "restart clears end_date, conclusion and conclusion_comment itself: remove "
                    f"{' and '.join(given)}, or remove restart to stop or conclude instead"
                )
        check_dates(self.start_date, self.end_date)
        if self.variants is not None:
            Parameters(feature_flag_variants=self.variants)  # 2-20, control first, sum 100
        return self


def _create_body(args: _CreateExperimentArgs) -> dict[str, Any]:
    body = args.model_dump(exclude_none=True, exclude={"metrics"}, mode="json")
    # Old builds refuse a create without filters; the legacy field is otherwise unused.
    body.setdefault("filters", {})
    if args.metrics is not None:
        body["metrics"] = [metric_json(m) for m in args.metrics if not m.secondary]
        body["metrics_secondary"] = [metric_json(m) for m in args.metrics if m.secondary]
    return body


def _update_body(args: _UpdateExperimentArgs) -> dict[str, Any]:
    body = args.model_dump(
        exclude_none=True,
        exclude={"id", "restart", "minimum_detectable_effect", "variants", "feature_flag_key"},
        mode="json",
    )
    if args.secondary_metrics is not None:
        del body["secondary_metrics"]
        body["metrics_secondary"] = [metric_json(m) for m in args.secondary_metrics]
    if args.restart:
        body.update(dict.fromkeys(_CLEARED))  # PostHog's restart: these three set to null
    return body


def _update_plan(args: _UpdateExperimentArgs, ctx: Context) -> Plan[Any]:
    path = EXPERIMENTS.at(ctx, args.id)
    body = _update_body(args)
    if args.minimum_detectable_effect is not None or args.variants or args.feature_flag_key:
        current = (yield Call("GET", path)).data or {}
        flag = current.get("feature_flag_key")
        if args.feature_flag_key is not None and flag is not None and args.feature_flag_key != flag:
            raise PostHogError(
                f"Experiment {args.id} runs on flag {flag!r}, not {args.feature_flag_key!r}, and "
                "PostHog cannot move an experiment to another flag. Nothing was changed. Drop "
                f"feature_flag_key (or give {flag!r}), or create an experiment on the other flag."
            )
        given: dict[str, Any] = {}
        if args.variants is not None:
            given["feature_flag_variants"] = [
                v.model_dump(exclude_none=True) for v in args.variants
            ]
        if args.minimum_detectable_effect is not None:
            given["minimum_detectable_effect"] = args.minimum_detectable_effect
        if given:
            # PATCH replaces parameters whole: keep what is not being changed.
            body["parameters"] = {**(current.get("parameters") or {}), **given}
    return (yield Call("PATCH", path, json=body)).data


def _state(exp: dict[str, Any], *, hint: bool = True) -> str:
    if not exp.get("start_date"):
        state = "draft (not launched; set start_date to launch)" if hint else "draft"
    elif exp.get("end_date"):
        state = "stopped"
        if exp.get("conclusion"):
            state += f", concluded {term(exp['conclusion'])}"
    else:
        state = "running"
    if exp.get("archived"):
        state += ", archived"
    if exp.get("deleted"):
        state += ", DELETED"
    return state


def _variants(exp: dict[str, Any]) -> list[dict[str, Any]]:
    variants = (exp.get("parameters") or {}).get("feature_flag_variants")
    if not variants:
        filters = (exp.get("feature_flag") or {}).get("filters") or {}
        variants = (filters.get("multivariate") or {}).get("variants")
    return [v for v in variants or [] if isinstance(v, dict)]


def _metric_names(metrics: Any) -> list[str]:
    names = []
    for metric in metrics or []:
        if isinstance(metric, dict):
            label = metric.get("name") or metric.get("metric_type") or metric.get("kind")
            kind = metric.get("metric_type")
            text = quoted(label) if label else "(unnamed)"
            names.append(f"{text} ({term(kind)})" if kind and kind != label else text)
    return names


def _experiment_text(exp: Any, args: Any, ctx: Context) -> str:
    lines = [f"{named(exp)}: {_state(exp)}"]
    flag = exp.get("feature_flag") or {}
    flag_id = f" (flag id {flag['id']})" if flag.get("id") is not None else ""
    flag_key = exp.get("feature_flag_key") or flag.get("key")
    if flag_key or flag_id:
        lines.append(f"Feature flag: {quoted(flag_key) if flag_key else '(no key)'}{flag_id}")
    variants = _variants(exp)
    if variants:
        lines.append(
            "Variants: "
            + ", ".join(
                quoted(v.get("key") or "?") + said(" {}%", v.get("rollout_percentage"))
                for v in variants
            )
        )
    mde = (exp.get("parameters") or {}).get("minimum_detectable_effect")
    if mde is not None:
        lines.append(f"Minimum detectable effect: {mde}%")
    dates = [f"{word} {exp[key]}" for key, word in _DATES if exp.get(key)]
    if dates:
        lines.append("; ".join(dates))
    saved = exp.get("saved_metrics") or []
    primary = _metric_names(exp.get("metrics")) + [
        f"{named(s, ident=False)} (shared)"
        for s in saved
        if (s.get("metadata") or {}).get("type") != "secondary"
    ]
    secondary = _metric_names(exp.get("metrics_secondary")) + [
        f"{named(s, ident=False)} (shared)"
        for s in saved
        if (s.get("metadata") or {}).get("type") == "secondary"
    ]
    if primary:
        lines.append("Primary metrics: " + ", ".join(cut(primary, 20, "see the artifact")))
    if secondary:
        lines.append("Secondary metrics: " + ", ".join(cut(secondary, 20, "see the artifact")))
    if not primary and not secondary:
        lines.append("No metrics yet.")
    if exp.get("conclusion_comment"):
        lines.append(f"Conclusion comment: {quoted(exp['conclusion_comment'])}")
    holdout = exp.get("holdout") or {}
    if holdout.get("name"):
        lines.append(f"Holdout: {named(holdout)}")
    if exp.get("description"):
        lines.append(f"Description: {quoted(exp['description'])}")
    return "\n".join(lines)


def _experiment_line(exp: dict[str, Any]) -> str:
    flag = exp.get("feature_flag_key") or (exp.get("feature_flag") or {}).get("key")
    parts = [_state(exp, hint=False)]
    if flag:
        parts.append(f"flag {quoted(flag)}")
    parts += [f"{word.lower()} {exp[key]}" for key, word in _DATES if exp.get(key)]
    return f"- {named(exp)}: " + "; ".join(parts)


def _changes(args: _UpdateExperimentArgs) -> list[str]:
    changes = []
    if args.restart:
        changes.append("restarted: end and conclusion cleared")
    if args.start_date is not None:
        changes.append(f"launched: start_date set to {iso(args.start_date)}")
    if args.end_date is not None:
        changes.append(f"stopped: end_date set to {iso(args.end_date)}")
    if args.conclusion is not None:
        changes.append(f"conclusion set to {args.conclusion}")
    if args.conclusion_comment is not None:
        changes.append("conclusion comment set")
    if args.minimum_detectable_effect is not None:
        changes.append(f"minimum detectable effect set to {args.minimum_detectable_effect}%")
    if args.variants is not None:
        split = ", ".join(f"{quoted(v.key)} {v.rollout_percentage}%" for v in args.variants)
        changes.append(f"variants set to {split}")
    if args.secondary_metrics is not None:
        changes.append(f"secondary metrics replaced ({len(args.secondary_metrics)})")
    if args.archived is not None:
        changes.append("archived" if args.archived else "unarchived")
    if args.name is not None:
        changes.append(f"renamed to {quoted(args.name)}")
    if args.description is not None:
        changes.append("description changed")
    return changes


def _render_updated(data: Any, args: _UpdateExperimentArgs, ctx: Context) -> str:
    return f"Updated ({'; '.join(_changes(args))}).\n" + _render_get(data, args, ctx)


def _explain_create(error: PostHogAPIError, args: Any, ctx: Context) -> str | None:
    detail = error.detail or ""
    if error.status == 400 and ("eligible for experiments" in detail or "first variant" in detail):
        return (
            f"PostHog refused the experiment (400): {detail.rstrip('.')}. The flag "
            f"{args.feature_flag_key!r} already exists and is not a multivariate flag with "
            "'control' first: use a new feature_flag_key (PostHog then creates the flag), or fix "
            "the flag's variants first."
        )
    return None


_render_get = describe(EXPERIMENTS, _experiment_text, "Experiment ")


ACTIONS = [
    list_row(
        EXPERIMENTS,
        "posthog_list_experiments",
        "List experiments with ids, state, flag keys and dates.",
        _ListExperimentsArgs,
        _experiment_line,
        empty="No experiments.",
        example={"limit": 50},
    ),
    create_row(
        EXPERIMENTS,
        "posthog_create_experiment",
        "Create an A/B experiment on a feature flag; a draft until start_date is set.",
        _CreateExperimentArgs,
        _experiment_text,
        body=_create_body,
        catalogue="CREATE_PROJECT_EXPERIMENT",
        explain=_explain_create,
        example={
            "name": "Pricing page v2",
            "feature_flag_key": "pricing-page-v2",
            "parameters": {
                "feature_flag_variants": [
                    {"key": "control", "rollout_percentage": 50},
                    {"key": "test", "rollout_percentage": 50},
                ],
                "minimum_detectable_effect": 30,
            },
            "metrics": [
                {"name": "Upgrade rate", "events": ["pricing viewed", "upgraded"]},
            ],
        },
    ),
    get_row(
        EXPERIMENTS,
        "posthog_get_experiment",
        "Get one experiment by id: state, dates, flag, variants, metrics, conclusion.",
        _GetExperimentArgs,
        _experiment_text,
        render=_render_get,
        catalogue="GET_EXPERIMENT_DETAILS",
        example={"id": 77},
    ),
    update_row(
        EXPERIMENTS,
        "posthog_update_experiment",
        "Change an experiment; only the fields given change. Launch with start_date, stop with "
        "end_date and a conclusion, archive with archived.",
        _UpdateExperimentArgs,
        _update_plan,
        _render_updated,
        catalogue="UPDATE_EXPERIMENT",
        example={"id": 77, "start_date": "2026-11-21T09:00:00Z"},
    ),
]
