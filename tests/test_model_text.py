"""What a tool tells the model is true: links that open, page notes that lead somewhere."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS
from langchain_posthog.actions._row import Action, Context
from tests.conftest import PERSONAL_KEY, PROJECT_KEY
from tests.standin import responses

APP = "https://us.posthog.com"
Answer = Callable[[Any], Any]


def recorded(change: Answer = lambda body: body) -> Callable[[httpx.Request], httpx.Response]:
    """PostHog's recorded answer to each request, passed through ``change`` first."""

    def handle(request: httpx.Request) -> httpx.Response:
        found = responses.answer(request.method, request.url.path, request.content)
        if found is None:
            return httpx.Response(404, json=responses.NOT_FOUND)
        return httpx.Response(found.status, json=change(found.body))

    return handle


def make_toolkit(change: Answer = lambda body: body, **settings: Any) -> PostHogToolkit:
    return PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_api_key=PROJECT_KEY,
        include_destructive=True,
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(recorded(change))),
        **settings,
    )


def content_of(toolkit: PostHogToolkit, action: Action, args: Any = None) -> str:
    result = toolkit.execute(action.name, dict(action.example if args is None else args))
    assert result.successful, f"{action.name}: {result.error}"
    assert result.content is not None
    return result.content


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


def test_a_link_uses_the_bound_project_and_only_the_answer_for_current() -> None:
    assert Context("7", APP).ui("cohorts/3", {"team_id": 2}) == f"{APP}/project/7/cohorts/3"
    ctx = Context("@current", APP)
    assert ctx.ui("experiments/4", {"feature_flag": {"team_id": 9}}) == (
        f"{APP}/project/9/experiments/4"
    )
    for answer in (None, {}, {"team_id": None}, {"team_id": True}, {"team_id": "2"}):
        assert ctx.ui("cohorts/3", answer) == (
            f"{APP}/cohorts/3 (opens in the viewer's current project)"
        )


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


# -- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "offset", "says"),
    [
        ({"count": 5, "results": []}, 10, "there are 5, at offsets 0 to 4"),
        ({"count": 5, "results": []}, 5, "there are 5, at offsets 0 to 4"),
        ({"count": 1, "results": []}, 3, "there are 1, at offset 0"),
        ({"count": 0, "results": []}, 10, "there are none"),
        ({"count": 5, "results": []}, 0, "though PostHog counts 5"),
        ({"count": 5, "results": [], "next": "https://x/?offset=2"}, 2, "though PostHog counts 5"),
        ({"results": [], "next": None}, 40, "the list ends before it"),
    ],
)
def test_an_empty_page_says_where_the_items_are(answer: Any, offset: int, says: str) -> None:
    flags = next(a for a in ACTIONS if a.name == "posthog_list_feature_flags")
    with make_toolkit(lambda body: answer, project_id=2) as toolkit:
        content = content_of(toolkit, flags, {"offset": offset})
    assert says in content, content
    assert "call again" not in content, content
    if offset:  # flags exist, or may: not "No flags match."
        assert "match" not in content, content


def test_a_full_page_still_points_at_the_next() -> None:
    answer = {"count": 120, "results": [{"id": 1, "key": "a"}] * 50}
    flags = next(a for a in ACTIONS if a.name == "posthog_list_feature_flags")
    with make_toolkit(lambda body: answer, project_id=2) as toolkit:
        content = content_of(toolkit, flags, {"offset": 50})
    assert content.startswith(
        "Feature flags 51-100 of 120. More exist: call again with offset=100."
    )


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


@pytest.mark.parametrize("null", [False, True], ids=["left out", "null"])
def test_a_project_without_a_timezone_is_listed_without_one(null: bool) -> None:
    projects = next(a for a in ACTIONS if a.name == "posthog_list_projects")
    change = functools.partial(without, path=("results", "*", "timezone"), null=null)
    with make_toolkit(change, project_id=2) as toolkit:
        content = content_of(toolkit, projects)
    assert "timezone" not in content and "None" not in content, content
