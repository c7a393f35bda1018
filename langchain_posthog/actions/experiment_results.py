"""An experiment's results: each metric run as PostHog's ExperimentQuery, with a verdict."""

# Argument models have no docstrings: pydantic would send them to the model as descriptions.

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from langchain_posthog.actions._args import ArgsModel
from langchain_posthog.actions._experiment_area import EXPERIMENTS, ExperimentId
from langchain_posthog.actions._render import clip, named, num, quoted, term
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._running import POLL_WAITS, SLOW_WORDS, pending_text, run_query
from langchain_posthog.actions._shapes import AUTHORS, row
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.api.errors import PostHogAPIError, PostHogError, PostHogTransportError

# PostHog's experiment page summarizes at most this many metrics of a kind; so does this tool.
MAX_METRICS = 20
_NEW_STYLE = "ExperimentMetric"
# Longest variant key and metric name shown; the whole answer is in the artifact.
_KEY_CHARS, _NAME_CHARS = 100, 200
# Where a metric (or a legacy one's filters) holds what a team typed or a product sent: names,
# events, property keys and values. Its kinds, maths and goals are PostHog's words, and are
# sent back to PostHog as they are.
_METRIC_KEYS = (
    "name", "custom_name", "event", "key", "value", "label", "breakdown", "math_property",
    "math_hogql",
)  # fmt: skip
_METRIC_HOLDERS = (
    "metrics[]", "metrics_secondary[]", "saved_metrics[]", "secondary_metrics[]", "filters",
    "metric",
)  # fmt: skip
_WHOLE_METRICS = {"metrics", "metrics_secondary", "saved_metrics"}
# The experiment's text (its metrics narrowed to the fields above), then what each
# ExperimentQuery answer holds: variant keys, and in PostHog's older shape the keys of its
# probability and interval maps and the insight it was computed from.
RESULTS_TEXT = (
    *(p for p in EXPERIMENTS.text if p not in _WHOLE_METRICS),
    *AUTHORS,
    *(f"{holder}.**.{key}" for holder in _METRIC_HOLDERS for key in _METRIC_KEYS),
    "filters.**.id",
    "baseline.key", "variant_results[].key", "variants[].key", "probability.*",
    "credible_intervals.*", "insight",
)  # fmt: skip


def _as_text(value: Any) -> Any:
    # Models send a metric's number as a number about as often as text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


MetricChoice = Annotated[str, BeforeValidator(_as_text), Field(min_length=1, max_length=400)]


class GetExperimentResultsArgs(ArgsModel):
    id: ExperimentId
    metric: MetricChoice | None = Field(
        None, description="Only this metric: its number as listed (1 = first) or its name."
    )


# -- which metrics, and running them -------------------------------------------------------------


def _title(metric: dict[str, Any]) -> str:
    """A metric's name, or what PostHog's experiment page calls an unnamed one."""
    if metric.get("name"):
        return str(metric["name"])
    kind = metric.get("metric_type")
    if kind == "funnel":
        steps = [s.get("event") or s.get("name") or "event" for s in metric.get("series") or []]
        if len(steps) > 1:
            return f"{steps[0]} to {steps[-1]}"
        return f"{steps[0]} conversion" if steps else "funnel"
    if kind == "mean":
        source = metric.get("source") or {}
        return f"mean {source.get('event') or source.get('name') or 'event'}"
    return f"{kind or metric.get('kind') or 'unnamed'} metric"


def _metrics(exp: dict[str, Any]) -> list[dict[str, Any]]:
    """Every metric, numbered as posthog_get_experiment lists them: primary, then secondary.

    A shared (saved) metric is sent as PostHog's experiment page sends it: its query, with the
    shared metric's name and id.
    """
    found: list[dict[str, Any]] = []
    for group, key in (("primary", "metrics"), ("secondary", "metrics_secondary")):
        metrics = [m for m in exp.get(key) or [] if isinstance(m, dict)]
        for saved in exp.get("saved_metrics") or []:
            query = saved.get("query") if isinstance(saved, dict) else None
            kind = (saved.get("metadata") or {}).get("type") if isinstance(query, dict) else None
            if isinstance(query, dict) and (kind == "secondary") == (group == "secondary"):
                shared = {"name": saved.get("name"), "sharedMetricId": saved.get("saved_metric")}
                shared = {k: v for k, v in shared.items() if v is not None}
                metrics.append({**query, **shared, "isSharedMetric": True})
        found += [{"group": group, "metric": m} for m in metrics]
    for number, item in enumerate(found, 1):
        item.update(number=number, name=_title(item["metric"]))
    return found


