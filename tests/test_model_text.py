"""What a tool tells the model is true: links that open, page notes that lead somewhere."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS
from langchain_posthog.actions._row import Action
from tests.actions import Answer, content_of, recorded_toolkit

APP = "https://us.posthog.com"


def make_toolkit(change: Answer = lambda body: body, **settings: Any) -> PostHogToolkit:
    """Every tool over PostHog's recorded answers; unbound unless ``project_id`` is given."""
    return recorded_toolkit(change, **{"project_id": None, **settings})


# -- links ---------------------------------------------------------------------------------------

LINK = re.compile(re.escape(APP) + r"/(\S+)( \(opens in the viewer's current project\))?")


@pytest.mark.parametrize("project", [None, "@current"], ids=["unbound", "bound to @current"])
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_a_link_names_its_project_or_says_where_it_opens(action: Action, project: Any) -> None:
    # PostHog's UI routes /project/<id>/... and opens a path without a project in the viewer's
    # current one; '@current' is an API alias that is no route of the UI.
    with make_toolkit(project_id=project) as toolkit:
        content = content_of(toolkit, action)
    for path, said in LINK.findall(content):
        assert not path.startswith("project/@"), content
        assert path.startswith("project/2/") or said, content


def test_the_link_takes_the_project_from_the_answer_under_current() -> None:
    dashboard = next(a for a in ACTIONS if a.name == "posthog_get_dashboard")
    with make_toolkit() as toolkit:
        content = content_of(toolkit, dashboard)
    assert f"Open: {APP}/project/2/dashboard/12\n" in content + "\n"


# -- a bound toolkit never asks for a project ---------------------------------------------------


@pytest.mark.parametrize("project", [2, "@current"])
def test_a_bound_toolkit_never_mentions_project_id(project: Any) -> None:
    with make_toolkit(project_id=project) as toolkit:
        for tool in toolkit.get_tools():
            schema = convert_to_openai_tool(tool)["function"]["parameters"]
            assert "project_id" not in tool.description, tool.name
            assert "project_id" not in schema["properties"], tool.name
        listing = next(a for a in ACTIONS if a.name == "posthog_list_projects")
        assert "project_id" not in content_of(toolkit, listing)


def test_an_unbound_toolkit_says_where_project_ids_come_from() -> None:
    with make_toolkit() as toolkit:
        for tool in toolkit.get_tools():
            schema = convert_to_openai_tool(tool)["function"]["parameters"]
            field = schema["properties"].get("project_id")
            if field is not None:
                assert "posthog_list_projects" in field["description"], tool.name
                assert field["default"] == "@current", tool.name
            else:
                assert tool.name in {"posthog_list_projects", "posthog_get_current_user"} or (
                    tool.name.startswith("posthog_capture_")
                ), tool.name


# -- missing fields ------------------------------------------------------------------------------

NONE = re.compile(r"\b(None|null)\b")


def field_paths(value: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every field of an answer, as keys from the top; ``*`` stands for every item of a list."""
    if len(prefix) > 6:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from field_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for item in value:
            yield from field_paths(item, (*prefix, "*"))


def without(value: Any, path: tuple[str, ...], null: bool) -> Any:
    """``value`` with the field at ``path`` left out, or set to null."""
    head, rest = path[0], path[1:]
    if head == "*":
        return (
            [without(item, path[1:], null) for item in value] if isinstance(value, list) else value
        )
    if not isinstance(value, dict) or head not in value:
        return value
    changed = dict(value)
    if rest:
        changed[head] = without(value[head], rest, null)
    elif null:
        changed[head] = None
    else:
        del changed[head]
    return changed


class Changing:
    """PostHog's answers: as recorded (and kept) until ``change`` is set, then passed through it."""

    def __init__(self) -> None:
        self.change: Answer | None = None
        self.seen: list[Any] = []

    def __call__(self, body: Any) -> Any:
        if self.change is None:
            self.seen.append(body)
            return body
        return self.change(body)


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_a_field_posthog_leaves_out_is_never_printed_as_none(action: Action) -> None:
    # Each field of each answer the tool reads, one at a time, left out and then null.
    answers = Changing()
    with make_toolkit(answers, project_id=2) as toolkit:
        before = len(NONE.findall(content_of(toolkit, action)))
        printed = []
        for path in sorted({p for body in answers.seen for p in field_paths(body)}):
            for null in (False, True):
                answers.change = functools.partial(without, path=path, null=null)
                result = toolkit.execute(action.name, dict(action.example))
                if result.successful and len(NONE.findall(result.content or "")) > before:
                    shown = [
                        line for line in (result.content or "").splitlines() if NONE.search(line)
                    ]
                    printed.append(f"{'.'.join(path)} {'null' if null else 'left out'}: {shown[0]}")
    assert not printed, "\n".join(printed)
