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
from tests import standin as standin_module
from tests.conftest import PROJECT_ID
from tests.standin import (
    LOOPBACK_ONLY,
    Received,
    StandIn,
    close_toolkit,
    drop,
    error,
    make_toolkit,
    no_gc_pause,
    responses,
    slow,
    throttle,
    trickle,
    until,
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
    standin.hold(100)  # no answer until 100 requests are in flight at once
    tool = tool_of(toolkit, "posthog_get_feature_flag")
    ids = list(range(1, 201))
    messages = await asyncio.gather(
        *(tool.ainvoke(call(tool.name, {"id": i}, f"c{i}")) for i in ids)
    )
    for flag_id, message in zip(ids, messages, strict=True):
        assert message.tool_call_id == f"c{flag_id}"
        assert message.status == "success", message.content
        assert f'"flag-{flag_id}" (id {flag_id})' in message.content
        assert message.artifact["id"] == flag_id and message.artifact["key"] == f"flag-{flag_id}"
    paths = Counter(r.raw_path for r in standin.received("GET"))
    assert paths == Counter(f"{FLAGS}{i}/" for i in ids)  # each sent once, none lost
    # The client's pool allows 100 connections: all of them were used, and never more.
    assert standin.peak_in_flight == 100


def answered(standin: StandIn, method: str, path: str, key: str | None = None) -> list[str]:
    """What the stand-in answered each request to ``path`` (for a create: of flag ``key``)."""
    return [
        r.answer
        for r in standin.received(method, path)
        if key is None or (isinstance(r.body, dict) and r.body.get("key") == key)
    ]


async def test_concurrent_reads_and_creates_through_faults_lose_and_duplicate_nothing(
    toolkit: PostHogToolkit, standin: StandIn
) -> None:
    # The faults go to whichever requests arrive first, so how many one call draws is down to
    # scheduling, and a call may draw more than its retries allow. What holds in every
    # interleaving: each call either got its own answer after fewer faults than it has attempts,
    # or drew a fault on every attempt and says so; every fault was served; nothing else was
    # sent; and no flag was created twice.
    attempts = toolkit.client.retry.max_retries + 1
    standin.fail(None, *(error(503) for _ in range(15)), method="GET")
    standin.fail(FLAGS, *(throttle(0) for _ in range(15)), method="POST")
    get = tool_of(toolkit, "posthog_get_feature_flag")
    create = tool_of(toolkit, "posthog_create_feature_flag")
    keys = [f"concurrent-{i}" for i in range(50)]
    reads = [get.ainvoke(call(get.name, {"id": i}, f"g{i}")) for i in range(1, 51)]
    writes = [create.ainvoke(call(create.name, {"key": k}, k)) for k in keys]
    messages = await asyncio.gather(*reads, *writes)

    served = 0
    for i, message in enumerate(messages[:50], start=1):
        answers = answered(standin, "GET", f"{FLAGS}{i}/")
        served += len(answers)
        assert message.tool_call_id == f"g{i}"
        if message.status == "success":
            assert f'"flag-{i}" (id {i})' in message.content
            assert answers == ["status:503"] * (len(answers) - 1) + ["200"]
            assert len(answers) <= attempts
        else:
            assert f"server error (503) after {attempts} attempts" in message.content
            assert answers == ["status:503"] * attempts
    assert served == len(standin.received("GET"))  # no request but these calls' own
    assert Counter(r.answer for r in standin.received("GET"))["status:503"] == 15

    served = 0
    for key, message in zip(keys, messages[50:], strict=True):
        answers = answered(standin, "POST", FLAGS, key)
        served += len(answers)
        assert message.tool_call_id == key
        bodies = [r.raw_body for r in standin.received("POST", FLAGS) if r.body["key"] == key]
        assert all(body == bodies[0] for body in bodies)  # resent as it was, never changed
        if message.status == "success":
            assert message.content.startswith(f'Created flag "{key}" ')
            # Sent again only after a 429, which PostHog sends before acting: created once.
            assert answers == ["status:429"] * (len(answers) - 1) + ["201"]
            assert len(answers) <= attempts
        else:
            assert f"rate limiting this key (429) after {attempts} attempts" in message.content
            assert answers == ["status:429"] * attempts  # and so never created
    assert served == len(standin.received("POST"))
    assert Counter(r.answer for r in standin.received("POST"))["status:429"] == 15


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
    # Which creates drew the 502s is down to scheduling; each caller was told its own outcome.
    for key, message in zip(keys, messages, strict=True):
        (answer,) = answered(standin, "POST", FLAGS, key)
        if answer == "status:502":
            assert message.status == "error"
            assert "may or may not have applied it" in message.content
        else:
            assert answer == "201" and message.content.startswith(f'Created flag "{key}" ')
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
        assert f'"flag-{flag_id}" (id {flag_id})' in message.content
    assert len(standin.received("GET")) == 80


# -- the async client's connections ---------------------------------------------------------


async def test_calls_made_one_at_a_time_keep_one_connection(
    toolkit: PostHogToolkit, standin: StandIn
) -> None:
    tool = tool_of(toolkit, "posthog_get_feature_flag")
    for i in range(1, 8):
        assert f"(id {i})" in await tool.ainvoke({"id": i})
    assert standin.connections == 1


async def test_the_client_keeps_serving_after_errors_timeouts_drops_and_trickles(
    standin: StandIn,
) -> None:
    # Every call draws a fault of its own, so what each caller gets does not depend on the order
    # of arrival. The slow answers come long after the timeout: they can only time out.
    kit = make_toolkit(standin, own_clients=True, timeout=0.3, max_retries=0)
    faults = {"503": error(503), "drop": drop(), "slow": slow(5.0), "trickle": trickle(3.0)}
    kinds = [list(faults)[i % len(faults)] for i in range(40)]
    for flag_id, kind in enumerate(kinds, start=1):
        standin.fail(f"{FLAGS}{flag_id}/", faults[kind], method="GET")
    # A loaded machine may take longer than the timeout over any answer: then the call says so.
    said = {"503": "server error (503)", "drop": "dropped before PostHog answered"}
    try:
        tool = tool_of(kit, "posthog_get_feature_flag")
        messages = await asyncio.gather(
            *(tool.ainvoke(call(tool.name, {"id": i}, f"f{i}")) for i in range(1, 41))
        )
        for flag_id, (kind, message) in enumerate(zip(kinds, messages, strict=True), start=1):
            if (
                kind == "drop"
                and standin_module.TRANSPORT == "aiohttp"
                and (message.status == "success")
            ):
                # aiohttp itself sends a GET once more when a kept-alive connection closes
                # unanswered: then the call gets its own answer, the second time.
                assert f"(id {flag_id})" in message.content
                assert answered(standin, "GET", f"{FLAGS}{flag_id}/") == ["drop", "200"]
                continue
            assert message.status == "error", message.content
            assert "timed out" in message.content or (
                kind in said and said[kind] in message.content
            ), message.content
        # The same client serves again, one call after another (flags with no fault left waiting).
        with no_gc_pause():
            for flag_id in range(101, 106):
                assert f"(id {flag_id})" in await tool.ainvoke({"id": flag_id})
    finally:
        await close_toolkit(kit)


async def test_connections_are_freed_after_calls_are_cancelled(
    toolkit: PostHogToolkit, standin: StandIn
) -> None:
    tool = tool_of(toolkit, "posthog_get_feature_flag")
    standin.fail_always(slow(60.0))  # no answer until the stand-in closes
    # 100 calls take every connection and wait for their answers; 10 more wait for a connection.
    sent = [asyncio.create_task(tool.ainvoke({"id": i})) for i in range(1, 101)]
    await until(lambda: len(standin.requests) == 100)
    queued = [asyncio.create_task(tool.ainvoke({"id": i})) for i in range(101, 111)]
    await asyncio.sleep(0)  # the queued calls start, and find no connection free
    for task in sent + queued:
        task.cancel()
    done = await asyncio.gather(*sent, *queued, return_exceptions=True)
    assert all(isinstance(d, asyncio.CancelledError) for d in done), done
    assert len(standin.requests) == 100  # the queued calls were never sent
    # Every connection serves again: as many calls as the limit are in flight at once.
    standin.fail_always(None)
    standin.peak_in_flight = 0
    standin.hold(100)
    again = await asyncio.gather(
        *(tool.ainvoke(call(tool.name, {"id": i}, f"a{i}")) for i in range(1, 101))
    )
    for flag_id, message in enumerate(again, start=1):
        assert message.status == "success", message.content
        assert f'"flag-{flag_id}" (id {flag_id})' in message.content
    assert standin.peak_in_flight == 100


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
