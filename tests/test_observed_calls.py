"""Observing a call changes nothing in its answer: callbacks and traces see every call.

Every call runs through BaseTool.run. These tests hold a call with a callback handler to one
without: the same ToolMessage for every scenario, the same errors, and the callbacks and traces
firing whether the handler is passed in the config or set on the tool.
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
