"""Surveys: what validation refuses before sending, the requests built, and their changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from langchain_posthog import PostHogToolkit
from tests.actions import Server, answering, body, make_toolkit, refusal
from tests.scenarios import Scenario, example, params, play

NPS = "0193a1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
NPS_LINK = f"https://us.posthog.com/project/2/surveys/{NPS}"
PLAN = "0193c0de-1111-7222-8333-444455556666"
# PostHog's time, as its Date header says it in the survey cassettes: launch and stop use it.
DATE = "Sat, 05 Dec 2026 17:00:00 GMT"
NOW = "2026-12-05T17:00:00Z"
NEW_QUESTIONS = [
    {
        "type": "single_choice",
        "question": "Which plan are you on?",
        "choices": ["Free", "Pro", "Team"],
    },
    {"type": "open", "question": "What would make you upgrade?", "optional": True},
]

SCENARIOS = [
    Scenario(
        "posthog_create_survey",
        "posthog_create_survey.yaml",
        example("posthog_create_survey"),
        expect=(
            f'Created survey "NPS Q4" (id {NPS}): popover, 2 questions, draft',
            '0. rating (number 0-10): "How likely are you to recommend us?"',
            '1. open (optional): "What should we improve?"',
            NPS_LINK,
        ),
        forbid=("null", "None", "internal_targeting_flag", "survey-targeting"),
        artifact_keys=("id", "questions", "internal_targeting_flag"),
    ),
    Scenario(
        "posthog_create_survey",
        "posthog_create_survey.branching.yaml",
        {
            "name": "Plan feedback",
            "type": "widget",
            "questions": [
                {
                    "type": "single_choice",
                    "question": "Which plan are you on?",
                    "choices": ["Free", "Pro", "Other"],
                    "hasOpenChoice": True,
                    "branching": {"type": "response_based", "responseValues": {"0": 2, "2": "end"}},
                },
                {"type": "rating", "question": "How happy are you with Pro?", "display": "emoji"},
                {
                    "type": "link",
                    "question": "Book a call with us",
                    "link": "https://acme.example/call",
                },
            ],
            "linked_flag_id": 1234,
            "targeting_flag_filters": {
                "groups": [
                    {
                        "properties": [
                            {
                                "key": "plan",
                                "value": ["free", "pro"],
                                "operator": "exact",
                                "type": "person",
                            }
                        ],
                        "rollout_percentage": 50,
                    }
                ]
            },
            "conditions": {"url": "/billing", "urlMatchType": "icontains"},
            "appearance": {"widgetType": "tab", "widgetLabel": "Feedback"},
            "responses_limit": 200,
            "start_date": "2026-11-22T08:00:00Z",
        },
        expect=(
            "widget, 3 questions, running since 2026-11-22T08:00:00Z",
            '0. single_choice: "Which plan are you on?" | choices: "Free"; "Pro"; "Other"',
            '"responseValues":{"0":2,"2":"end"}',
            "1. rating (emoji 1-5)",
            '2. link: "Book a call with us" | link "https://acme.example/call"',
            'linked flag "new-onboarding" (id 1234)',
            "stops after 200 responses",
        ),
        artifact_keys=("linked_flag", "targeting_flag"),
    ),
    Scenario(
        "posthog_create_survey",
        "posthog_create_survey.duplicate_name.yaml",
        {"name": "NPS Q4", "questions": [{"type": "open", "question": "What should we improve?"}]},
        ok=False,
        expect=("400", "There is already a survey with this name", "Fix the arguments"),
    ),
    Scenario(
        "posthog_get_survey",
        "posthog_get_survey.yaml",
        {"id": NPS},
        expect=(
            f'Survey "NPS Q4" (id {NPS}): popover, 2 questions, running since 2026-11-21',
            '0. rating (number 0-10): "How likely are you to recommend us?" | branching '
            '{"type":"response_based","responseValues":{"promoters":"end"}}',
            '1. open (optional): "What should we improve?"',
            '"url":"/app","urlMatchType":"icontains"',
            "stops after 500 responses",
            NPS_LINK,
        ),
        forbid=("null", "None", "feature_flag_keys"),
        artifact_keys=("id", "questions", "conditions"),
    ),
    Scenario(
        "posthog_get_survey",
        "posthog_get_survey.not_found.yaml",
        {"id": UNKNOWN},
        ok=False,
        expect=("404", "posthog_get_survey_response_counts lists every survey"),
    ),
    Scenario(
        "posthog_update_survey",
        "posthog_update_survey.yaml",
        example("posthog_update_survey"),
        expect=(
            f'Stopped survey "NPS Q4" (id {NPS}): popover, 2 questions, stopped {NOW}',
            "Before: running since 2026-11-21T09:00:00Z.",
            NPS_LINK,
        ),
        forbid=("null", "None", "internal_targeting_flag"),
        artifact_keys=("survey", "before"),
    ),
    Scenario(
        "posthog_update_survey",
        "posthog_update_survey.launch.yaml",
        {"id": PLAN, "action": "launch", "questions": NEW_QUESTIONS},
        expect=(
            f'Launched survey "Plan feedback" (id {PLAN}): popover, 2 questions, running since '
            "2026-12-05T17:00:00Z",
            "Before: draft (not launched).",
            "Questions now: single_choice, open.",
            f"/project/2/surveys/{PLAN}",
        ),
        artifact_keys=("survey", "before"),
    ),
    Scenario(
        "posthog_update_survey",
        "posthog_update_survey.questions_launched.yaml",
        {"id": NPS, "questions": [{"type": "open", "question": "Anything else?"}]},
        ok=False,
        expect=(
            "has been launched (running since 2026-11-21T09:00:00Z)",
            "posthog_create_survey",
            "Nothing was changed.",
        ),
    ),
    Scenario(
        "posthog_update_survey",
        "posthog_update_survey.not_found.yaml",
        {"id": UNKNOWN, "action": "stop"},
        ok=False,
        expect=("404", "Survey ids are UUIDs"),
    ),
    Scenario(
        "posthog_update_survey",
        "posthog_update_survey.duplicate_name.yaml",
        {"id": NPS, "name": "Onboarding feedback"},
        ok=False,
        expect=("400", "There is already another survey with this name"),
    ),
    Scenario(
        "posthog_get_survey_response_counts",
        "posthog_get_survey_response_counts.yaml",
        {},
        expect=(
            f'- "NPS Q4" (id {NPS}): 214, running since 2026-11-21T09:00:00Z',
            '"Onboarding feedback" (id 01927f00-aaaa-7bbb-8ccc-1234567890ab): 9, stopped',
            "maybe deleted) id 01911111-2222-7333-8444-555566667777: 3",
            '"Plan feedback" (id 0193c0de-1111-7222-8333-444455556666): 0, draft',
        ),
        artifact_keys=("counts", "surveys"),
    ),
    Scenario(
        "posthog_get_survey_response_counts",
        "posthog_get_survey_response_counts.one_survey.yaml",
        {"survey_id": NPS},
        expect=(f'"NPS Q4" (id {NPS}): 214', NPS_LINK),
        forbid=("Onboarding feedback", "01911111"),
        artifact_keys=("counts", "surveys"),
    ),
    Scenario(
        "posthog_get_survey_response_counts",
        "posthog_get_survey_response_counts.forbidden.yaml",
        {},
        ok=False,
        expect=("403", "survey:read"),
    ),
    Scenario(
        "posthog_summarize_survey_responses",
        "posthog_summarize_survey_responses.yaml",
        {"id": NPS, "question_index": 1},
        expect=(
            "Summary of question 1",
            "57 responses",
            "generated 2026-12-01T10:15:00Z",
            "**faster exports** (21)",
            NPS_LINK,
        ),
        forbid=("trace_id", "5e1f8a2b"),
        artifact_keys=("content", "response_count", "cached"),
    ),
    Scenario(
        "posthog_summarize_survey_responses",
        "posthog_summarize_survey_responses.not_cloud.yaml",
        {"id": NPS, "question_index": 1},
        ok=False,
        expect=("400", "only supported in PostHog Cloud", "tell the user"),
    ),
    Scenario(
        "posthog_summarize_survey_responses",
        "posthog_summarize_survey_responses.ai_not_approved.yaml",
        {"id": NPS, "question_index": 1},
        ok=False,
        expect=("403", "AI data processing must be approved", "organization admin"),
    ),
    Scenario(
        "posthog_summarize_survey_responses",
        "posthog_summarize_survey_responses.bad_question.yaml",
        {"id": NPS, "question_index": 7},
        ok=False,
        expect=("400", "Question index 7 does not exist", "posthog_get_survey"),
    ),
    Scenario(
        "posthog_summarize_survey_responses",
        "posthog_summarize_survey_responses.not_found.yaml",
        {"id": UNKNOWN, "question_index": 0},
        ok=False,
        expect=("404", "Survey ids are UUIDs"),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


NPS = "0193a1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b"


@pytest.fixture
def recorder() -> Iterator[Server]:
    yield answering({"id": 77, "name": "x", "feature_flag_key": "k"})


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
        (
            # pydantic would read true as question 1.
            _survey(
                {
                    "type": "single_choice",
                    "question": "Which?",
                    "choices": ["a", "b"],
                    "branching": {"type": "response_based", "responseValues": {"0": True}},
                },
                OPEN,
            ),
            "responseValues: true is not a number",
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


def test_survey_body_fills_posthog_defaults() -> None:
    recorder = answering({"id": NPS, "name": "Feedback", "type": "popover", "questions": []}, 201)
    kit = make_toolkit(recorder)
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


def test_posthogs_other_question_fields_are_taken_and_checked_per_type() -> None:
    recorder = answering({"id": NPS, "name": "Feedback", "type": "popover", "questions": []}, 201)
    choice = {
        "type": "single_choice",
        "question": "Which plan?",
        "choices": ["Free", "Pro"],
        "description": "<b>Pick one</b>",
        "descriptionContentType": "html",
        "buttonText": "Next",
        "shuffleOptions": True,
    }
    result = make_toolkit(recorder).execute("POSTHOG_CREATE_PROJECT_SURVEY", _survey(choice))
    assert result.successful, result.error
    assert recorder.body()["questions"] == [choice]
    error = refusal("posthog_create_survey", _survey({**OPEN, "shuffleOptions": True}))
    assert "shuffleOptions is for single_choice and multiple_choice questions, not open" in error


def test_summarize_asks_about_one_question_with_an_empty_body() -> None:
    recorder = answering({"content": "People want exports.", "response_count": 3, "cached": True})
    kit = make_toolkit(recorder)
    result = kit.execute("posthog_summarize_survey_responses", {"id": NPS, "question_index": 0})
    assert result.successful, result.error
    request = recorder.requests[-1]
    assert request.method == "POST"
    assert request.url.path == f"/api/projects/2/surveys/{NPS}/summarize_responses/"
    assert dict(request.url.params) == {"question_index": "0"}
    assert request.content == b""
    assert "3 responses" in (result.content or "") and "cached" in (result.content or "")


def test_response_counts_do_not_send_undeclared_parameters() -> None:
    recorder = answering({NPS: 4})
    kit = make_toolkit(recorder)
    result = kit.execute("posthog_get_survey_response_counts", {"survey_id": NPS.upper()})
    assert result.successful, result.error
    first = recorder.requests[0]
    assert first.url.path == "/api/projects/2/surveys/responses_count/" and not first.url.query
    assert result.data["counts"] == {NPS: 4}


# -- changing a survey --------------------------------------------------------------------------

DRAFT = {"id": NPS, "name": "NPS Q4", "type": "popover", "questions": [OPEN], "archived": False}
RUNNING = {**DRAFT, "start_date": "2026-11-21T09:00:00Z", "end_date": None}
STOPPED = {**RUNNING, "end_date": "2026-11-30T09:00:00Z"}


def _survey_server(current: dict[str, Any], date: str | None = DATE) -> Server:
    """PostHog holding ``current``: a GET answers it, a PATCH answers it changed."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            headers = {"Date": date} if date else {}
            return httpx.Response(200, json=current, headers=headers)
        return httpx.Response(200, json={**current, **body(request)})

    return Server(default=handle)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({"id": NPS}, "give an action, or a name, description or questions to change"),
        ({"id": NPS, "questions": []}, "questions: give at least one question"),
        ({"id": NPS, "action": "pause"}, "action: Input should be"),
        ({"id": NPS, "name": "   "}, "name: must hold more than spaces"),
        (
            {"id": "not-a-uuid", "action": "stop"},
            "id: a survey id is a UUID, not a name; posthog_get_survey_response_counts lists",
        ),
        (
            {"id": NPS, "questions": [{**OPEN, "branching": {"type": "end"}}]},
            "branching is for rating and single_choice questions, not open",
        ),
        (
            {
                "id": NPS,
                "questions": [
                    {
                        "type": "single_choice",
                        "question": "Which?",
                        "choices": ["a", "b"],
                        "branching": {"type": "specific_question", "index": 3},
                    },
                    OPEN,
                ],
            },
            "question 3 does not exist",
        ),
        ({"id": NPS, "name": ""}, "name: must be 1 to 400 characters"),
    ],
)
def test_a_survey_change_that_cannot_work_is_refused_and_nothing_is_sent(
    args: dict[str, Any], problem: str
) -> None:
    error = refusal("posthog_update_survey", args)
    assert problem in error, error


