"""Copies, pickles and closing: what users hand across process, thread and loop boundaries."""

from __future__ import annotations

import asyncio
import copy
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.tool import PostHogTool
from tests.standin import LOOPBACK_ONLY, StandIn, close_toolkit, make_toolkit

pytestmark = LOOPBACK_ONLY


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


def flag_tool(toolkit: PostHogToolkit) -> PostHogTool:
    tool = next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")
    assert isinstance(tool, PostHogTool)
    return tool


@pytest.mark.parametrize("called", [False, True], ids=["before-calls", "after-calls"])
async def test_tools_and_toolkits_pickle_and_deep_copy(standin: StandIn, called: bool) -> None:
    kit = make_toolkit(standin, own_clients=True)
    tool = flag_tool(kit)
    tool.tags = ["flags"]
    try:
        if called:
            assert "(id 7)" in tool.invoke({"id": 7})
            assert "(id 7)" in await tool.ainvoke({"id": 7})
        deep = copy.deepcopy(tool)
        assert deep.client is tool.client  # shares the toolkit's client, locks and all
        kit_copy = copy.deepcopy(kit)
        assert kit_copy.client is kit.client
        assert kit.model_copy(deep=True).client is kit.client
        for other in (deep, flag_tool(kit_copy)):
            assert "(id 7)" in other.invoke({"id": 7})
            assert "(id 7)" in await other.ainvoke({"id": 7})

        unpickled = pickle.loads(pickle.dumps(tool))
        assert unpickled.name == tool.name and unpickled.tags == ["flags"]
        assert unpickled.client is not tool.client  # a process of its own opens its own
        assert "(id 7)" in unpickled.invoke({"id": 7})
        assert "(id 7)" in await unpickled.ainvoke({"id": 7})
        await unpickled.client.aclose()

        kit_unpickled = pickle.loads(pickle.dumps(kit))
        assert kit_unpickled.bound_project == kit.bound_project
        assert kit_unpickled.client.app_url == kit.client.app_url
        result = await kit_unpickled.aexecute("posthog_get_feature_flag", {"id": 7})
        assert result.successful, result.error
        await kit_unpickled.aclose()
    finally:
        await close_toolkit(kit)


@pytest.fixture
def other_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread of its own."""
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    runner.join(10)
    loop.close()


def test_close_from_another_thread_after_calls_on_a_running_loop(
    standin: StandIn, other_thread: asyncio.AbstractEventLoop
) -> None:
    kit = make_toolkit(standin, own_clients=True)
    tool = flag_tool(kit)
    answer = asyncio.run_coroutine_threadsafe(tool.ainvoke({"id": 7}), other_thread).result(10)
    assert "(id 7)" in answer
    kit.close()  # main thread; the async client's loop runs in the other one
    assert standin.wait_for_closed_connections()
    refused = asyncio.run_coroutine_threadsafe(tool.ainvoke({"id": 7}), other_thread).result(10)
    assert "This toolkit was closed" in refused
    assert "This toolkit was closed" in tool.invoke({"id": 7})
    assert len(standin.received("GET")) == 1


async def test_aclose_from_another_loop_closes_the_client_where_it_was_used(
    standin: StandIn, other_thread: asyncio.AbstractEventLoop
) -> None:
    kit = make_toolkit(standin, own_clients=True)
    tool = flag_tool(kit)
    answer = asyncio.run_coroutine_threadsafe(tool.ainvoke({"id": 7}), other_thread).result(10)
    assert "(id 7)" in answer
    await kit.aclose()
    assert standin.wait_for_closed_connections()


def test_close_after_the_loop_has_ended_and_a_closed_toolkit_refuses(standin: StandIn) -> None:
    kit = make_toolkit(standin, own_clients=True)
    tool = flag_tool(kit)
    assert "(id 7)" in asyncio.run(tool.ainvoke({"id": 7}))
    kit.close()
    kit.close()  # twice is harmless
    result = kit.execute("posthog_get_feature_flag", {"id": 7})
    assert not result.successful and "This toolkit was closed" in (result.error or "")
    message = tool.invoke({"name": tool.name, "args": {"id": 7}, "id": "c1", "type": "tool_call"})
    assert message.status == "error" and "This toolkit was closed" in message.content
    assert "closed" in repr(kit.client)
    assert len(standin.received("GET")) == 1


def test_the_library_logs_nothing_where_logging_is_not_configured() -> None:
    script = (
        "import logging\n"
        "from langchain_posthog.about import logger\n"
        "logger.warning('PostHog GET /x: 503; retrying')\n"
        "assert any(isinstance(h, logging.NullHandler) for h in logger.handlers)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
