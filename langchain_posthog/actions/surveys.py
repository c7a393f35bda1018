"""PostHog surveys: create, read, count responses and summarize them."""

from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from langchain_posthog.actions._args import ArgsModel, positive, text_max
from langchain_posthog.actions._dates import Moment, check_dates
from langchain_posthog.actions._filters import FlagFiltersText
from langchain_posthog.actions._questions import Question, check_branching
from langchain_posthog.actions._render import (
    MAX_ITEMS,
    compact_json,
    cut,
    named,
    quoted,
    results,
    said,
    term,
)
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import create_row, get_row, row
from langchain_posthog.actions._surveys import SURVEYS, SurveyId, headline, survey_state
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.api.errors import PostHogAPIError
from langchain_posthog.schema import JsonText

SUMMARY_TEXT = 4000  # characters of an AI summary shown


class _CreateSurveyArgs(ArgsModel):
    name: Annotated[str, text_max(400)]
    # Sent as popover when left out; PostHog requires a type.
    type: Literal["popover", "widget", "api", "external_survey"] | None = Field(
        None, description="api: you render it."
    )
    questions: list[Question]
    linked_flag_id: Annotated[int | None, positive(1)] = None  # shown where this flag is on
    targeting_flag_filters: FlagFiltersText | None = Field(
        None, description="A flag's filters, as JSON."
    )
    conditions: Annotated[dict[str, Any], JsonText()] | None = Field(
        None, description="JSON: url, urlMatchType, events..."
    )
    appearance: Annotated[dict[str, Any], JsonText()] | None = Field(None, description="JSON.")
    responses_limit: Annotated[int | None, positive(1)] = Field(None, description="Stop after N.")
    start_date: Moment | None = Field(None, description="'now' or ISO: launches it.")
    end_date: Moment | None = None
    # Taken from the catalogue's calls but not advertised: the catalogue tools' schemas are
    # held to a token budget, and a model seldom needs them on a create.
    description: SkipJsonSchema[Annotated[str, text_max(1000)] | None] = None
    targeting_flag_id: SkipJsonSchema[Annotated[int, positive(1)] | None] = None
    archived: SkipJsonSchema[bool | None] = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[str] = []
        if not self.questions:
            problems.append("questions: give at least one question")
        for index, question in enumerate(self.questions):
            problems += check_branching(index, question, len(self.questions))
        if self.type == "external_survey":
            wrong = [
                name
                for name in (
                    "linked_flag_id",
                    "targeting_flag_filters",
                    "targeting_flag_id",
                    "conditions",
                )
                if getattr(self, name) is not None
            ]
            if wrong:
                problems.append(f"an external_survey takes no targeting: remove {', '.join(wrong)}")
        if self.targeting_flag_id is not None and self.targeting_flag_filters is not None:
            problems.append("give targeting_flag_id (an existing flag) or targeting_flag_filters")
        if problems:
            raise ValueError("; ".join(problems))
        check_dates(self.start_date, self.end_date)
        return self


class _GetSurveyArgs(ArgsModel):
    id: SurveyId


class _ResponseCountsArgs(ArgsModel):
    survey_id: SurveyId | None = None


class _SummarizeArgs(ArgsModel):
    id: SurveyId
    question_index: Annotated[int, positive(0)] = Field(description="0-based.")
    force_refresh: bool | None = None  # bypass PostHog's cached summary


def _create_body(args: _CreateSurveyArgs) -> dict[str, Any]:
    body = args.model_dump(exclude_none=True, exclude={"questions"}, mode="json")
    body.setdefault("type", "popover")
    body["questions"] = [q.body() for q in args.questions]
    return body