def _chosen(metrics: list[dict[str, Any]], args: GetExperimentResultsArgs) -> list[dict[str, Any]]:
    if args.metric is None:
        return metrics
    wanted = args.metric.strip()
    if wanted.isdigit() and 1 <= int(wanted) <= len(metrics):
        return [metrics[int(wanted) - 1]]
    matches = [m for m in metrics if m["name"].casefold() == wanted.casefold()]
    if matches:
        return matches
    listed = "; ".join(f"{m['number']}. {quoted(m['name'], _NAME_CHARS)}" for m in metrics)
    raise PostHogError(
        f"Experiment {args.id} has no metric {quoted(wanted)}. Its metrics: {listed or 'none'}. "
        "Call again with one of those numbers or names, or without metric for all of them."
    )


def _results_plan(args: GetExperimentResultsArgs, ctx: Context) -> Plan[dict[str, Any]]:
    reply = yield Call("GET", EXPERIMENTS.at(ctx, args.id))
    exp = reply.data if isinstance(reply.data, dict) else {}
    out: dict[str, Any] = {"experiment": exp, "metrics": []}
    if not exp.get("start_date"):
        return out  # nothing to query before launch
    out["metrics"] = chosen = _chosen(_metrics(exp), args)
    waits: Sequence[float] = POLL_WAITS
    for index, item in enumerate(chosen):
        if item["metric"].get("kind") != _NEW_STYLE:
            item["skipped"] = "legacy"
        elif index >= MAX_METRICS:
            item["skipped"] = "limit"
        else:
            query = {"kind": "ExperimentQuery", "experiment_id": args.id, "metric": item["metric"]}
            try:
                item["result"] = yield from run_query(ctx, query, "experiment results", waits)
            except PostHogAPIError as error:
                # The key, the project or the rate limit fail every metric alike: say it once.
                if error.status != 400 and error.status < 500:
                    raise
                item["error"] = _failure(error.status, error.detail)
            except PostHogTransportError as error:
                if error.kind != "timeout":
                    raise
                item["error"] = "timed out waiting for PostHog"
            if pending_text(item.get("result") or {}, ""):
                waits = ()  # PostHog goes on computing; later metrics are not waited for either
    return out


def _failure(status: int, detail: str | None) -> str:
    text = (detail or "").rstrip(".")
    slow = status in {504, 512} or any(w in text.lower() for w in SLOW_WORDS)
    said = f" {quoted(text)}" if text else ""
    if slow:
        return f"too slow for PostHog ({status}){said}"
    return f"PostHog could not compute it ({status}){said}"


# -- reading the answers -----------------------------------------------------------------------


def _percent(share: float) -> str:
    return f"{num(round(share * 100, 1))}%"


def _signed(value: float, relative: bool) -> str:
    text = _percent(value) if relative else num(round(value, 4))
    return text if value <= 0 else f"+{text}"


def _p(value: float) -> str:
    return "p<0.001" if value < 0.001 else f"p={value:.2g}"


def _key(variant: dict[str, Any]) -> str:
    """A variant's key, as the team named it: quoted."""
    key = variant.get("key")
    return quoted(key, _KEY_CHARS) if key not in (None, "") else "(no key)"


def _failure_word(failure: Any) -> str:
    """One of PostHog's reasons a variant cannot be compared yet, in words."""
    word = term(failure)
    return word.replace("-", " ") if word == str(failure) else word


