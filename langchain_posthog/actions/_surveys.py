"""What the survey rows share: the area, a survey's id, and how its state reads."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, WithJsonSchema

from langchain_posthog.actions._args import UUID_TEXT
from langchain_posthog.actions._render import named, said, term
from langchain_posthog.actions._shapes import Area

SURVEYS = Area(
    "survey",
    "surveys",
    "survey",
    ui="surveys",
    not_found=(
        "Survey ids are UUIDs: posthog_get_survey_response_counts lists every survey with its id, "
        "or take it from the survey's URL (.../surveys/<id>)."
    ),
    text=(
        "name", "description", "questions", "conditions", "appearance", "linked_flag.key",
        "linked_flag.name", "targeting_flag.key", "targeting_flag.name", "targeting_flag.filters",
        "internal_targeting_flag.key", "internal_targeting_flag.name",
        "internal_targeting_flag.filters", "feature_flag_keys",
    ),
)  # fmt: skip


def _survey_id(value: str) -> str:
    if not UUID_TEXT.match(value):
        # The value is not repeated: errors never echo input (it could be a pasted key).
        raise ValueError(
            "a survey id is a UUID, not a name; posthog_get_survey_response_counts lists every "
            "survey with its id"
        )
    return value


# Checked here; the model reads the short "format: uuid".
SurveyId = Annotated[
    str, AfterValidator(_survey_id), WithJsonSchema({"type": "string", "format": "uuid"})
]


def survey_state(survey: dict[str, Any]) -> str:
    """Draft, running, stopped or archived, as PostHog's start_date, end_date and archived say."""
    if survey.get("archived"):
        state = "archived"
    elif not survey.get("start_date"):
        state = "draft (not launched)"
    elif survey.get("end_date"):
        state = f"stopped {term(survey['end_date'])}"
    else:
        state = f"running since {term(survey['start_date'])}"
    return state


def headline(survey: dict[str, Any]) -> str:
    """A survey's name and id, type, number of questions and state, on one line."""
    questions = survey.get("questions") or []
    return (
        f"{named(survey)}: "
        + said("{}, ", survey.get("type") and term(survey["type"]))
        + f"{len(questions)} question{'s' if len(questions) != 1 else ''}, {survey_state(survey)}"
    )
