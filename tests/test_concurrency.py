"""Many calls at once on one toolkit: each gets its own answer, nothing is lost or duplicated."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from langchain_posthog import PostHogToolkit
from tests.conftest import PROJECT_ID
from tests.standin import (
    LOOPBACK_ONLY,
    Received,
    StandIn,
    close_toolkit,
    drop,
    error,
    make_toolkit,
    responses,
    slow,
    throttle,
    trickle,
)

pytestmark = LOOPBACK_ONLY

FLAGS = f"/api/projects/{PROJECT_ID}/feature_flags/"
FLAG = re.compile(rf"^{FLAGS}(\d+)/$")


def flag_body(flag_id: int, key: str | None = None) -> dict[str, Any]:
    found = responses.answer("GET", f"{FLAGS}{flag_id}/")
    assert found is not None and isinstance(found.body, dict)
    return {**found.body, "id": flag_id, "key": key or f"flag-{flag_id}"}


def get_flag(request: Received) -> tuple[int, Any]:
    match = FLAG.match(request.raw_path)
    assert match
    return 200, flag_body(int(match.group(1)))


def create_flag(request: Received) -> tuple[int, Any]:
    return 201, flag_body(1000 + len(request.body["key"]), key=request.body["key"])


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with StandIn() as server:
        server.route("GET", lambda path: bool(FLAG.match(path)), get_flag)
        server.route("POST", lambda path: path == FLAGS, create_flag)
        yield server


@pytest.fixture
async def toolkit(standin: StandIn) -> AsyncIterator[PostHogToolkit]:
    # The toolkit's own httpx clients, so that its connection limit is what is tested.
    kit = make_toolkit(standin, own_clients=True, timeout=20.0, max_retries=2)
    yield kit
    await close_toolkit(kit)


def tool_of(toolkit: PostHogToolkit, name: str) -> Any:
    return next(t for t in toolkit.get_tools() if t.name == name)


def call(name: str, args: dict[str, Any], call_id: str) -> dict[str, Any]:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


async def test_200_concurrent_calls_each_get_their_own_answer(
    toolkit: PostHogToolkit, standin: StandIn
) -> None:
    standin.latency = 0.02  # keep many requests in flight at once
    tool = tool_of(toolkit, "posthog_get_feature_flag")
    ids = list(range(1, 201))
    messages = await asyncio.gather(
        *(tool.ainvoke(call(tool.name, {"id": i}, f"c{i}")) for i in ids)
    )
    for flag_id, message in zip(ids, messages, strict=True):
        assert message.tool_call_id == f"c{flag_id}"
        assert message.status == "success", message.content
        assert f"flag-{flag_id} (id {flag_id})" in message.content
        assert message.artifact["id"] == flag_id and message.artifact["key"] == f"flag-{flag_id}"
    paths = Counter(r.raw_path for r in standin.received("GET"))
    assert paths == Counter(f"{FLAGS}{i}/" for i in ids)  # each sent once, none lost
    # The client's pool allows 100 connections: never more requests than that in flight at once.
    assert 1 < standin.peak_in_flight <= 100


async def test_concurrent_reads_and_creates_through_faults_lose_and_duplicate_nothing(
    toolkit: PostHogToolkit, standin: StandIn
) -> None:
    standin.fail(None, *(error(503) for _ in range(15)), method="GET")
    standin.fail(FLAGS, *(throttle(0) for _ in range(15)), method="POST")
    get = tool_of(toolkit, "posthog_get_feature_flag")
    create = tool_of(toolkit, "posthog_create_feature_flag")
    keys = [f"concurrent-{i}" for i in range(50)]
    reads = [get.ainvoke(call(get.name, {"id": i}, f"g{i}")) for i in range(1, 51)]
    writes = [create.ainvoke(call(create.name, {"key": k}, k)) for k in keys]
    messages = await asyncio.gather(*reads, *writes)
    assert all(m.status == "success" for m in messages), [m.content for m in messages]
    for i, message in enumerate(messages[:50], start=1):
        assert f"flag-{i} (id {i})" in message.content
    for key, message in zip(keys, messages[50:], strict=True):
        assert message.content.startswith(f"Created flag {key} ")
    created = Counter(r.body["key"] for r in standin.received("POST", FLAGS) if r.status == 201)
    assert created == Counter(keys)  # every flag created exactly once
    assert len(standin.received("POST", FLAGS)) == 50 + 15
    assert len(standin.received("GET")) == 50 + 15


async def test_creates_that_fail_ambiguously_are_never_resent_under_load(
    toolkit: PostHogToolkit, standin: StandIn
) -> None:
    standin.fail(FLAGS, *(error(502) for _ in range(10)), method="POST")
    create = tool_of(toolkit, "posthog_create_feature_flag")
    keys = [f"ambiguous-{i}" for i in range(30)]
    messages = await asyncio.gather(
        *(create.ainvoke(call(create.name, {"key": k}, k)) for k in keys)
    )
    sent = Counter(r.body["key"] for r in standin.received("POST", FLAGS))
    assert sent == Counter(keys)  # each sent exactly once, failed or not
    assert sum(m.status == "error" for m in messages) == 10


def test_threads_sharing_one_sync_toolkit_each_get_their_own_answer(standin: StandIn) -> None:
    kit = make_toolkit(standin, own_clients=True, timeout=20.0)
    tool = tool_of(kit, "posthog_get_feature_flag")
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            messages = list(
                pool.map(lambda i: tool.invoke(call(tool.name, {"id": i}, f"t{i}")), range(1, 81))
            )
    finally:
        kit.close()
    for flag_id, message in enumerate(messages, start=1):
        assert message.tool_call_id == f"t{flag_id}"
        assert f"flag-{flag_id} (id {flag_id})" in message.content
    assert len(standin.received("GET")) == 80


# -- the async client's connections ---------------------------------------------------------


async def test_calls_made_one_at_a_time_keep_one_connection(
    toolkit: PostHogToolkit, standin: StandIn
) -> None:
    tool = tool_of(toolkit, "posthog_get_feature_flag")
    for i in range(1, 8):
        assert f"(id {i})" in await tool.ainvoke({"id": i})
    assert standin.connections == 1


async def test_the_client_keeps_serving_after_errors_timeouts_drops_trickles_and_cancellations(
    standin: StandIn,
) -> None:
    kit = make_toolkit(standin, own_clients=True, timeout=0.3, max_retries=0)
    try:
        tool = tool_of(kit, "posthog_get_feature_flag")
        faults = [error(503), drop(), slow(1.0), trickle(1.0)] * 4
        standin.fail(None, *faults, method="GET")
        standin.latency = 0.05
        tasks = [asyncio.create_task(tool.ainvoke({"id": i})) for i in range(1, 61)]
        await asyncio.sleep(0.02)
        for task in tasks[::6]:
            task.cancel()
        done = await asyncio.gather(*tasks, return_exceptions=True)
        assert sum(isinstance(d, asyncio.CancelledError) for d in done) == 10
        failed = [d for d in done if isinstance(d, str) and "PostHog" in d and "(id" not in d]
        assert failed, "no fault reached a call"
        # Every connection still serves: a burst as large as the limit all succeeds.
        standin.latency = 0.02
        again = await asyncio.gather(*(tool.ainvoke({"id": i}) for i in range(1, 101)))
        assert all(f"(id {i})" in text for i, text in enumerate(again, start=1)), again
    finally:
        await close_toolkit(kit)


async def test_a_proxy_named_in_the_environment_is_used(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # httpx's own transport, which the toolkit leaves httpx to make, honours proxy variables.
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", standin.url)
    kit = make_toolkit("http://posthog.invalid", own_clients=True)
    try:
        tool = tool_of(kit, "posthog_get_feature_flag")
        assert "(id 7)" in await tool.ainvoke({"id": 7})
    finally:
        await close_toolkit(kit)
    (request,) = standin.received("GET")
    assert request.headers["host"] == "posthog.invalid"
