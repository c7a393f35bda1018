"""A survey's questions: one model for every kind, checked per type, and where each branches."""

import re
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from langchain_posthog.actions._args import ArgsModel, positive, text_max
from langchain_posthog.schema import JsonText

QuestionType = Literal["open", "link", "rating", "single_choice", "multiple_choice"]
_CHOICE = ("single_choice", "multiple_choice")
# Which optional fields each kind of question takes; anything else is refused by name.
_FIELDS: dict[str, tuple[str, ...]] = {
    "open": (),
    "link": ("link",),
    "rating": ("display", "scale", "lowerBoundLabel", "upperBoundLabel", "branching"),
    "single_choice": ("choices", "hasOpenChoice", "shuffleOptions", "branching"),
    "multiple_choice": ("choices", "hasOpenChoice", "shuffleOptions"),
}
# Fields every kind takes (ENDPOINTS.md 3.16), besides type, question and optional.
_COMMON = frozenset({"description", "descriptionContentType", "buttonText"})
_LINK = re.compile(r"^(https://[^\s/]+\S*|mailto:[^\s@]+@\S+)$")
_SENTIMENTS = ("negative", "neutral", "positive")
_NPS = ("detractors", "passives", "promoters")


class _Branching(ArgsModel):
    type: Literal["next_question", "end", "specific_question", "response_based"]
    index: Annotated[int | None, positive(0)] = None  # specific_question's target
    # Answers are choice indexes ("0"), negative/neutral/positive, or NPS detractors/passives/
    # promoters; a wrong one is refused with the list, so the schema need not carry it.
    responseValues: Annotated[dict[str, int | Literal["end"]], JsonText()] | None = Field(
        None, description="response_based, JSON: {answer: question index or 'end'}."
    )

    @model_validator(mode="after")
    def _fields_for_type(self) -> Self:
        if (self.type == "specific_question") != (self.index is not None):
            raise ValueError("index is given with, and only with, type specific_question")
        if (self.type == "response_based") != bool(self.responseValues):
            raise ValueError("responseValues is given with, and only with, type response_based")
        return self


# One model for every kind of question, not a union on type: a union repeats the shared fields
# and branching in the schema for each kind, doubling its tokens. Fields are checked per type.
class Question(ArgsModel):
    type: QuestionType
    question: Annotated[str, text_max(2000)]
    optional: bool | None = None
    link: str | None = None  # https:// or mailto:, checked below
    display: Literal["number", "emoji"] | None = None
    scale: Literal[3, 5, 7, 10] | None = None  # 5 by default; 10 is NPS
    lowerBoundLabel: str | None = None  # PostHog's names
    upperBoundLabel: str | None = None
    choices: list[Annotated[str, text_max(400)]] | None = None  # 2-20, unique
    hasOpenChoice: bool | None = None  # the last choice is free text
    branching: _Branching | None = None
    # PostHog's other question fields: taken from callers who know them (the catalogue's),
    # not shown to a model, whose schema stays small.
    description: SkipJsonSchema[Annotated[str, text_max(2000)] | None] = None
    descriptionContentType: SkipJsonSchema[Literal["text", "html"] | None] = None
    buttonText: SkipJsonSchema[Annotated[str, text_max(400)] | None] = None
    shuffleOptions: SkipJsonSchema[bool | None] = None

    @model_validator(mode="after")
    def _fields_for_type(self) -> Self:
        given = self.model_dump(
            exclude_none=True, exclude={"type", "question", "optional", *_COMMON}
        )
        problems = [
            f"{name} is for {' and '.join(k for k, f in _FIELDS.items() if name in f)} "
            f"questions, not {self.type}"
            for name in given
            if name not in _FIELDS[self.type]
        ]
        if self.type == "link" and not _LINK.match(self.link or ""):
            problems.append("a link question needs link: an https:// or mailto: URL")
        if self.type in _CHOICE:
            count = len(self.choices or [])
            if not 2 <= count <= 20:
                problems.append(f"a {self.type} question needs 2 to 20 choices, not {count}")
            elif len(set(self.choices or [])) != count:
                problems.append("choices must be unique")
        if self.type == "rating":
            display, scale = self.display or "number", self.scale or 5
            scales = (3, 5) if display == "emoji" else (5, 7, 10)
            if scale not in scales:
                problems.append(f"scale {scale} is not offered for {display} display: use {scales}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def answers(self) -> tuple[str, ...]:
        """Return the keys response-based branching may use for this question."""
        if self.type == "single_choice":
            return tuple(str(i) for i in range(len(self.choices or [])))
        return _NPS if self.scale == 10 else _SENTIMENTS

    def body(self) -> dict[str, Any]:
        """Return the question as PostHog stores it, with a rating's default display and scale."""
        data = self.model_dump(exclude_none=True, mode="json")
        if self.type == "rating":
            data.setdefault("display", "number")
            data.setdefault("scale", 5)
        return data


def check_branching(index: int, question: Question, count: int) -> list[str]:
    """What is wrong with question ``index``'s branching, among ``count`` questions."""
    branching = question.branching
    if branching is None:
        return []
    where = f"questions.{index}.branching"
    answers = branching.responseValues or {}
    targets = [branching.index] if branching.index is not None else []
    targets += [t for t in answers.values() if isinstance(t, int)]
    problems = [
        f"{where}: question {t} does not exist or is this one (0-{count - 1})"
        for t in targets
        if not 0 <= t < count or t == index
    ]
    wrong = sorted(set(answers) - set(question.answers()))
    if wrong:
        problems.append(
            f"{where}.responseValues: {', '.join(wrong)} not answers of this question; use "
            + ", ".join(question.answers())
        )
    return problems
