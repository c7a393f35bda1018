"""Pieces every area's rows share: argument types and the plan for a one-request action."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema

from langchain_posthog.action import ArgsModel, Context
from langchain_posthog.calls import Call, Plan, api_path
from langchain_posthog.output import page_note

# An id that goes into a URL path: nothing that could add a segment, a query or a fragment.
PathId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,200}$")]
Uuid = Annotated[
    str,
    Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
]
Limit = Annotated[int, Field(ge=1, le=100, description="Page size.")]
Offset = Annotated[int, Field(ge=0, description="Items to skip, for the next page.")]
Scalar = str | int | float | bool
# A property filter's value: text, a number, or a list (for exact). A boolean is accepted but
# not offered: PostHog matches 'true'/'false' against boolean properties, as its own UI sends
# them, and the shorter schema is paid on every call.
PropertyValue = Annotated[
    Scalar | list[Scalar],
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {"type": "number"},
                {"type": "array", "items": {"type": "string"}},
            ]
        }
    ),
]

_PLACEHOLDER = re.compile(r"{(\w+)}")


def http(
    method: str,
    template: str,
    *,
    body: Callable[[Any], Any] | None = None,
    params: Callable[[Any], dict[str, Any] | None] | None = None,
    idempotent: bool | None = None,
) -> Callable[[ArgsModel, Context], Plan[Any]]:
    """The plan of an action that is one request.

    Path placeholders are filled from the arguments (``project_id`` from the context); the
    remaining arguments become the query string of a GET or the JSON body of anything else,
    unless ``params`` or ``body`` build them.
    """
    names = _PLACEHOLDER.findall(template)

    def plan(args: ArgsModel, ctx: Context) -> Plan[Any]:
        values = {n: ctx.project_id if n == "project_id" else getattr(args, n) for n in names}
        rest = args.model_dump(exclude_none=True, exclude=set(names), by_alias=True, mode="json")
        is_get = method == "GET"
        query = params(args) if params else (rest if is_get else None)
        payload = None if is_get else (body(args) if body else rest)
        reply = yield Call(
            method, api_path(template, **values), params=query, json=payload, idempotent=idempotent
        )
        return reply.data

    return plan


def results(data: Any) -> list[dict[str, Any]]:
    """The items of a paginated PostHog list (or the list itself)."""
    items = data.get("results") or [] if isinstance(data, dict) else data or []
    return [item for item in items if isinstance(item, dict)]


def listing(
    data: Any,
    offset: int | None,
    noun: str,
    line: Callable[[dict[str, Any]], str],
    empty: str = "",
) -> str:
    """A page of a PostHog list: where it sits, then one line per item.

    ``empty`` is said when the list has no items at all, not of a page past its end.
    """
    items = results(data)
    note = page_note(data, shown=len(items), offset=offset, noun=noun)
    if not items and empty and not offset:
        return f"{note} {empty}"
    return "\n".join([note, *map(line, items)])


def text_max(limit: int) -> Any:
    """Check a text's length without a ``maxLength`` in the schema a model reads."""

    def check(value: str | None) -> str | None:
        if value is not None and not 0 < len(value) <= limit:
            raise ValueError(f"must be 1 to {limit} characters")
        return value

    return AfterValidator(check)


_KEY_CHARS = re.compile(r"^[a-zA-Z0-9_-]+$")


def key_chars() -> Any:
    """Check a flag or variant key's characters without a ``pattern`` in the schema."""

    def check(value: str) -> str:
        if not _KEY_CHARS.match(value):
            raise ValueError("use only letters, digits, _ and -")
        return value

    return AfterValidator(check)


def positive(least: int) -> Any:
    """Check a lower bound without a ``minimum`` in the schema a model reads."""

    def check(value: int | None) -> int | None:
        if value is not None and value < least:
            raise ValueError(f"must be at least {least}")
        return value

    return AfterValidator(check)
