"""Compact content keeps what a model needs: the fields pinned per tool survive in the content.

Content is cut hard to save tokens (benchmarks/result_tokens.py measures it against PostHog's raw
JSON). This table says, for every tool with a success cassette, which fields of PostHog's JSON
(the artifact) must still be readable in the content. Values are read from the artifact, not
written here, so the check follows the cassette. A value must appear as a whole word (``0%``
does not match inside ``100%``, ``active`` not inside ``inactive``); the fields of one list item
must appear on one line, so a flag's state cannot be read off its neighbour's line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from langchain_posthog.actions import ACTIONS
from langchain_posthog.actions._render import quoted
from tests.conftest import CASSETTES
from tests.scenarios import success_scenario

Format = Callable[[Any], str | tuple[str, ...]]
Field = str | tuple[str, Format]


def active(value: Any) -> str:
    return "active" if value else "inactive"


def percent(value: Any) -> str:
    return f"{value}%"


def number(value: Any) -> tuple[str, ...]:
    return (str(value), f"{value:,}") if isinstance(value, int) else (str(value),)


def escaped(value: Any) -> str:
    """Text a user wrote, as it reads inside its quotes."""
    return quoted(value)[1:-1]


def values(data: Any, path: str) -> list[Any]:
    """Every value at ``path`` (``a.b``; ``a[]`` walks a list), skipping what is missing."""
    found = [data]
    for part in path.split("."):
        walk = part.endswith("[]")
        key = part.removesuffix("[]")
        step = []
        for node in found:
            item = node.get(key) if key and isinstance(node, dict) else node
            if walk and isinstance(item, list):
                step += item
            elif not walk:
                step.append(item)
        found = step
    return [v for v in found if v not in (None, "", [], {})]


def _facts(data: Any, fields: Iterable[Field]) -> list[tuple[str, ...]]:
    facts = []
    for spec in fields:
        path, fmt = spec if isinstance(spec, tuple) else (spec, number)
        for value in values(data, path):
            shown = fmt(value)
            facts.append(shown if isinstance(shown, tuple) else (shown,))
    return facts


@dataclass(frozen=True)
class One:
    """Fields of one object (at ``at``), each somewhere in the content."""

    fields: tuple[Field, ...]
    at: str = ""

    def groups(self, artifact: Any) -> list[tuple[list[tuple[str, ...]], bool]]:
        data = values(artifact, self.at)[0] if self.at else artifact
        return [(_facts(data, self.fields), False)]


@dataclass(frozen=True)
class Each:
    """For every item of the list at ``at``: its fields together on one line."""

    at: str
    fields: tuple[Field, ...]
    where: Callable[[Any], bool] = lambda item: True

    def groups(self, artifact: Any) -> list[tuple[list[tuple[str, ...]], bool]]:
        return [
            (_facts(item, self.fields), True)
            for item in values(artifact, self.at + "[]")
            if self.where(item)
        ]


@dataclass(frozen=True)
class Lines:
    """Groups of texts made from the artifact, each group on one line."""

    make: Callable[[Any], list[list[str]]]

    def groups(self, artifact: Any) -> list[tuple[list[tuple[str, ...]], bool]]:
        return [([(str(text),) for text in group], True) for group in self.make(artifact)]


Check = One | Each | Lines

FLAG: tuple[Field, ...] = (
    "key",
    "id",
    ("active", active),
    ("filters.groups[].rollout_percentage", percent),
)
EXPERIMENT: tuple[Field, ...] = (
    "name",
    "id",
    "feature_flag_key",
    "feature_flag.id",
    "parameters.feature_flag_variants[].key",
    "metrics[].name",
    "saved_metrics[].name",
    "metrics_secondary[].name",
)
SURVEY: tuple[Field, ...] = ("name", "id", "type", "questions[].question")


def _variant_facts(artifact: Any) -> list[list[str]]:
    """Each variant of each metric: its key, exposures, total and chance to win on one line."""
    lines = []
    for metric in artifact["metrics"]:
        result = metric.get("result") or {}
        for variant in [result.get("baseline"), *result.get("variant_results", [])]:
            key = quoted(variant["key"])
            facts = [f"{key}:", str(variant["number_of_samples"]), str(variant["sum"])]
            if "chance_to_win" in variant:
                facts.append(f"{variant['chance_to_win'] * 100:g}%")
            lines.append(facts)
    return lines


def _is_trends(insight: Any) -> bool:
    return bool(values(insight, "query.source.kind") == ["TrendsQuery"])


# For each tool with a success cassette: the fields a model needs from the content.
PINS: dict[str, tuple[Check, ...]] = {
    "posthog_list_projects": (Each("results", ("name", "id", "timezone")),),
    "posthog_get_current_user": (
        One(("first_name", "last_name", "email", "uuid", "team.name", "organization.name")),
        One(("project_id",), at="team"),
    ),
    "posthog_list_feature_flags": (Each("results", FLAG),),
    "posthog_get_feature_flag": (One(FLAG),),
    "posthog_create_feature_flag": (One(FLAG),),
    "posthog_update_feature_flag": (
        One(FLAG, at="flag"),
        One((("groups[].rollout_percentage", percent),), at="before"),
    ),
    "posthog_get_feature_flag_status": (One(("status", "reason", "flag.key", "flag.id")),),
    "posthog_bulk_delete_feature_flags": (
        Each("deleted", ("key", "id")),
        Each("errors", ("key", "id", "reason")),
    ),
    "posthog_capture_event": (One(("event.event", "event.distinct_id", "event.uuid")),),
    "posthog_capture_events": (One(("batch[].event",)),),
    "posthog_create_batch_export": (
        One(
            (
                "name",
                "id",
                "destination.type",
                "destination.config.bucket_name",
                "destination.config.region",
                "interval",
            )
        ),
    ),
    "posthog_create_cohort": (
        One(("name", "id", ("is_static", lambda v: "static" if v else "dynamic"))),
    ),
    "posthog_list_cohorts": (
        Each(
            "results",
            ("name", "id", "count", ("is_static", lambda v: "static" if v else "dynamic")),
        ),
    ),
    "posthog_create_dashboard": (One(("name", "id")),),
    "posthog_get_dashboard": (
        One(("name", "id", "description", "tags[]")),
        # A deleted tile is no longer on the dashboard: leaving it out is right.
        Each("tiles", ("insight.name", "insight.id"), where=lambda tile: not tile.get("deleted")),
    ),
    "posthog_update_dashboard": (
        One(("name", "id", "filters.date_from", "filters.properties[].key"), at="dashboard"),
    ),
    "posthog_create_annotation": (One((("content", escaped), "id", "created_by.first_name")),),
    "posthog_list_annotations": (
        Each("results", (("content", escaped), "id", "created_by.first_name")),
    ),
    "posthog_list_experiments": (
        Each(
            "results",
            ("name", "id", "feature_flag_key", "conclusion", "start_date", "end_date"),
        ),
    ),
    "posthog_create_experiment": (One(EXPERIMENT),),
    "posthog_get_experiment": (One((*EXPERIMENT, "start_date")),),
    "posthog_update_experiment": (One((*EXPERIMENT, "start_date")),),
    "posthog_get_experiment_results": (
        One(("experiment.name", "experiment.id", ("metrics[].name", quoted))),
        Lines(_variant_facts),
    ),
    "posthog_create_insight": (One(("name", "short_id", "id")),),
    "posthog_list_trend_insights": (Each("results", ("name", "short_id", "id"), where=_is_trends),),
    "posthog_list_insights": (
        Each("results", ("name", "short_id", "id", "dashboards[]", ("query.source.kind", str))),
    ),
    "posthog_update_insight": (One(("name", "short_id", "id", "dashboards[]"), at="insight"),),
    "posthog_run_trends": (Each("results", ("label", "count", "data[]")),),
    "posthog_run_funnel": (Each("results", ("name", "count")),),
    "posthog_list_errors": (
        Each(
            "results",
            (
                ("name", quoted),
                ("description", quoted),
                "aggregations.occurrences",
                "aggregations.users",
                "aggregations.sessions",
                "status",
                "id",
            ),
        ),
    ),
    "posthog_run_hogql_query": (
        One(("columns[]",)),
        Lines(lambda a: [[str(cell) for cell in row] for row in a["results"]]),
    ),
    "posthog_get_person": (
        One(("name", "id", "uuid", "distinct_ids[]", "properties.plan", "properties.company")),
    ),
    "posthog_update_person_properties": (
        One(("person.name",)),
        Lines(lambda a: [[key, str(value)] for key, value in a["set"].items()]),
    ),
    "posthog_create_survey": (One(SURVEY),),
    "posthog_get_survey": (One(SURVEY),),
    "posthog_get_survey_response_counts": (
        Lines(lambda a: [[survey, str(n)] for survey, n in a["counts"].items()]),
    ),
    "posthog_summarize_survey_responses": (One(("content", "response_count")),),
    "posthog_update_survey": (One(("name", "id", "type", "end_date"), at="survey"),),
    "posthog_create_recording_playlist": (
        One(("name", "short_id", "recordings_counts.saved_filters.count")),
    ),
    "posthog_list_event_definitions": (
        Each("results", ("name", ("last_seen_at", lambda v: v[:10]), "description")),
    ),
    "posthog_list_property_definitions": (
        Each("results", ("name", "property_type", "description")),
    ),
    "posthog_list_actions": (Each("results", ("name", "id", "steps[].event")),),
    "posthog_list_session_recordings": (
        Each(
            "results",
            ("id", "start_time", "distinct_id", "start_url", "click_count", "console_error_count"),
        ),
    ),
    "posthog_get_session_recording": (
        One(("id", "distinct_id", "start_url", "click_count", "console_error_count")),
    ),
}


def _with_success_cassette() -> list[str]:
    names = [a.name for a in ACTIONS]
    return [n for n in names if (CASSETTES / f"{n}.yaml").exists()]


def _appears(fact: tuple[str, ...], text: str) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(alt)}(?![\w-])", text) for alt in fact)


def test_every_tool_with_a_success_cassette_has_pinned_fields() -> None:
    missing = [tool for tool in _with_success_cassette() if tool not in PINS]
    assert not missing, f"add a PINS row for {missing}"


@pytest.mark.parametrize(
    "tool",
    [
        pytest.param(
            tool, marks=[pytest.mark.vcr, pytest.mark.default_cassette(f"{tool}.yaml")], id=tool
        )
        for tool in _with_success_cassette()
        if tool in PINS
    ],
)
async def test_content_keeps_the_pinned_fields(tool: str, vcr: Any) -> None:
    scenario = success_scenario(tool)
    toolkit = scenario.make_toolkit()
    chosen = {t.name: t for t in toolkit.get_tools()}[tool]
    try:
        message = chosen.invoke(
            {"name": tool, "args": scenario.args, "id": "1", "type": "tool_call"}
        )
    finally:
        await toolkit.aclose()
    assert isinstance(message, ToolMessage)
    assert message.status == "success", message.content
    content = message.content
    assert isinstance(content, str)
    lines = content.splitlines()
    checked = 0
    for check in PINS[tool]:
        for facts, same_line in check.groups(message.artifact):
            if not facts:
                continue
            checked += len(facts)
            if same_line:
                assert any(all(_appears(f, line) for f in facts) for line in lines), (
                    f"no line of the content holds all of {facts}:\n{content}"
                )
            else:
                lost = [f for f in facts if not _appears(f, content)]
                assert not lost, f"{lost} not in the content:\n{content}"
    assert checked, f"{tool}: the pinned fields are missing from the artifact itself"
    assert vcr.all_played