@pytest.mark.parametrize(
    ("current", "action", "sent"),
    [
        (DRAFT, "launch", {"start_date": NOW}),
        (RUNNING, "stop", {"end_date": NOW}),
        (STOPPED, "resume", {"end_date": None}),
        (STOPPED, "archive", {"archived": True}),
        # An archived survey is no longer shown: one still running is stopped as it is archived.
        (RUNNING, "archive", {"archived": True, "end_date": NOW}),
        (DRAFT, "archive", {"archived": True}),
    ],
)
def test_each_action_sends_what_posthogs_own_ui_sends_at_posthogs_time(
    current: dict[str, Any], action: str, sent: dict[str, Any]
) -> None:
    server = _survey_server(current)
    result = make_toolkit(server).execute("posthog_update_survey", {"id": NPS, "action": action})
    assert result.successful, result.error
    assert [r.method for r in server.requests] == ["GET", "PATCH"]
    assert server.body(1) == sent
    assert result.data["before"] == {
        k: current.get(k) for k in ("start_date", "end_date", "archived")
    }


@pytest.mark.parametrize(
    ("current", "action", "problem"),
    [
        (RUNNING, "launch", "already launched (running since 2026-11-21T09:00:00Z)."),
        (STOPPED, "launch", "Use action resume to run it again."),
        (DRAFT, "stop", "is not running (draft (not launched)); there is nothing to stop."),
        (STOPPED, "stop", "is not running (stopped 2026-11-30T09:00:00Z)"),
        (RUNNING, "resume", "is not stopped (running since"),
        (DRAFT, "resume", "Use action launch to start it."),
        ({**STOPPED, "archived": True}, "archive", "is archived"),
    ],
)
def test_an_action_the_survey_is_not_ready_for_is_refused_after_reading_it(
    current: dict[str, Any], action: str, problem: str
) -> None:
    server = _survey_server(current)
    result = make_toolkit(server).execute("posthog_update_survey", {"id": NPS, "action": action})
    assert not result.successful and result.error is not None
    assert problem in result.error, result.error
    assert "Nothing was changed." in result.error
    assert [r.method for r in server.requests] == ["GET"]


