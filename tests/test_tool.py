"""The tools keep LangChain's contract: what middleware, MCP adapters and LangChain itself call.

- nothing in the package imports a private name of langchain-core, langgraph or httpx;
- ``args_schema`` and ``tool_call_schema`` are pydantic model classes;
- a reviewer's edit in LangChain's human-in-the-loop middleware is validated on resume;
- every tool converts with langchain-mcp-adapters' ``to_fastmcp`` and runs through it."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool
from langchain_core.tracers.context import collect_runs
from langchain_mcp_adapters.tools import to_fastmcp
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from pydantic import BaseModel, ValidationError

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS
from langchain_posthog.tool import PostHogTool
from tests.conftest import PERSONAL_KEY, PROJECT_ID, PROJECT_KEY
from tests.scenarios import Scenario, all_scenarios, success_scenario
from tests.test_agent import ScriptedModel

PACKAGE = Path(__file__).resolve().parents[1] / "langchain_posthog"

GUARDED = ("langchain_core", "langgraph", "httpx")


def _private_uses(source: str) -> list[str]:
    """Private names of the guarded libraries that ``source`` imports or reaches by attribute."""
    tree = ast.parse(source)
    found: list[str] = []
    aliases: dict[str, str] = {}  # local name -> the guarded module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] not in GUARDED:
                continue
            if any(part.startswith("_") for part in node.module.split(".")):
                found.append(node.module)
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{node.module}.{alias.name}")
                else:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in GUARDED:
                    if any(part.startswith("_") for part in alias.name.split(".")):
                        found.append(alias.name)
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in aliases:
                found.append(f"{ast.unparse(node)}")
    return found


def test_the_check_finds_private_names() -> None:
    source = (
        "import httpx\n"
        "import langgraph._internal as g\n"
        "from langchain_core.tools.base import _format_output, BaseTool\n"
        "from langchain_core.tools import base\n"
        "x = httpx._transports\n"
        "y = base._handle_tool_error\n"
        "z = BaseTool._parse_input\n"
        "from pydantic import _internal\n"
    )
    assert _private_uses(source) == [
        "langgraph._internal",
        "langchain_core.tools.base._format_output",
        "httpx._transports",
        "base._handle_tool_error",
        "BaseTool._parse_input",
    ]


def test_nothing_imports_a_private_name_of_langchain_core_langgraph_or_httpx() -> None:
    found = {
        str(path.relative_to(PACKAGE)): uses
        for path in sorted(PACKAGE.rglob("*.py"))
        if (uses := _private_uses(path.read_text()))
    }
    assert found == {}


def _toolkit(server: Any = None, **settings: Any) -> PostHogToolkit:
    options: dict[str, Any] = {
        "personal_api_key": PERSONAL_KEY,
        "project_api_key": PROJECT_KEY,
        "project_id": PROJECT_ID,
        "include_destructive": True,
        "max_retries": 0,
        **settings,
    }
    if server is not None:
        options["http_client"] = httpx.Client(transport=httpx.MockTransport(server))
        options["async_http_client"] = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return PostHogToolkit(**options)


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("bound", [True, False])
def test_args_and_tool_call_schemas_are_pydantic_models(bound: bool, strict: bool) -> None:
    settings: dict[str, Any] = {"strict": strict}
    if not bound:
        settings["project_id"] = None
    for tool in _toolkit(**settings).get_tools():
        for schema in (tool.args_schema, tool.tool_call_schema, tool.get_input_schema()):
            assert isinstance(schema, type) and issubclass(schema, BaseModel), tool.name
        assert isinstance(tool, PostHogTool)
        assert tool.tool_call_schema is tool.args_schema
        assert ("project_id" in tool.tool_call_schema.model_fields) == (
            not bound and tool.action.project_scoped
        )


UPDATE = "posthog_update_feature_flag"


def _agent(tool: Any) -> Any:
    model = ScriptedModel(
        messages=iter(
            [
                AIMessage(
                    content="",
                    tool_calls=[{"name": UPDATE, "args": {"id": 7, "active": False}, "id": "u1"}],
                ),
                AIMessage(content="Done."),
            ]
        )
    )
    return create_agent(
        model,
        tools=[tool],
        middleware=[
            HumanInTheLoopMiddleware(interrupt_on={UPDATE: True}, interrupt_mode="per_call")
        ],
        checkpointer=InMemorySaver(),
    )


def test_a_reviewers_bad_edit_is_refused_on_resume_and_nothing_is_sent() -> None:
    sent: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"id": 7, "key": "k", "active": False, "filters": {}})

    tool = next(t for t in _toolkit(server).get_tools() if t.name == UPDATE)
    agent = _agent(tool)
    config: Any = {"configurable": {"thread_id": "review"}}
    paused = agent.invoke({"messages": [HumanMessage("Turn flag 7 off.")]}, config, version="v2")
    (pending,) = paused.interrupts
    assert pending.value["name"] == UPDATE
    bad = {
        "type": "edit",
        "edited_action": {"name": UPDATE, "args": {"id": "seven", "rollout_percentage": 500}},
    }
    with pytest.raises(ValidationError) as refused:
        agent.invoke(Command(resume={pending.id: bad}), config, version="v2")
    wrong = {".".join(str(p) for p in e["loc"]) for e in refused.value.errors()}
    assert any(loc.endswith("args.id") for loc in wrong), wrong
    assert any(loc.endswith("args.rollout_percentage") for loc in wrong), wrong
    assert sent == []
    # The interrupt is still open: a corrected edit runs, and sends what the reviewer wrote.
    good = {"type": "edit", "edited_action": {"name": UPDATE, "args": {"id": 7, "active": True}}}
    done = agent.invoke(Command(resume={pending.id: good}), config, version="v2")
    assert [(r.method, json.loads(r.content)) for r in sent] == [("PATCH", {"active": True})]
    assert done.value["messages"][-1].content == "Done."


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
async def test_every_tool_serves_over_mcp_and_sends_what_a_direct_call_sends(action: Any) -> None:
    sent: list[tuple[str, str, bytes]] = []

    def server(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, request.url.path, request.content))
        return httpx.Response(599, json={"detail": "stop here"})

    tool = next(t for t in _toolkit(server).get_tools() if t.name == action.name)
    assert isinstance(tool, PostHogTool)
    served = to_fastmcp(tool)
    assert served.name == tool.name and served.description == tool.description
    assert served.parameters == tool.tool_call_schema.model_json_schema()
    direct = await tool.ainvoke(dict(action.example))
    expected = [(m, p) for m, p, _ in sent]
    sent.clear()
    answer = await served.run(dict(action.example))
    assert answer == direct
    assert [(m, p) for m, p, _ in sent] == expected


class Recorder(BaseCallbackHandler):
    """Remembers which tool callbacks fired."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def on_tool_start(self, serialized: Any, input_str: str, **kwargs: Any) -> None:
        self.events.append("start")

    def on_tool_end(self, output: Any, **kwargs: Any) -> None:
        self.events.append("end")

    def on_tool_error(self, error: BaseException, **kwargs: Any) -> None:
        self.events.append("error")


