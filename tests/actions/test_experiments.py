"""Experiments: what validation refuses before sending, and the requests built."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from langchain_posthog import PostHogToolkit
from tests.actions import Server, answering, make_toolkit
from tests.scenarios import Scenario, example, params, play

EXPERIMENT_LINK = "https://us.posthog.com/project/2/experiments/77"
NO_LIST = "Find the experiment's id with posthog_list_experiments."

SCENARIOS = [
    Scenario(
        "posthog_list_experiments",
        "posthog_list_experiments.yaml",
        {"limit": 50},
        expect=(
            "Experiments 1-3 of 3.",
            '- "Pricing page v2" (id 77): running; flag "pricing-page-v2"; '
            "started 2026-11-21T09:00:00Z",
            '- "Onboarding checklist" (id 81): draft; flag "onboarding-checklist"',
            '- "Signup button copy" (id 64): stopped, concluded lost, archived; '
            'flag "signup-button-copy"; started 2026-09-01T08:00:00Z; ended 2026-09-29T16:30:00Z',
        ),
        forbid=("null", "None", "created_by", "example.com", "More exist"),
        artifact_keys=("results", "count"),
    ),
    Scenario(
        "posthog_list_experiments",
        "posthog_list_experiments.forbidden.yaml",
        {"limit": 50},
        ok=False,
        expect=("403", "experiment:read"),
    ),
    Scenario(
        "posthog_create_experiment",
        "posthog_create_experiment.yaml",
        example("posthog_create_experiment"),
        expect=(
            'Created experiment "Pricing page v2" (id 77): draft',
            "set start_date to launch",
            'Feature flag: "pricing-page-v2" (flag id 1250)',
            'Variants: "control" 50%, "test" 50%',
            'Primary metrics: "Upgrade rate" (funnel)',
            EXPERIMENT_LINK,
        ),
        forbid=("null", "None", "created_by"),
        artifact_keys=("id", "feature_flag", "parameters", "metrics"),
    ),
    Scenario(
        "posthog_create_experiment",
        "posthog_create_experiment.flag_not_eligible.yaml",
        {"name": "Onboarding test", "feature_flag_key": "new-onboarding"},
        ok=False,
        expect=(
            "400",
            "Feature flag is not eligible for experiments",
            "'new-onboarding' already exists",
            "use a new feature_flag_key",
        ),
    ),
    Scenario(
        "posthog_get_experiment",
        "posthog_get_experiment.yaml",
        {"id": 77},
        expect=(
            'Experiment "Pricing page v2" (id 77): running',
            "Started 2026-11-21T09:00:00Z",
            'Variants: "control" 50%, "test" 50%',
            'Primary metrics: "Upgrade rate" (funnel), "Checkout conversion" (shared)',
            'Secondary metrics: "Pricing page views" (mean)',
            EXPERIMENT_LINK,
        ),
        forbid=("null", "None", "fingerprint"),
        artifact_keys=("id", "start_date", "saved_metrics"),
    ),
    Scenario(
        "posthog_get_experiment",
        "posthog_get_experiment.not_found.yaml",
        {"id": 99999},
        ok=False,
        expect=("404", "project 2", NO_LIST),
    ),
    Scenario(
        "posthog_update_experiment",
        "posthog_update_experiment.yaml",
        {"id": 77, "start_date": "2026-11-21T09:00:00Z"},
        expect=(
            "launched: start_date set to 2026-11-21T09:00:00Z",
            '"Pricing page v2" (id 77): running',
            EXPERIMENT_LINK,
        ),
        artifact_keys=("id", "start_date"),
    ),
    Scenario(
        "posthog_update_experiment",
        "posthog_update_experiment.conclude.yaml",
        {
            "id": 77,
            "end_date": "2026-12-05T17:00:00Z",
            "conclusion": "won",
            "conclusion_comment": "Test lifted upgrades by 12%.",
        },
        expect=(
            "stopped: end_date set to 2026-12-05T17:00:00Z",
            "conclusion set to won",
            "(id 77): stopped, concluded won",
            "ended 2026-12-05T17:00:00Z",
            'Conclusion comment: "Test lifted upgrades by 12%."',
        ),
        artifact_keys=("end_date", "conclusion"),
    ),
    Scenario(
        "posthog_update_experiment",
        "posthog_update_experiment.restart.yaml",
        {"id": 77, "restart": True},
        expect=(
            "Updated (restarted: end and conclusion cleared).",
            '"Pricing page v2" (id 77): running',
            "Started 2026-11-21T09:00:00Z",
        ),
        forbid=("null", "None", "ended", "concluded", "Conclusion comment"),
        artifact_keys=("id", "end_date", "conclusion"),
    ),
    Scenario(
        "posthog_update_experiment",
        "posthog_update_experiment.minimum_detectable_effect.yaml",
        {"id": 77, "minimum_detectable_effect": 10},
        expect=(
            "Updated (minimum detectable effect set to 10%).",
            'Variants: "control" 50%, "test" 50%',
            "Minimum detectable effect: 10%",
        ),
        forbid=("null", "None", "30%"),
        artifact_keys=("id", "parameters"),
    ),
    Scenario(
        "posthog_update_experiment",
        "posthog_update_experiment.catalogue.yaml",
        {
            "id": 77,
            "feature_flag_key": "pricing-page-v2",
            "parameters": json.dumps(
                {
                    "feature_flag_variants": [
                        {"key": "control", "rollout_percentage": 50},
                        {"key": "test", "rollout_percentage": 50},
                    ],
                    "minimum_detectable_effect": 10,
                }
            ),
        },
        expect=('variants set to "control" 50%, "test" 50%', "Minimum detectable effect: 10%"),
        forbid=("null", "None"),
        artifact_keys=("id", "parameters"),
    ),
    Scenario(
        "posthog_update_experiment",
        "posthog_update_experiment.not_found.yaml",
        {"id": 99999, "archived": True},
        ok=False,
        expect=("404", NO_LIST),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


CONTROL = {"key": "control", "rollout_percentage": 50}

TEST = {"key": "test", "rollout_percentage": 50}


@pytest.fixture
def recorder() -> Iterator[Server]:
    yield answering({"id": 77, "name": "x", "feature_flag_key": "k"})


def _experiment(variants: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "Pricing",
        "feature_flag_key": "pricing",
        "parameters": {"feature_flag_variants": variants},
    }


@pytest.mark.parametrize(
    ("variants", "problem"),
    [
        ([CONTROL, {"key": "test", "rollout_percentage": 40}], "must sum to 100, not 90"),
        ([TEST, CONTROL], "the first variant must be 'control', not 'test'"),
        ([CONTROL, TEST, {**TEST, "rollout_percentage": 0}], "unique (test repeated)"),
        ([{**CONTROL, "rollout_percentage": 100}], "give 2 to 20 variants, not 1"),
        ([CONTROL, {"key": "new variant", "rollout_percentage": 50}], "only letters, digits"),
    ],
)
def test_bad_variants_are_refused_and_nothing_is_sent(
    toolkit: PostHogToolkit, variants: list[dict[str, Any]], problem: str
) -> None:
    result = toolkit.execute("posthog_create_experiment", _experiment(variants))
    assert not result.successful
    assert result.error is not None
    assert "nothing was sent to PostHog" in result.error
    assert "- parameters" in result.error and problem in result.error


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({"id": 77}, "give at least one field to change"),
        ({"id": 77, "feature_flag_key": "other"}, "give at least one field to change"),
        (
            {"id": 77, "start_date": "2026-12-01T00:00:00Z", "end_date": "2026-11-30T00:00:00Z"},
            "end_date 2026-11-30T00:00:00Z must be after start_date 2026-12-01T00:00:00Z",
        ),
        ({"id": 77, "conclusion": "great"}, "- conclusion"),
        ({"id": 77, "restart": False}, "give at least one field to change"),
        ({"id": 77, "end_date": None}, "to restart a stopped experiment, give restart: true"),
        (
            {"id": 77, "restart": True, "end_date": "now", "conclusion": "won"},
            "remove end_date and conclusion, or remove restart",
        ),
        ({"id": 77, "minimum_detectable_effect": 0}, "- minimum_detectable_effect"),
        ({"id": 77, "minimum_detectable_effect": 101}, "- minimum_detectable_effect"),
    ],
)
def test_bad_experiment_updates_are_refused(
    toolkit: PostHogToolkit, args: dict[str, Any], problem: str
) -> None:
    result = toolkit.execute("posthog_update_experiment", args)
    assert not result.successful and result.error is not None
    assert problem in result.error, result.error


def test_experiment_body_types_metrics_and_sends_empty_filters(recorder: Server) -> None:
    kit = make_toolkit(recorder)
    result = kit.execute(
        "posthog_create_experiment",
        {
            **_experiment([CONTROL, TEST]),
            "metrics": [
                {"name": "Upgrade", "events": ["viewed", "upgraded"]},
                {"name": "Views", "events": ["viewed"], "mean": True, "secondary": True},
            ],
        },
    )
    assert result.successful, result.error
    body = recorder.body()
    assert body["filters"] == {}
    (primary,) = body["metrics"]
    (secondary,) = body["metrics_secondary"]
    assert primary["kind"] == "ExperimentMetric" and primary["metric_type"] == "funnel"
    assert [s["event"] for s in primary["series"]] == ["viewed", "upgraded"]
    assert secondary["metric_type"] == "mean"
    assert secondary["source"] == {
        "kind": "EventsNode",
        "event": "viewed",
        "name": "viewed",
        "math": "total",
    }
    assert primary["uuid"] != secondary["uuid"]


def test_legacy_secondary_metrics_keep_their_kind(recorder: Server) -> None:
    legacy = [
        {"name": "Views", "filters": {"insight": "TRENDS", "events": [{"id": "viewed"}]}},
        {
            "name": "Upgrade",
            "filters": {
                "insight": "FUNNELS",
                "events": [{"id": "upgraded", "order": 1}, {"id": "viewed", "order": 0}],
            },
        },
    ]
    result = make_toolkit(recorder).execute(
        "POSTHOG_CREATE_PROJECT_EXPERIMENT",
        {**_experiment([CONTROL, TEST]), "secondary_metrics": json.dumps(legacy)},
    )
    assert result.successful, result.error
    views, upgrade = recorder.body()["metrics_secondary"]
    assert views["metric_type"] == "mean" and views["source"]["event"] == "viewed"
    assert upgrade["metric_type"] == "funnel"
    assert [s["event"] for s in upgrade["series"]] == ["viewed", "upgraded"]


@pytest.mark.parametrize(
    ("filters", "problem"),
    [
        ({"insight": "TRENDS", "events": [{"id": "v", "math": "dau"}]}, "math on an event"),
        ({"events": [{"id": "v", "properties": [{"key": "a"}]}]}, "properties on an event"),
        ({"insight": "RETENTION", "events": [{"id": "v"}]}, "a RETENTION metric has no form"),
        (
            {"events": [{"id": "v"}], "actions": [{"id": 42, "type": "actions"}]},
            "actions in a metric's filters cannot be kept here",
        ),
        (
            {"insight": "TRENDS", "events": [{"id": "v"}], "properties": [{"key": "$browser"}]},
            "properties in a metric's filters cannot be kept here",
        ),
        ({"events": [{"id": "42", "type": "actions"}]}, "type actions on an event cannot be kept"),
    ],
)
def test_a_legacy_metric_that_cannot_be_kept_whole_is_refused(
    recorder: Server, filters: dict[str, Any], problem: str
) -> None:
    result = make_toolkit(recorder).execute(
        "POSTHOG_CREATE_PROJECT_EXPERIMENT",
        {**_experiment([CONTROL, TEST]), "secondary_metrics": [{"name": "M", "filters": filters}]},
    )
    assert not result.successful and problem in (result.error or ""), result.error
    assert recorder.requests == []


def test_launching_now_sends_the_current_utc_time(recorder: Server) -> None:
    kit = make_toolkit(recorder)
    result = kit.execute("posthog_update_experiment", {"id": 77, "start_date": "now"})
    assert result.successful, result.error
    request = recorder.requests[-1]
    assert request.method == "PATCH" and request.url.path == "/api/projects/2/experiments/77/"
    sent = recorder.body()
    assert list(sent) == ["start_date"] and sent["start_date"].endswith("Z")
    moment = datetime.fromisoformat(sent["start_date"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=1)
    assert "launched: start_date set to" in (result.content or "")