def test_questions_of_a_stopped_survey_are_refused_and_of_a_draft_replaced() -> None:
    refused = _survey_server(STOPPED)
    args = {"id": NPS, "questions": NEW_QUESTIONS}
    result = make_toolkit(refused).execute("posthog_update_survey", args)
    assert not result.successful and result.error is not None
    assert "has been launched (stopped 2026-11-30T09:00:00Z)" in result.error
    assert [r.method for r in refused.requests] == ["GET"]
    changed = _survey_server(DRAFT)
    result = make_toolkit(changed).execute("posthog_update_survey", {**args, "name": "Plans"})
    assert result.successful, result.error
    assert changed.body(1) == {"name": "Plans", "questions": NEW_QUESTIONS}
    assert "Questions now: single_choice, open." in (result.content or "")


def test_a_name_or_description_alone_is_one_patch() -> None:
    server = _survey_server(RUNNING)
    args = {"id": NPS, "name": "NPS Q1", "description": "Quarterly NPS"}
    result = make_toolkit(server).execute("posthog_update_survey", args)
    assert result.successful, result.error
    assert [r.method for r in server.requests] == ["PATCH"]
    assert server.body(0) == {"name": "NPS Q1", "description": "Quarterly NPS"}
    assert (result.content or "").startswith('Updated survey "NPS Q1"')
    assert "Before:" not in (result.content or "")


def test_without_posthogs_date_header_the_time_is_this_machines() -> None:
    server = _survey_server(RUNNING, date=None)
    before = datetime.now(UTC).replace(microsecond=0)
    result = make_toolkit(server).execute("posthog_update_survey", {"id": NPS, "action": "stop"})
    after = datetime.now(UTC)
    assert result.successful, result.error
    sent = datetime.fromisoformat(server.body(1)["end_date"].replace("Z", "+00:00"))
    assert before <= sent <= after