def _measure(metric: dict[str, Any], variant: dict[str, Any]) -> str:
    """What a variant's exposed users did: conversions, a mean or a ratio."""
    n, total = variant.get("number_of_samples") or 0, variant.get("sum") or 0
    kind = metric.get("metric_type")
    text = f"{num(n)} exposed"
    below = variant.get("denominator_sum")
    if kind == "funnel":
        text += f", {num(total)} converted" + (f" ({_percent(total / n)})" if n else "")
    elif kind == "ratio" and below:
        text += f", ratio {num(round(total / below, 4))} ({num(total)}/{num(below)})"
    elif kind == "retention" and below:
        text += f", {num(total)} of {num(below)} retained ({_percent(total / below)})"
    elif n:
        text += f", mean {num(round(total / n, 4))} (total {num(total)})"
    return text


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class _Stats:
    """How PostHog compared the variants (its stats_config, or what the answer shows)."""

    def __init__(self, exp: dict[str, Any], answers: list[dict[str, Any]]) -> None:
        config = _mapping(exp.get("stats_config"))
        variants = [v for a in answers for v in a.get("variant_results") or []]
        if any("p_value" in v or "confidence_interval" in v for v in variants):
            self.method = "frequentist"
        elif any("chance_to_win" in v or "credible_interval" in v for v in variants):
            self.method = "bayesian"
        else:
            self.method = str(config.get("method") or "bayesian")
        own = _mapping(config.get(self.method))
        self.relative = str(own.get("difference_type") or "RELATIVE").upper() != "ABSOLUTE"
        if self.method == "frequentist":
            self.level = 1 - float(own.get("alpha") or 0.05)
            self.interval = "confidence interval"
        else:
            self.level = float(own.get("ci_level") or 0.95)
            self.interval = "credible interval"

    def head(self) -> str:
        change = "relative change" if self.relative else "absolute difference"
        shows = "p-values" if self.method == "frequentist" else "chance to win"
        method = "Bayesian" if self.method == "bayesian" else term(self.method)
        return (
            f"Statistics: {method}, {shows}; {_percent(self.level)} {self.interval}s of the "
            f"{change} against control."
        )


def _chance(variant: dict[str, Any], goal: Any) -> float | None:
    chance = variant.get("chance_to_win")
    if not isinstance(chance, int | float):
        return None
    # PostHog's chance to win is that of a higher value; for a decrease goal, lower wins.
    return 1 - chance if goal == "decrease" else float(chance)


def _variant_line(metric: dict[str, Any], variant: dict[str, Any], stats: _Stats) -> str:
    parts = [f"{_key(variant)}: {_measure(metric, variant)}"]
    chance = _chance(variant, metric.get("goal"))
    if chance is not None:
        parts.append(f"chance to win {_percent(chance)}")
    if isinstance(variant.get("p_value"), int | float):
        parts.append(_p(variant["p_value"]))
    bounds = variant.get("credible_interval") or variant.get("confidence_interval")
    if isinstance(bounds, list) and len(bounds) == 2:
        low, high = (_signed(b, stats.relative) for b in bounds)
        parts.append(f"{_percent(stats.level)} {stats.interval} {low} to {high}")
    if variant.get("significant") is not None:
        parts.append("significant" if variant["significant"] else "not significant")
    failures = [_failure_word(f) for f in variant.get("validation_failures") or []]
    if failures:
        parts.append("cannot compare yet: " + ", ".join(failures))
    return "  " + "; ".join(parts)


def _verdict(metric: dict[str, Any], name: str, tests: list[dict[str, Any]], stats: _Stats) -> str:
    goal = metric.get("goal")
    scored = [v for v in tests if _chance(v, goal) is not None]
    if scored:
        best = max(scored, key=lambda v: _chance(v, goal) or 0.0)
        chance, decided = _chance(best, goal) or 0.0, bool(best.get("significant"))
        verb, sure = ("wins", "significant") if decided else ("leads", "not yet significant")
        odds = f"{_percent(chance)} chance to win, {sure}"
        if chance >= 0.5:
            return f"{_key(best)} {verb} on {name}: {odds}"
        return f"control {verb} on {name}: {_key(best)} has {odds}"
    tested = [v for v in tests if isinstance(v.get("p_value"), int | float)]
    if tested:
        best = min(tested, key=lambda v: float(v["p_value"]))
        bounds = best.get("confidence_interval") or [0.0, 0.0]
        change = (bounds[0] + bounds[1]) / 2
        moved = f"{_signed(change, stats.relative)} ({_p(best['p_value'])})"
        if not best.get("significant"):
            return f"no significant difference on {name} yet: {_key(best)} {moved}"
        better = change < 0 if goal == "decrease" else change > 0
        return f"{_key(best)} {'wins' if better else 'loses'} on {name}: {moved}, significant"
    return f"not enough data yet on {name} to compare the variants"


