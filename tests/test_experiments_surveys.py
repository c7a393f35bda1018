"""Experiments and surveys: what validation refuses before sending, and the requests built.

Tests here carry no vcr mark and run with sockets blocked, so a refused call that tried to send
would fail; the MockTransport tests also count what reached the transport.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from langchain_posthog import PostHogToolkit
from tests.conftest import PERSONAL_KEY, PROJECT_ID

NPS = "0193a1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b"
CONTROL = {"key": "control", "rollout_percentage": 50}
TEST = {"key": "test", "rollout_percentage": 50}


class Recorder:
    """An httpx transport that answers every request with ``answer`` and keeps the requests."""

    def __init__(self, answer: Any, status: int = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.answer, self.status = answer, status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.answer)

    def body(self, index: int = -1) -> Any:
        content = self.requests[index].content
        return json.loads(content) if content else None


def _kit(recorder: Recorder, **settings: Any) -> PostHogToolkit:
    client = httpx.Client(transport=httpx.MockTransport(recorder))
    return PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_id=PROJECT_ID,
        max_retries=0,
        http_client=client,
        **settings,
    )


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    yield Recorder({"id": 77, "name": "x", "feature_flag_key": "k"})


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


def _survey(*questions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "Feedback", "questions": list(questions), **extra}


OPEN = {"type": "open", "question": "Anything else?"}


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (
            _survey({**OPEN, "choices": ["a", "b"]}),
            "questions.0: choices is for single_choice and multiple_choice questions, not open",
        ),
        (_survey({"type": "rating", "question": "Rate us", "scale": 4}), "questions.0.scale"),
        (
            _survey(
                {
                    "type": "multiple_choice",
                    "question": "Which?",
                    "choices": ["a", "b"],
                    "branching": {"type": "end"},
                },
                OPEN,
            ),
            "branching is for rating and single_choice questions, not multiple_choice",
        ),
        (
            _survey({"type": "rating", "question": "Rate us", "display": "emoji", "scale": 10}),
            "scale 10 is not offered for emoji display",
        ),
        (
            _survey({"type": "single_choice", "question": "Which?", "choices": ["a", "a"]}),
            "choices must be unique",
        ),
        (
            _survey({"type": "single_choice", "question": "Which?", "choices": ["only"]}),
            "needs 2 to 20 choices, not 1",
        ),
        (
            _survey({"type": "link", "question": "Read more", "link": "http://acme.example"}),
            "needs link: an https:// or mailto: URL",
        ),
        (
            _survey(
                {
                    "type": "rating",
                    "question": "NPS",
                    "scale": 10,
                    "branching": {"type": "response_based", "responseValues": {"positive": "end"}},
                },
                OPEN,
            ),
            "positive not answers of this question; use detractors, passives, promoters",
        ),
        (
            _survey(
                {
                    "type": "single_choice",
                    "question": "Which?",
                    "choices": ["a", "b"],
                    "branching": {"type": "specific_question", "index": 5},
                },
                OPEN,
            ),
            "question 5 does not exist",
        ),
        (
            _survey(
                {"type": "rating", "question": "Rate", "branching": {"type": "specific_question"}}
            ),
            "index is given with, and only with, type specific_question",
        ),
        (_survey({"type": "nps", "question": "?"}), "questions.0.type"),
        (_survey(), "give at least one question"),
        (
            _survey(OPEN, type="external_survey", linked_flag_id=12),
            "an external_survey takes no targeting: remove linked_flag_id",
        ),
        (
            _survey(
                OPEN,
                targeting_flag_filters={"groups": [{"properties": [], "rollout_percentage": 100}]},
            ),
            "targets everyone",
        ),
        (
            _survey(OPEN, start_date="2026-12-01T00:00:00Z", end_date="2026-11-01T00:00:00Z"),
            "must be after start_date",
        ),
    ],
)
def test_bad_surveys_are_refused_and_nothing_is_sent(
    toolkit: PostHogToolkit, args: dict[str, Any], problem: str
) -> None:
    result = toolkit.execute("posthog_create_survey", args)
    assert not result.successful
    assert result.error is not None
    assert "nothing was sent to PostHog" in result.error
    assert problem in result.error, result.error


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


def test_a_refused_call_reaches_no_transport(recorder: Recorder) -> None:
    kit = _kit(recorder)
    result = kit.execute("posthog_create_experiment", _experiment([TEST, CONTROL]))
    assert not result.successful
    assert recorder.requests == []


def test_experiment_body_types_metrics_and_sends_empty_filters(recorder: Recorder) -> None:
    kit = _kit(recorder)
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


def test_launching_now_sends_the_current_utc_time(recorder: Recorder) -> None:
    kit = _kit(recorder)
    result = kit.execute("posthog_update_experiment", {"id": 77, "start_date": "now"})
    assert result.successful, result.error
    request = recorder.requests[-1]
    assert request.method == "PATCH" and request.url.path == "/api/projects/2/experiments/77/"
    sent = recorder.body()
    assert list(sent) == ["start_date"] and sent["start_date"].endswith("Z")
    moment = datetime.fromisoformat(sent["start_date"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=1)
    assert "launched: start_date set to" in (result.content or "")


def test_survey_body_fills_posthog_defaults() -> None:
    recorder = Recorder({"id": NPS, "name": "Feedback", "type": "popover", "questions": []}, 201)
    kit = _kit(recorder)
    result = kit.execute(
        "posthog_create_survey",
        _survey({"type": "rating", "question": "Rate us"}, OPEN),
    )
    assert result.successful, result.error
    body = recorder.body()
    assert body["type"] == "popover"
    assert body["questions"][0] == {
        "type": "rating",
        "question": "Rate us",
        "display": "number",
        "scale": 5,
    }
    assert body["questions"][1] == OPEN


def test_summarize_is_a_read_even_on_a_read_only_toolkit() -> None:
    recorder = Recorder({"content": "People want exports.", "response_count": 3, "cached": True})
    kit = _kit(recorder, read_only=True)
    assert "posthog_summarize_survey_responses" in {t.name for t in kit.get_tools()}
    result = kit.execute("posthog_summarize_survey_responses", {"id": NPS, "question_index": 0})
    assert result.successful, result.error
    request = recorder.requests[-1]
    assert request.method == "POST"
    assert request.url.path == f"/api/projects/2/surveys/{NPS}/summarize_responses/"
    assert dict(request.url.params) == {"question_index": "0"}
    assert request.content == b""
    assert "3 responses" in (result.content or "") and "cached" in (result.content or "")


def test_response_counts_do_not_send_undeclared_parameters() -> None:
    recorder = Recorder({NPS: 4})
    kit = _kit(recorder)
    result = kit.execute("posthog_get_survey_response_counts", {"survey_id": NPS.upper()})
    assert result.successful, result.error
    first = recorder.requests[0]
    assert first.url.path == "/api/projects/2/surveys/responses_count/" and not first.url.query
    assert result.data["counts"] == {NPS: 4}
