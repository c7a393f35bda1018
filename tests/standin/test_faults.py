"""Faults on a real HTTP server: what is retried, how long it waits, what the model reads.

Every test runs sync and async against the stand-in on 127.0.0.1, with short backoff.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS
from tests import standin as standin_module
from tests.conftest import PROJECT_ID, PROJECT_KEY
from tests.standin import (
    LOOPBACK_ONLY,
    Fault,
    StandIn,
    close_toolkit,
    drop,
    error,
    fast,
    get_tool,
    html,
    invoke,
    make_toolkit,
    no_gc_pause,
    raw,
    serve,
    short_body,
    slow,
    throttle,
    trickle,
    truncated,
)

pytestmark = LOOPBACK_ONLY

FLAG = f"/api/projects/{PROJECT_ID}/feature_flags/7/"
FLAGS = f"/api/projects/{PROJECT_ID}/feature_flags/"
GET_FLAG = "posthog_get_feature_flag"
CREATE_FLAG = "posthog_create_feature_flag"
CREATE_ARGS = {"key": "new-onboarding", "name": "New onboarding flow", "rollout_percentage": 25}


@pytest.fixture
def standin() -> Iterator[StandIn]:
    yield from serve()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def toolkit(standin: StandIn) -> AsyncIterator[PostHogToolkit]:
    kit = make_toolkit(standin)
    yield kit
    await close_toolkit(kit)


def answers(standin: StandIn, method: str, path: str) -> list[str]:
    return [r.answer for r in standin.received(method, path)]


def short_for(fault: Fault) -> float:
    """A toolkit's timeout for ``fault``: short only for an answer that never comes in time.

    Any other answer is read whatever the machine's load, and said for what it is.
    """
    return 0.3 if fault.kind == "slow" else 10.0


def assert_one_clear_line(content: Any) -> None:
    assert isinstance(content, str) and content
    assert "\n" not in content, content
    assert "<" not in content and ">" not in content, content
    assert "Traceback" not in content and 'File "' not in content, content
    assert len(content) < 400, content


def test_only_the_loopback_is_reachable(standin: StandIn) -> None:
    with socket.create_connection(("127.0.0.1", int(standin.url.rsplit(":", 1)[1])), timeout=2):
        pass
    blocked = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(RuntimeError):
            blocked.connect(("192.0.2.1", 80))  # TEST-NET-1: never routable anyway
    finally:
        blocked.close()


# -- reads: retried through 429 and 502/503/504 ---------------------------------------------------


async def test_read_is_retried_through_429_and_gateway_errors(
    toolkit: PostHogToolkit, standin: StandIn, mode: str
) -> None:
    fast(toolkit, max_retries=4)
    standin.fail(FLAG, throttle(0), error(502), error(503), error(504))
    message = await invoke(mode, get_tool(toolkit, GET_FLAG), {"id": 7})
    assert message.status == "success", message.content
    assert "(id 7)" in message.content
    assert answers(standin, "GET", FLAG) == [
        "status:429",
        "status:502",
        "status:503",
        "status:504",
        "200",
    ]


async def test_read_answered_500_is_not_retried(
    toolkit: PostHogToolkit, standin: StandIn, mode: str
) -> None:
    # A 500 is PostHog failing on this request, not an overloaded gateway: retrying repeats it.
    standin.fail(FLAG, error(500))
    message = await invoke(mode, get_tool(toolkit, GET_FLAG), {"id": 7})
    assert message.status == "error"
    assert "server error (500)" in message.content
    assert answers(standin, "GET", FLAG) == ["status:500"]
    assert_one_clear_line(message.content)


# A loaded machine only ever adds to how long a call takes, so the upper bounds leave seconds of
# room; each still tells the wait intended from the 30 s the server asked for.
@pytest.mark.parametrize(
    ("fault", "cap", "low", "high"),
    [
        pytest.param(lambda: throttle(1), 30.0, 0.9, 5.0, id="seconds-under-cap"),
        pytest.param(lambda: throttle(30), 0.2, 0.15, 5.0, id="seconds-over-cap"),
        # An HTTP date has whole seconds: 30 s ahead is 29 to 30 s away, so the 0.5 s cap decides
        # (unparsed, it would be a backoff of at most 0.05 s).
        pytest.param(lambda: throttle(30, date=True), 0.5, 0.45, 5.0, id="http-date-capped"),
        pytest.param(lambda: throttle(-30, date=True), 30.0, 0.0, 5.0, id="http-date-past"),
        # No header: PostHog's throttle detail names the seconds ("available in 30 seconds").
        pytest.param(lambda: throttle(None, detail_seconds=30), 0.5, 0.45, 5.0, id="detail-only"),
        pytest.param(lambda: throttle(None), 30.0, 0.0, 5.0, id="no-hint-backoff"),
    ],
)
async def test_retry_after_is_honoured_up_to_the_cap(
    toolkit: PostHogToolkit,
    standin: StandIn,
    mode: str,
    fault: Any,
    cap: float,
    low: float,
    high: float,
) -> None:
    fast(toolkit, max_retry_after=cap)
    standin.fail(FLAG, fault())
    tool = get_tool(toolkit, GET_FLAG)
    started = time.monotonic()
    message = await invoke(mode, tool, {"id": 7})
    elapsed = time.monotonic() - started
    assert message.status == "success", message.content
    assert answers(standin, "GET", FLAG) == ["status:429", "200"]
    assert low <= elapsed <= high, f"waited {elapsed:.2f} s"


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (lambda: throttle(0), "rate limiting this key (429) after 3 attempts"),
        (lambda: error(502), "server error (502) after 3 attempts"),
        (lambda: error(503), "server error (503) after 3 attempts"),
        (lambda: error(504), "server error (504) after 3 attempts"),
        (lambda: html(503), "server error (503) after 3 attempts"),
        (lambda: slow(5.0), "timed out after 3 attempts"),
        (drop, "dropped before PostHog answered after 3 attempts"),
        (short_body, "dropped before PostHog answered after 3 attempts"),
    ],
    ids=["429", "502", "503", "504", "html-503", "timeout", "drop", "short-body"],
)
async def test_read_gives_up_after_max_retries_and_says_so(
    standin: StandIn, mode: str, fault: Any, expected: str
) -> None:
    faults = [fault() for _ in range(3)]
    kit = make_toolkit(standin, max_retries=2, timeout=short_for(faults[0]))
    try:
        standin.fail_always(faults[0])
        tool = get_tool(kit, GET_FLAG)
        message = await invoke(mode, tool, {"id": 7})
        standin.fail_always(None)
        assert message.status == "error"
        assert expected in message.content
        assert_one_clear_line(message.content)
        sent = len(standin.received("GET", FLAG))
        if standin_transport(mode) == "aiohttp" and fault is drop:
            # aiohttp itself sends a GET once more when a kept-alive connection closes unanswered.
            assert 3 <= sent <= 6
        else:
            assert sent == 3
        # The faults are over: the same toolkit works again.
        with no_gc_pause():
            again = await invoke(mode, tool, {"id": 7})
        assert again.status == "success" and "(id 7)" in again.content
    finally:
        await close_toolkit(kit)


def standin_transport(mode: str) -> str:
    """The transport a call in ``mode`` takes: the run's async transport, or httpx's (sync)."""
    return standin_module.TRANSPORT if mode == "async" else "httpx"


async def test_429_message_names_the_wait(standin: StandIn, mode: str) -> None:
    kit = make_toolkit(standin, max_retries=1)
    fast(kit, max_retry_after=5.0)
    try:
        standin.fail(FLAG, throttle(0.3), throttle(1))
        message = await invoke(mode, get_tool(kit, GET_FLAG), {"id": 7})
        assert message.status == "error"
        assert "(429) after 2 attempts over" in message.content
        assert "Wait at least 1 s" in message.content
        assert_one_clear_line(message.content)
    finally:
        await close_toolkit(kit)


# -- creates: never sent twice unless PostHog provably did not act ---------------------------------


@pytest.mark.parametrize(
    "fault",
    [error(500), error(502), error(503), error(504), html(502), slow(5.0), drop(), short_body()],
    ids=str,
)
async def test_create_that_may_have_been_applied_is_not_sent_again(
    standin: StandIn, mode: str, fault: Fault
) -> None:
    kit = make_toolkit(standin, timeout=short_for(fault))
    try:
        standin.fail(FLAGS, fault)
        message = await invoke(mode, get_tool(kit, CREATE_FLAG), CREATE_ARGS)
        assert message.status == "error"
        assert_one_clear_line(message.content)
        assert len(standin.received("POST", FLAGS)) == 1
        # Whatever went wrong, PostHog may have created the flag: look before sending it again.
        assert "may or may not have applied it" in message.content
        assert "check" in message.content and "try again shortly" not in message.content
    finally:
        await close_toolkit(kit)


async def test_create_throttled_is_sent_again_and_creates_exactly_one(
    toolkit: PostHogToolkit, standin: StandIn, mode: str
) -> None:
    standin.fail(FLAGS, throttle(0), throttle(0.05))
    message = await invoke(mode, get_tool(toolkit, CREATE_FLAG), CREATE_ARGS)
    assert message.status == "success", message.content
    assert message.content.startswith('Created flag "new-onboarding"')
    assert answers(standin, "POST", FLAGS) == ["status:429", "status:429", "201"]
    bodies = [r.body for r in standin.received("POST", FLAGS)]
    assert all(body == bodies[0] for body in bodies)


# -- every row, present and future ----------------------------------------------------------------

READS = [a for a in ACTIONS if a.scope == "read"]
WRITES = [a for a in ACTIONS if a.scope != "read"]


@pytest.mark.parametrize("action", READS, ids=lambda a: a.name)
async def test_every_read_tool_survives_a_dropped_connection_and_a_503(
    toolkit: PostHogToolkit, standin: StandIn, mode: str, action: Any
) -> None:
    # Reads sent as POST (the query API, survey summaries) are retried too: they change nothing.
    standin.fail(None, drop(), error(503))
    message = await invoke(mode, get_tool(toolkit, action.name), dict(action.example))
    assert message.status == "success", message.content
    assert [r.answer for r in standin.requests[:3]] == ["drop", "status:503", "200"]


@pytest.mark.parametrize("fault", [error(502), error(504), drop(), slow(5.0)], ids=str)
async def test_no_write_tool_sends_a_create_twice_when_the_outcome_is_unknown(
    standin: StandIn, mode: str, fault: Fault
) -> None:
    kit = make_toolkit(standin, timeout=short_for(fault), max_retries=1)
    standin.fail_always(fault)
    calls = [
        {"name": a.name, "args": dict(a.example), "id": a.name, "type": "tool_call"} for a in WRITES
    ]
    tools = [get_tool(kit, a.name) for a in WRITES]
    try:
        if mode == "sync":
            await asyncio.gather(
                *(asyncio.to_thread(t.invoke, c) for t, c in zip(tools, calls, strict=True))
            )
        else:
            await asyncio.gather(*(t.ainvoke(c) for t, c in zip(tools, calls, strict=True)))
    finally:
        await close_toolkit(kit)
    # A resend carries the same body to the same path; creates are never idempotent here.
    creates = Counter(
        (r.raw_path, r.raw_body)
        for r in standin.requests
        if r.method == "POST" and r.raw_path not in {"/i/v0/e/", "/batch/"}
    )
    assert creates and all(n == 1 for n in creates.values()), creates


# -- capture: retried with the same event uuid ----------------------------------------------------


def capture_action(name: str) -> Any:
    found = [a for a in ACTIONS if a.name == name]
    if not found:
        pytest.skip(f"{name} is not in the action table yet")
    return found[0]


def uuids(body: Any) -> list[str]:
    events = body.get("batch") if isinstance(body.get("batch"), list) else [body]
    return [str(e.get("uuid")) for e in events]


@pytest.mark.parametrize(
    ("name", "path"),
    [("posthog_capture_event", "/i/v0/e/"), ("posthog_capture_events", "/batch/")],
)
async def test_capture_retried_after_a_dropped_connection_keeps_its_uuid(
    toolkit: PostHogToolkit, standin: StandIn, mode: str, name: str, path: str
) -> None:
    action = capture_action(name)
    standin.fail(path, drop(), error(503))
    message = await invoke(mode, get_tool(toolkit, name), dict(action.example))
    assert message.status == "success", message.content
    sent = standin.received("POST", path)
    assert [r.answer for r in sent] == ["drop", "status:503", "200"]
    assert all(r.body == sent[0].body for r in sent)  # byte-for-byte the same events
    ids = uuids(sent[0].body)
    assert all(ids) and "None" not in ids and len(set(ids)) == len(ids)
    assert sent[0].body["api_key"] == PROJECT_KEY
    assert all("authorization" not in r.headers for r in sent)
    if path == "/batch/":
        assert sent[0].headers.get("content-encoding") == "gzip"


# -- one clear line, and the toolkit keeps working ------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [slow(5.0), drop(), html(502), html(200), truncated(), short_body(), error(503)],
    ids=lambda f: f"{f}" + ("" if f.kind != "html" else f"-{f.status}"),
)
async def test_each_failure_is_one_clear_line_and_the_next_call_works(
    standin: StandIn, mode: str, fault: Fault
) -> None:
    kit = make_toolkit(standin, timeout=short_for(fault), max_retries=1)
    try:
        tool = get_tool(kit, GET_FLAG)
        standin.fail_always(fault)
        message = await invoke(mode, tool, {"id": 7})
        assert message.status == "error"
        assert_one_clear_line(message.content)
        assert "/feature_flags/7/" in message.content or "(50" in message.content
        result = kit.execute(GET_FLAG, {"id": 7}) if mode == "sync" else None
        if result is None:
            result = await kit.aexecute(GET_FLAG, {"id": 7})
        assert not result.successful and result.error
        assert_one_clear_line(result.error)
        standin.fail_always(None)
        with no_gc_pause():
            again = await invoke(mode, tool, {"id": 7})
        assert again.status == "success" and "(id 7)" in again.content
    finally:
        await close_toolkit(kit)


def test_an_answer_with_no_usable_body_is_a_message_not_a_crash(standin: StandIn) -> None:
    kit = make_toolkit(standin, max_retries=0)
    crashes = []
    try:
        for body in (b"", b"null", b"[]"):
            standin.fail_always(raw(200, body))
            for action in ACTIONS:
                try:
                    kit.execute(action.name, dict(action.example))
                except Exception as crash:
                    crashes.append(f"{action.name} on {body!r}: {type(crash).__name__}")
    finally:
        kit.close()
    assert not crashes, "\n".join(crashes)


async def test_the_timeout_bounds_a_whole_answer_not_each_read(standin: StandIn, mode: str) -> None:
    kit = make_toolkit(standin, timeout=0.3, max_retries=0)
    try:
        # Each piece of the answer comes well within the timeout; the whole takes 2 s.
        standin.fail(FLAG, trickle(2.0))
        started = time.monotonic()
        message = await invoke(mode, get_tool(kit, GET_FLAG), {"id": 7})
        elapsed = time.monotonic() - started
    finally:
        await close_toolkit(kit)
    assert elapsed < 1.9, f"one call with a 0.3 s timeout took {elapsed:.1f} s: {message.content}"
    assert message.status == "error" and "timed out" in message.content, message.content


async def test_an_answer_that_trickles_in_within_the_timeout_is_read_whole(
    standin: StandIn, mode: str
) -> None:
    kit = make_toolkit(standin, timeout=5.0, max_retries=0)
    try:
        standin.fail(FLAG, trickle(0.3))
        message = await invoke(mode, get_tool(kit, GET_FLAG), {"id": 7})
    finally:
        await close_toolkit(kit)
    assert message.status == "success", message.content
    assert "(id 7)" in message.content
    assert len(standin.received("GET", FLAG)) == 1


async def test_cookies_the_server_sets_are_never_sent_back(standin: StandIn, mode: str) -> None:
    # A Django session cookie would turn on CSRF checks for writes: keys alone authenticate.
    kit = make_toolkit(standin, own_clients=True)
    standin.set_cookie = "sessionid=abc123; Path=/"
    try:
        for _ in range(3):
            message = await invoke(mode, get_tool(kit, GET_FLAG), {"id": 7})
            assert message.status == "success", message.content
        client = kit.client._sync_client() if mode == "sync" else await kit.client._async_client()
        assert not client.cookies, "the client kept a cookie"
    finally:
        await close_toolkit(kit)
    sent = [request.headers for request in standin.received("GET", FLAG)]
    assert len(sent) == 3 and not any("cookie" in headers for headers in sent), sent
