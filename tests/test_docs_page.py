"""docs/posthog.md, the integration page in LangChain's format: every code block runs.

The page's Python blocks run in order in one namespace, as a reader runs them in a notebook,
against PostHog's recorded answers (``cassettes/``, replayed by pytest-recording's ``vcr`` mark
with sockets blocked). When the next block after a Python block is a ``text`` block, it is what the
Python block prints, and must match it; otherwise the Python block must print nothing.

Two things a reader has that a test cannot, and how the test stands in for them:

- the key: ``getpass`` answers with the test key, so the Credentials block's prompt runs;
- the model: the page's ``create_agent(model="openai:gpt-4.1-mini", ...)`` runs as written.
  LangChain turns a model name into a chat model with ``init_chat_model``; the test replaces it
  where ``create_agent`` looks it up (``langchain.agents.factory``) with a scripted model that
  makes the tool call a model would, and checks it was asked for the page's model. The agent
  loop and the tool calls are real, and answered from the cassettes.

The ``bash`` blocks install the package or run its command line. The install commands must name
this package and extras it declares (``.ci/run`` installs the built wheel that way in a clean
virtual environment); the command lines run through ``langchain_posthog.cli.main``.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import getpass
import inspect
import io
import json
import re
import shlex
import tomllib
from dataclasses import dataclass
from typing import Any

import langchain.agents.factory
import pytest
from langchain_core.messages import AIMessage
from packaging.requirements import Requirement

from langchain_posthog.actions import ACTIONS
from langchain_posthog.cli import main as cli
from langchain_posthog.tool import PostHogTool
from tests.conftest import CASSETTES, PERSONAL_KEY, ROOT
from tests.test_agent import ScriptedModel

PAGE_PATH = ROOT / "docs" / "posthog.md"
PAGE = PAGE_PATH.read_text()
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PAGE_MODEL = "openai:gpt-4.1-mini"

# LangChain's template for tool pages (langchain-ai/docs, src/oss/python/integrations/tools/
# TEMPLATE.mdx): these headings, in this order; tool-specific sections go before the last.
TEMPLATE = [
    "## Overview",
    "### Details",
    "### Features",
    "## Setup",
    "### Credentials",
    "### Installation",
    "## Instantiation",
    "## Invocation",
    "### Directly",
    "### As a ToolCall",
    "### Within an agent",
    "## API reference",
]


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int


def blocks() -> list[Block]:
    found = []
    for match in re.finditer(r"^```(\w*)\n(.*?)^```$", PAGE, re.M | re.S):
        line = PAGE.count("\n", 0, match.start()) + 2
        found.append(Block(match.group(1), match.group(2).rstrip("\n"), line))
    return found


class PageModel:
    """Stands in for ``init_chat_model``: the model name the page asks for, and what it does.

    The model looks the flags up, then answers from what the tool said.
    """

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, model: str, **kwargs: Any) -> ScriptedModel:
        self.asked.append(model)
        call = {
            "name": "posthog_list_feature_flags",
            "args": {"search": "onboarding"},
            "id": "call_1",
        }
        answer = (
            "There are two: new-onboarding is on, for 0% of users so far, and "
            "onboarding-checklist is off."
        )
        return ScriptedModel(
            messages=iter([AIMessage(content="", tool_calls=[call]), AIMessage(content=answer)])
        )


def run(block: Block, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop) -> str:
    """Run one Python block as a notebook cell (top-level await allowed); what it printed."""
    code = compile(
        block.code, f"docs/posthog.md:{block.line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = eval(code, namespace)
        if inspect.iscoroutine(result):
            loop.run_until_complete(result)
    return printed.getvalue()


def test_the_page_has_the_sections_of_langchains_tool_template() -> None:
    headings = re.findall(r"^#{2,3} .+$", PAGE, re.M)
    assert [h for h in headings if h in TEMPLATE] == TEMPLATE
    assert headings[-1] == "## API reference"
    assert PAGE.startswith('---\ntitle: "PostHog integration"\n')


@pytest.mark.usefixtures("vcr")
@pytest.mark.vcr(
    str(CASSETTES / "posthog_get_feature_flag.not_found.yaml"),
    str(CASSETTES / "posthog_list_feature_flags.yaml"),
)
@pytest.mark.default_cassette("posthog_get_feature_flag.yaml")
def test_every_python_block_runs_and_prints_what_the_page_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Set, then removed: whatever the page sets in os.environ is undone after the test.
    for variable in ("POSTHOG_PERSONAL_API_KEY", "POSTHOG_HOST"):
        monkeypatch.setenv(variable, "")
        monkeypatch.delenv(variable)
    prompts: list[str] = []

    def answer(prompt: str = "") -> str:
        prompts.append(prompt)
        return PERSONAL_KEY

    monkeypatch.setattr(getpass, "getpass", answer)
    model = PageModel()
    monkeypatch.setattr(langchain.agents.factory, "init_chat_model", model)

    page = blocks()
    namespace: dict[str, Any] = {"__name__": "docs_page"}
    loop = asyncio.new_event_loop()
    ran = 0
    try:
        for index, block in enumerate(page):
            if block.language != "python":
                continue
            printed = run(block, namespace, loop)
            ran += 1
            following = page[index + 1] if index + 1 < len(page) else None
            shown = following.code if following and following.language == "text" else ""
            assert [line.rstrip() for line in printed.splitlines()] == shown.splitlines(), (
                f"docs/posthog.md line {block.line} printed:\n{printed}"
            )
            assert PERSONAL_KEY not in printed
        closed_by_the_page = namespace["toolkit"].client.closed
    finally:
        if "toolkit" in namespace:
            namespace["toolkit"].close()
        loop.close()

    assert ran == sum(b.language == "python" for b in page) >= 10
    assert prompts == ["Enter your PostHog personal API key: "]
    assert model.asked == [PAGE_MODEL]
    assert closed_by_the_page


def test_every_output_block_follows_the_code_that_prints_it() -> None:
    page = blocks()
    for index, block in enumerate(page):
        if block.language == "text":
            assert index > 0 and page[index - 1].language == "python", block.line
            assert block.code, f"docs/posthog.md line {block.line}: an empty output block"
    assert {b.language for b in page} == {"python", "text", "bash"}


def test_install_commands_name_this_package_and_extras_it_declares() -> None:
    commands = [
        line
        for block in blocks()
        if block.language == "bash"
        for line in block.code.splitlines()
        if line.startswith(("pip install", "uv add"))
    ]
    commands += re.findall(r"`(pip install [^`]+)`", PAGE)
    checked = 0
    for command in commands:
        requirement = Requirement(shlex.split(command)[-1])
        if requirement.name != "langchain-posthog":
            continue
        assert requirement.name == PROJECT["name"]
        assert requirement.extras <= set(PROJECT["optional-dependencies"]), command
        checked += 1
    assert checked >= 3


def test_the_command_lines_run(capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        line
        for block in blocks()
        if block.language == "bash"
        for line in block.code.splitlines()
        if line.startswith("langchain-posthog ")
    ]
    assert len(lines) == 2
    for line in lines:
        args = shlex.split(line)[1:]
        assert cli(args) == 0, line
        out = capsys.readouterr().out
        if args[0] == "schema":
            assert json.loads(out)["function"]["name"] == args[1]
        else:
            assert all(action.name in out for action in ACTIONS)


def test_the_pages_claims_hold() -> None:
    details = re.search(r"^\| \[PostHogToolkit\].*$", PAGE, re.M)
    assert details is not None
    cells = [cell.strip() for cell in details.group(0).strip("|").split("|")]
    serializable, js = cells[2], cells[3]
    assert serializable == ("✅" if PostHogTool.is_lc_serializable() else "❌")
    assert js == "❌"  # no JavaScript package
    assert f"- {len(ACTIONS)} tools over PostHog's API" in PAGE
    names = {action.name for action in ACTIONS}
    mentioned = set(re.findall(r"\bposthog_[a-z_]+\b", PAGE))
    assert mentioned and mentioned <= names, mentioned - names
    for target in re.findall(r"\]\((\.\./[^)#]+)\)", PAGE):
        assert (PAGE_PATH.parent / target).resolve().exists(), target
