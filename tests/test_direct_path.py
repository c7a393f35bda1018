"""A call nothing observes skips BaseTool.run; it must answer exactly as BaseTool.run does.

PostHogTool.invoke/ainvoke validate once and run the action directly when LangChain's
CallbackManager.configure finds no handler. These tests hold that path to the full one: the
same ToolMessage for every scenario, the same errors, and the full path (with its callbacks and
traces) whenever anything is listening.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_core.tracers.context import collect_runs
from pydantic import ValidationError

from langchain_posthog.tool import PostHogTool
from tests.scenarios import Scenario, all_scenarios, success_scenario


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
def test_every_scenario_answers_alike_on_both_paths(scenario: Scenario) -> None:
    tool = _tool(scenario)
    call = {"name": tool.name, "args": scenario.args, "id": "call-1", "type": "tool_call"}
    recorder = Recorder()
    direct = tool.invoke(dict(call))
    full = tool.invoke(dict(call), config={"callbacks": [recorder]})
    assert _fields(direct) == _fields(full)
    assert recorder.events == ["start", "end"]


@pytest.mark.vcr("posthog_get_feature_flag.yaml")
async def test_async_callbacks_and_traces_take_the_full_path() -> None:
    scenario = success_scenario("posthog_get_feature_flag")
    tool = _tool(scenario)
    recorder = AsyncRecorder()
    direct = await tool.ainvoke(scenario.args)
    full = await tool.ainvoke(scenario.args, config={"callbacks": [recorder]})
    assert direct == full
    assert recorder.events == ["start", "end"]
    with collect_runs() as runs:
        traced = await tool.ainvoke(scenario.args)
    assert traced == direct
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
async def test_a_call_nothing_observes_never_reaches_basetool_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = success_scenario("posthog_get_feature_flag")
    tool = _tool(scenario)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("BaseTool.run was used for an unobserved call")

    monkeypatch.setattr(BaseTool, "run", refuse)
    monkeypatch.setattr(BaseTool, "arun", refuse)
    assert "new-onboarding" in tool.invoke(scenario.args)
    assert "new-onboarding" in await tool.ainvoke(scenario.args)


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


def test_string_input_and_run_arguments_take_the_full_path() -> None:
    tool = _tool(success_scenario("posthog_get_feature_flag"))
    # A string goes to BaseTool.run, which validates it as the first field.
    message = tool.invoke("not a number")
    assert isinstance(message, str) and "- id:" in message
    assert tool.invoke({"id": "x"}, start_color="red") == tool.invoke({"id": "x"})