def _question_line(index: int, question: dict[str, Any]) -> str:
    kind = question.get("type")
    extra = []
    if kind == "rating":
        scale = question.get("scale")
        low = 0 if scale == 10 else 1
        shown = term(question.get("display") or "number")
        extra.append(shown if scale is None else f"{shown} {low}-{quoted(scale)}")
    if question.get("optional"):
        extra.append("optional")
    head = f"{index}. {term(kind) if kind else 'question'}"
    head += f" ({', '.join(extra)})" if extra else ""
    text = question.get("question")
    line = f"{head}: {quoted(text) if text else '(no text)'}"
    if question.get("choices"):
        line += " | choices: " + "; ".join(map(quoted, question["choices"]))
    if question.get("link"):
        line += f" | link {quoted(question['link'])}"
    branching = question.get("branching")
    if isinstance(branching, dict) and branching.get("type") not in (None, "next_question"):
        line += " | branching " + compact_json(branching)
    return line


def _survey_text(survey: Any, args: Any, ctx: Context) -> str:
    lines = [headline(survey)]
    questions = [q for q in survey.get("questions") or [] if isinstance(q, dict)]
    lines += cut([_question_line(i, q) for i, q in enumerate(questions)], 30, "see the artifact")
    targeting = []
    if isinstance(survey.get("conditions"), dict) and survey["conditions"]:
        targeting.append("conditions " + compact_json(survey["conditions"]))
    for key, label in (("linked_flag", "linked flag"), ("targeting_flag", "targeting flag")):
        flag = survey.get(key) or {}
        if flag.get("key"):
            targeting.append(f"{label} {quoted(flag['key'])}" + said(" (id {})", flag.get("id")))
    if survey.get("responses_limit"):
        targeting.append(f"stops after {term(survey['responses_limit'])} responses")
    if targeting:
        lines.append("Targeting: " + "; ".join(targeting))
    return "\n".join(lines)


def _counts_plan(args: _ResponseCountsArgs, ctx: Context) -> Plan[dict[str, Any]]:
    counts = yield Call("GET", SURVEYS.at(ctx) + "responses_count/")
    raw = counts.data if isinstance(counts.data, dict) else {}
    data = {str(k): v for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool)}
    if args.survey_id is not None:
        survey = yield Call("GET", SURVEYS.at(ctx, args.survey_id))
        key = args.survey_id.lower()  # PostHog's keys are lower-case
        return {"counts": {key: data.get(key, 0)}, "surveys": [survey.data]}
    surveys: list[dict[str, Any]] = []
    total = None
    # Names for the ids, a page at a time; a project rarely has more than a few hundred.
    while total is None or len(surveys) < min(total, 500):
        page = yield Call("GET", SURVEYS.at(ctx), params={"limit": 100, "offset": len(surveys)})
        items = results(page.data)
        surveys += items
        count = page.data.get("count") if isinstance(page.data, dict) else None
        total = count if isinstance(count, int) else len(surveys)
        if not items:
            break
    return {"counts": data, "surveys": surveys}


def _render_counts(data: Any, args: _ResponseCountsArgs, ctx: Context) -> str:
    counts: dict[str, int] = data.get("counts") or {}
    surveys = [s for s in data.get("surveys") or [] if isinstance(s, dict) and s.get("id")]
    by_id = {str(s["id"]): s for s in surveys}
    ids = list(dict.fromkeys([*counts, *by_id]))
    ids.sort(key=lambda i: -(counts.get(i) or 0))
    lines = []
    for survey_id in ids:
        survey = by_id.get(survey_id)
        count = counts.get(survey_id, 0)
        if survey is None:
            lines.append(f"- (not in the survey list, maybe deleted) id {term(survey_id)}: {count}")
        else:
            lines.append(f"- {named(survey)}: {count}, {survey_state(survey)}")
    if not lines:
        return "No surveys in this project."
    head = "Responses (survey sent events) per survey, most first:"
    if args.survey_id is not None:
        head = "Responses (survey sent events):"
        lines.append(SURVEYS.link(args.survey_id, ctx, next(iter(by_id.values()), None)))
    return "\n".join([head, *cut(lines, MAX_ITEMS, "pass survey_id for one survey")])


