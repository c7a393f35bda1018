"""Changing a survey: launch, stop, resume or archive it, and what a draft asks."""

# Argument models have no docstrings: pydantic would send them to the model as descriptions.

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from langchain_posthog.actions._args import ArgsModel, text_max
from langchain_posthog.actions._dates import iso
from langchain_posthog.actions._questions import Question, check_branching
from langchain_posthog.actions._render import term
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import update_row
from langchain_posthog.actions._surveys import SURVEYS, SurveyId, headline, survey_state
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.api.errors import PostHogError

Verb = Literal["launch", "stop", "resume", "archive"]
_DONE = {"launch": "Launched", "stop": "Stopped", "resume": "Resumed", "archive": "Archived"}


class UpdateSurveyArgs(ArgsModel):
    id: SurveyId
    action: Verb | None = None  # takes effect now
    name: Annotated[str, text_max(400)] | None = None
    description: Annotated[str, text_max(1000)] | None = None
    questions: list[Question] | None = Field(None, description="Replaces all; drafts only.")

    @model_validator(mode="after")
    def _something_to_do(self) -> Self:
        given = (self.action, self.name, self.description, self.questions)
        if all(value is None for value in given):
            raise ValueError("give an action, or a name, description or questions to change")
        if self.questions is not None:
            problems = [] if self.questions else ["questions: give at least one question"]
            for index, question in enumerate(self.questions):
                problems += check_branching(index, question, len(self.questions))
            if problems:
                raise ValueError("; ".join(problems))
        return self


def _refusal(args: UpdateSurveyArgs, survey: dict[str, Any]) -> str | None:
    """Why ``args`` cannot apply to ``survey`` as PostHog holds it now, or ``None``."""
    name = f"Survey {args.id}"
    started, ended = survey.get("start_date"), survey.get("end_date")
    if args.questions is not None and started:
        # PostHog itself takes the change, but answers are kept per question: old and new
        # answers would be counted together under the new wording.
        return (
            f"{name} has been launched ({survey_state(survey)}); its questions cannot change "
            "without mixing old answers with new ones. Create a new survey with these questions "
            "(posthog_create_survey), and stop this one if it is running."
        )
    if survey.get("archived") and args.action is not None:
        return f"{name} is archived; it cannot be changed here. Unarchive it in PostHog's UI."
    if args.action == "launch" and started:
        follow = " Use action resume to run it again." if ended else ""
        return f"{name} is already launched ({survey_state(survey)}).{follow}"
    if args.action == "stop" and (not started or ended):
        return f"{name} is not running ({survey_state(survey)}); there is nothing to stop."
    if args.action == "resume" and (not started or not ended):
        follow = " Use action launch to start it." if not started else ""
        state = survey_state(survey)
        return f"{name} is not stopped ({state}); only a stopped survey resumes.{follow}"
    return None


def _server_now(headers: Mapping[str, str]) -> datetime:
    """PostHog's time, from the Date header of its last answer; this machine's if it sent none.

    A start or end date is compared with PostHog's clock, so a machine whose clock is off does
    not set one in PostHog's past or future.
    """
    try:
        said = parsedate_to_datetime(headers["date"])
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC).replace(microsecond=0)
    # HTTP dates are GMT; one written "-0000" parses without a zone.
    return said.astimezone(UTC) if said.tzinfo else said.replace(tzinfo=UTC)


def _update_plan(args: UpdateSurveyArgs, ctx: Context) -> Plan[dict[str, Any]]:
    path = SURVEYS.at(ctx, args.id)
    body: dict[str, Any] = args.model_dump(
        exclude_none=True, include={"name", "description"}, mode="json"
    )
    if args.questions is not None:
        body["questions"] = [q.body() for q in args.questions]
    before: dict[str, Any] | None = None
    if args.action is not None or args.questions is not None:
        current = yield Call("GET", path)
        survey = current.data if isinstance(current.data, dict) else {}
        problem = _refusal(args, survey)
        if problem is not None:
            raise PostHogError(problem + " Nothing was changed.")
        before = {k: survey.get(k) for k in ("start_date", "end_date", "archived")}
        now = iso(_server_now(current.headers))
        # As PostHog's own UI does it (surveyLogic: launchSurvey, stopSurvey, resumeSurvey).
        if args.action == "launch":
            body["start_date"] = now
        elif args.action == "stop":
            body["end_date"] = now
        elif args.action == "resume":
            body["end_date"] = None
        elif args.action == "archive":
            body["archived"] = True
            if survey.get("start_date") and not survey.get("end_date"):
                # PostHog stops serving an archived survey to its SDKs (get_surveys_response
                # leaves archived ones out): record that this one ended then too.
                body["end_date"] = now
    reply = yield Call("PATCH", path, json=body)
    return {"survey": reply.data, "before": before}


def _render_updated(data: Any, args: UpdateSurveyArgs, ctx: Context) -> str:
    survey = data["survey"] if isinstance(data.get("survey"), dict) else {}
    before = data.get("before") if isinstance(data.get("before"), dict) else None
    verb = _DONE.get(args.action or "", "Updated")
    if args.action == "archive" and before and before.get("start_date") and not before["end_date"]:
        verb = "Stopped and archived"
    lines = [f"{verb} survey {headline(survey)}"]
    if before is not None:
        lines.append(f"Before: {survey_state(before)}.")
    if args.questions is not None:
        kinds = [term(q.get("type")) for q in survey.get("questions") or [] if isinstance(q, dict)]
        lines.append(f"Questions now: {', '.join(kinds) or 'none'}.")
    lines += SURVEYS.links(survey, ctx)
    return "\n".join(lines)


ACTIONS = [
    update_row(
        SURVEYS,
        "posthog_update_survey",
        "Launch, stop, resume or archive a survey, or edit a draft. Says its state after.",
        UpdateSurveyArgs,
        _update_plan,
        _render_updated,
        example={"id": "0193a1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b", "action": "stop"},
    ),
]
