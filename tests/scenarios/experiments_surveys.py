"""Experiment and survey scenarios."""

from __future__ import annotations

from tests.scenarios import Scenario, example

NPS = "0193a1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
EXPERIMENT_LINK = "https://us.posthog.com/project/2/experiments/77"
NPS_LINK = f"https://us.posthog.com/project/2/surveys/{NPS}"
NO_LIST = "Find the experiment's id with posthog_list_experiments."

SCENARIOS = [
    Scenario(
        "posthog_list_experiments",
        "posthog_list_experiments.yaml",
        {"limit": 50},
        expect=(
            "Experiments 1-3 of 3.",
            '- "Pricing page v2" (id 77): running; flag pricing-page-v2; '
            "started 2026-11-21T09:00:00Z",
            '- "Onboarding checklist" (id 81): draft; flag onboarding-checklist',
            '- "Signup button copy" (id 64): stopped, concluded lost, archived; '
            "flag signup-button-copy; started 2026-09-01T08:00:00Z; ended 2026-09-29T16:30:00Z",
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
            "Feature flag: pricing-page-v2 (flag id 1250)",
            "Variants: control 50%, test 50%",
            "Primary metrics: Upgrade rate (funnel)",
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
            "Variants: control 50%, test 50%",
            "Primary metrics: Upgrade rate (funnel), Checkout conversion (shared)",
            "Secondary metrics: Pricing page views (mean)",
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
            "Conclusion comment: Test lifted upgrades by 12%.",
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
            "Variants: control 50%, test 50%",
            "Minimum detectable effect: 10%",
        ),
        forbid=("null", "None", "30%"),
        artifact_keys=("id", "parameters"),
    ),
    Scenario(
        "posthog_update_experiment",
        "posthog_update_experiment.not_found.yaml",
        {"id": 99999, "archived": True},
        ok=False,
        expect=("404", NO_LIST),
    ),
    Scenario(
        "posthog_create_survey",
        "posthog_create_survey.yaml",
        example("posthog_create_survey"),
        expect=(
            f'Created survey "NPS Q4" (id {NPS}): popover, 2 questions, draft',
            "0. rating (number 0-10): How likely are you to recommend us?",
            "1. open (optional): What should we improve?",
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
            "0. single_choice: Which plan are you on? | choices: Free; Pro; Other",
            '"responseValues":{"0":2,"2":"end"}',
            "1. rating (emoji 1-5)",
            "2. link: Book a call with us | link https://acme.example/call",
            "linked flag new-onboarding (id 1234)",
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
            '0. rating (number 0-10): How likely are you to recommend us? | branching {"type":'
            '"response_based","responseValues":{"promoters":"end"}}',
            "1. open (optional): What should we improve?",
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