def _summarize_plan(args: _SummarizeArgs, ctx: Context) -> Plan[Any]:
    path = SURVEYS.at(ctx, args.id) + "summarize_responses/"
    body = {"force_refresh": True} if args.force_refresh else None
    # A read (scope survey:read) that PostHog serves from cache or recomputes: safe to resend.
    reply = yield Call(
        "POST", path, params={"question_index": args.question_index}, json=body, idempotent=True
    )
    return reply.data


def _render_summary(data: Any, args: _SummarizeArgs, ctx: Context) -> str:
    facts = [f"{term(data.get('response_count') or 0)} responses"]
    if data.get("generated_at"):
        facts.append(f"generated {term(data['generated_at'])}")
    if data.get("cached"):
        facts.append("cached (force_refresh for a new one)")
    head = f"Summary of question {args.question_index} of survey {args.id} ({', '.join(facts)}):"
    content = data.get("content")
    text = quoted(str(content), limit=SUMMARY_TEXT) if content else "(empty)"
    return "\n".join([head, text, SURVEYS.link(args.id, ctx)])


def _explain_summary(error: PostHogAPIError, args: Any, ctx: Context) -> str | None:
    detail = (error.detail or "").rstrip(".")
    if error.status == 400 and "only supported in PostHog Cloud" in detail:
        return (
            f"PostHog refused (400): {detail}. AI summaries of survey responses run only on "
            "PostHog Cloud; tell the user, and read the responses another way (the survey's page, "
            "or a query on 'survey sent' events)."
        )
    if error.status == 403 and "AI" in detail:
        return (
            f"PostHog refused (403): {detail}. The organization has not approved AI data "
            "processing; an organization admin can allow it in PostHog's organization settings. "
            "Tell the user; retrying will not help."
        )
    if error.status == 400 and "text of the question" in detail:
        return (
            f"PostHog refused (400): {detail}. Question index {args.question_index} does not "
            "exist in this survey; get the survey with posthog_get_survey to see its questions."
        )
    return None


ACTIONS = [
    create_row(
        SURVEYS,
        "posthog_create_survey",
        "Create a survey; a draft until start_date is set.",
        _CreateSurveyArgs,
        _survey_text,
        body=_create_body,
        catalogue="CREATE_PROJECT_SURVEY",
        example={
            "name": "NPS Q4",
            "questions": [
                {
                    "type": "rating",
                    "question": "How likely are you to recommend us?",
                    "scale": 10,
                    "lowerBoundLabel": "Unlikely",
                    "upperBoundLabel": "Very likely",
                },
                {"type": "open", "question": "What should we improve?", "optional": True},
            ],
        },
    ),
    get_row(
        SURVEYS,
        "posthog_get_survey",
        "Get one survey by id: type, state, questions and choices, targeting, dates.",
        _GetSurveyArgs,
        _survey_text,
        catalogue="RETRIEVE_SURVEY_DETAILS_WITH_UUID_AND_PROJECT_ID",
        example={"id": "0193a1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b"},
    ),
    row(
        SURVEYS,
        "posthog_get_survey_response_counts",
        "Count responses per survey, naming every survey of the project with its id and state; "
        "survey_id narrows it to one.",
        _ResponseCountsArgs,
        _counts_plan,
        _render_counts,
        catalogue="RETRIEVE_SURVEY_RESPONSES_COUNT_BY_PROJECT_ID",
        # The counts are keyed by the $survey_id property of the events: captured text.
        user_text=SURVEYS.user_text("*"),
        not_found=SURVEYS.not_found,
        example={},
    ),
    row(
        SURVEYS,
        "posthog_summarize_survey_responses",
        "AI summary of the free-text answers to one survey question. PostHog Cloud only, with AI "
        "features allowed.",
        _SummarizeArgs,
        _summarize_plan,
        _render_summary,
        catalogue="SUMMARIZE_SURVEY_RESPONSES",
        user_text=("content",),
        not_found=SURVEYS.not_found,
        explain=_explain_summary,
        example={"id": "0193a1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b", "question_index": 1},
    ),
]