class AsyncRecorder(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.events: list[str] = []

    async def on_tool_start(self, serialized: Any, input_str: str, **kwargs: Any) -> None:
        self.events.append("start")

    async def on_tool_end(self, output: Any, **kwargs: Any) -> None:
        self.events.append("end")


def _tool(scenario: Scenario) -> PostHogTool:
    tools = {t.name: t for t in scenario.make_toolkit().get_tools()}
    tool = tools[scenario.tool]
    assert isinstance(tool, PostHogTool)
    return tool


# Captured events get a fresh uuid on every call.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")


def _fields(message: Any) -> str:
    assert isinstance(message, ToolMessage)
    fields = (message.content, message.artifact, message.status, message.name, message.tool_call_id)
    return _UUID.sub("<uuid>", repr(fields))


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(s, id=s.id, marks=[pytest.mark.vcr, pytest.mark.default_cassette(s.cassette)])
        for s in all_scenarios()
    ],
)
def test_every_scenario_answers_alike_with_and_without_a_callback_handler(
    scenario: Scenario,
) -> None:
    tool = _tool(scenario)
    call = {"name": tool.name, "args": scenario.args, "id": "call-1", "type": "tool_call"}
    recorder = Recorder()
    plain = tool.invoke(dict(call))
    observed = tool.invoke(dict(call), config={"callbacks": [recorder]})
    assert _fields(plain) == _fields(observed)
    assert recorder.events == ["start", "end"]


