"""The client: its httpx clients, one per event loop, and closing them from anywhere."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Iterator

import httpx
import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.api.client import PostHogClient
from langchain_posthog.tool import PostHogTool
from tests.api import GET, Server, make_client, ok
from tests.conftest import PERSONAL_KEY, PROJECT_KEY
from tests.standin import LOOPBACK_ONLY, StandIn, make_toolkit

pytestmark = LOOPBACK_ONLY


def test_client_repr_hides_keys() -> None:
    text = repr(make_client(Server(ok())))
    assert PERSONAL_KEY not in text and PROJECT_KEY not in text


def test_one_async_client_per_event_loop() -> None:
    import asyncio

    server = Server(ok())
    client = make_client(server)
    asyncio.run(client.arequest(GET))
    first = client._async
    asyncio.run(client.arequest(GET))  # a second loop must not reuse the first loop's client
    assert client._async is not first
    assert len(server.requests) == 2


def test_a_loop_that_asyncio_run_finishes_closes_its_client(standin: StandIn) -> None:
    # A script that runs a loop per question: each loop's connections close with it.
    kit = make_toolkit(standin, own_clients=True)
    tool = flag_tool(kit)
    made: list[httpx.AsyncClient] = []

    async def ask() -> None:
        assert "(id 7)" in (await tool.ainvoke({"id": 7}))
        assert kit.client._async is not None and not kit.client._async.is_closed
        made.append(kit.client._async)

    for _ in range(3):
        asyncio.run(ask())
    assert len({id(client) for client in made}) == 3
    assert all(client.is_closed for client in made)
    # Nothing keeps a finished loop's client alive once the toolkit lets go of it.
    gone = [weakref.ref(client) for client in made]
    made.clear()
    kit.close()
    gc.collect()
    assert [ref() for ref in gone] == [None, None, None]


def test_injected_clients_are_used_and_not_closed() -> None:
    server = Server(ok())
    http = httpx.Client(transport=httpx.MockTransport(server))
    client = PostHogClient(personal_api_key=PERSONAL_KEY, http_client=http)
    client.request(GET)
    client.close()
    assert not http.is_closed
    assert len(server.requests) == 1
    http.close()


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


def flag_tool(toolkit: PostHogToolkit) -> PostHogTool:
    tool = next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")
    assert isinstance(tool, PostHogTool)
    return tool


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