def _legacy_answer(name: str, answer: dict[str, Any]) -> list[str]:
    """An answer in PostHog's older shape (variants, probability, credible_intervals)."""
    lines, odds = [], answer.get("probability") or {}
    for variant in answer.get("variants") or []:
        if not isinstance(variant, dict):
            continue
        key = _key(variant)
        if "success_count" in variant:
            won, lost = variant.get("success_count") or 0, variant.get("failure_count") or 0
            rate = f" ({_percent(won / (won + lost))})" if won + lost else ""
            text = f"{num(won + lost)} reached, {num(won)} converted{rate}"
        else:
            text = f"{num(variant.get('exposure'))} exposure, count {num(variant.get('count'))}"
        if isinstance(odds.get(variant.get("key")), int | float):
            text += f"; chance to win {_percent(odds[variant['key']])}"
        lines.append(f"  {key}: {text}")
    tests = {k: v for k, v in odds.items() if k != "control" and isinstance(v, int | float)}
    sure = "significant" if answer.get("significant") else "not yet significant"
    if tests:
        best = max(tests, key=lambda k: tests[k])
        shown = quoted(best, _KEY_CHARS)
        lines.append(
            f"  Verdict: {shown} has {_percent(tests[best])} chance to win on {name}, {sure}"
        )
    return lines


def _metric_lines(item: dict[str, Any], stats: _Stats) -> list[str]:
    metric, name = item["metric"], quoted(item["name"], _NAME_CHARS)
    kind = term(metric.get("metric_type") or metric.get("kind") or "metric")
    shared = ", shared" if metric.get("isSharedMetric") else ""
    goal = ", goal: decrease" if metric.get("goal") == "decrease" else ""
    head = f"{item['number']}. {name} ({item['group']}{shared}, {kind}{goal})"
    if item.get("skipped") == "legacy":
        return [f"{head}: a legacy metric this tool cannot compute; see it on the page below."]
    if item.get("skipped") == "limit":
        return [f"{head}: not run (over {MAX_METRICS} metrics); ask for it with metric."]
    if item.get("error"):
        return [f"{head}: failed: {item['error']}. Check the metric on the experiment's page."]
    answer = item.get("result") or {}
    if pending_text(answer, ""):
        return [f"{head}: PostHog is still computing it; call again in a minute."]
    if "variant_results" not in answer and answer.get("variants"):
        return [head, *_legacy_answer(name, answer)]
    baseline = answer.get("baseline")
    tests = [v for v in answer.get("variant_results") or [] if isinstance(v, dict)]
    lines = [head]
    if isinstance(baseline, dict):
        lines.append(_variant_line(metric, baseline, stats))
    lines += [_variant_line(metric, v, stats) for v in tests]
    lines.append(f"  Verdict: {_verdict(metric, name, tests, stats)}")
    return lines


def _state(exp: dict[str, Any]) -> str:
    if exp.get("end_date"):
        ended = f"stopped {term(exp['end_date'])}"
        return ended + (f", concluded {term(exp['conclusion'])}" if exp.get("conclusion") else "")
    return f"running since {term(exp['start_date'])}"


def _render_results(data: Any, args: GetExperimentResultsArgs, ctx: Context) -> str:
    exp = data.get("experiment") or {}
    head = f"Experiment {named({'id': args.id, **exp})}"
    link = EXPERIMENTS.link(exp.get("id") or args.id, ctx, exp)
    if not exp.get("start_date"):
        launch = (
            "with posthog_update_experiment (start_date='now')"
            if ctx.offers("posthog_update_experiment")
            else "in PostHog, from the link below"
        )
        return (
            f"{head} has not started (a draft), so it has no results yet. Launch it {launch}, "
            f"then ask again once people have seen it.\n{link}"
        )
    items = data.get("metrics") or []
    if all(item.get("skipped") == "legacy" for item in items):
        if not items and not exp.get("filters"):
            return f"{head} has no metrics yet: add one on the experiment's page.\n{link}"
        # Metrics in PostHog's old form (its legacy filters, or trends and funnels queries).
        return (
            f"{head} uses legacy metrics this tool cannot compute: open the experiment's page "
            f"for its results.\n{link}"
        )
    stats = _Stats(exp, [i["result"] for i in items if isinstance(i.get("result"), dict)])
    lines = [f"{head}: {_state(exp)}. {stats.head()}"]
    for item in items:
        lines += _metric_lines(item, stats)
    lines.append(link)
    return clip("\n".join(lines))


ACTIONS = [
    row(
        EXPERIMENTS,
        "posthog_get_experiment_results",
        "Compute an experiment's results now: per metric and variant the exposures, conversion "
        "rate or mean, chance to win or p-value and interval, and a one-line verdict. Runs one "
        "query per metric.",
        GetExperimentResultsArgs,
        _results_plan,
        _render_results,
        not_found=EXPERIMENTS.not_found,
        user_text=RESULTS_TEXT,
        example={"id": 77},
    ),
]