@pytest.mark.vcr("posthog_get_feature_flag.yaml")
async def test_async_callbacks_and_traces_see_the_call() -> None:
    scenario = success_scenario("posthog_get_feature_flag")
    tool = _tool(scenario)
    recorder = AsyncRecorder()
    plain = await tool.ainvoke(scenario.args)
    observed = await tool.ainvoke(scenario.args, config={"callbacks": [recorder]})
    assert plain == observed
    assert recorder.events == ["start", "end"]
    with collect_runs() as runs:
        traced = await tool.ainvoke(scenario.args)
    assert traced == plain
    assert [run.name for run in runs.traced_runs] == [tool.name]


@pytest.mark.vcr("posthog_get_feature_flag.yaml")
def test_a_trace_sees_a_sync_call_and_callbacks_set_on_the_tool_fire() -> None:
    scenario = success_scenario("posthog_get_feature_flag")
    tool = _tool(scenario)
    with collect_runs() as runs:
        tool.invoke(scenario.args)
    assert [run.name for run in runs.traced_runs] == [tool.name]
    recorder = Recorder()
    tool.callbacks = [recorder]
    tool.invoke(scenario.args)
    assert recorder.events == ["start", "end"]


@pytest.mark.vcr("posthog_get_feature_flag.yaml")
async def test_every_call_runs_through_basetool_run(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = success_scenario("posthog_get_feature_flag")
    tool = _tool(scenario)
    runs: list[str] = []
    run, arun = BaseTool.run, BaseTool.arun

    def counted_run(self: BaseTool, *args: Any, **kwargs: Any) -> Any:
        runs.append("run")
        return run(self, *args, **kwargs)

    async def counted_arun(self: BaseTool, *args: Any, **kwargs: Any) -> Any:
        runs.append("arun")
        return await arun(self, *args, **kwargs)

    monkeypatch.setattr(BaseTool, "run", counted_run)
    monkeypatch.setattr(BaseTool, "arun", counted_arun)
    assert "new-onboarding" in tool.invoke(scenario.args)
    assert "new-onboarding" in await tool.ainvoke(scenario.args)
    assert runs == ["run", "arun"]


@pytest.mark.parametrize("observed", [False, True])
async def test_bad_input_is_handled_alike_and_nothing_is_sent(observed: bool) -> None:
    tool = _tool(success_scenario("posthog_get_feature_flag"))
    config: Any = {"callbacks": [Recorder()]} if observed else None
    bad = {"id": "not a number; DROP"}
    message = tool.invoke({"name": tool.name, "args": bad, "id": "c", "type": "tool_call"}, config)
    assert isinstance(message, ToolMessage)
    assert message.status == "error"
    assert "- id:" in message.content and "nothing was sent" in message.content
    assert await tool.ainvoke({"id": 1, "surprise": True}, config) == tool.invoke(
        {"id": 1, "surprise": True}, config
    )
    tool.handle_validation_error = False
    with pytest.raises(ValidationError):
        tool.invoke(bad, config)
    with pytest.raises(ValidationError):
        await tool.ainvoke(bad, config)


def test_string_input_and_run_arguments() -> None:
    tool = _tool(success_scenario("posthog_get_feature_flag"))
    # BaseTool.run validates a string as the first field.
    message = tool.invoke("not a number")
    assert isinstance(message, str) and "- id:" in message
    assert tool.invoke({"id": "x"}, start_color="red") == tool.invoke({"id": "x"})
