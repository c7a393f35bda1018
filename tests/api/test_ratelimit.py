"""PostHog's rate limits kept before sending: in the process, and shared through a real Redis.

What the stand-in received (when each request arrived) is the evidence: no window of the
budget's length holds more than the budget, a pause after a 429 holds every sharer back, and
every call gets an answer whatever Redis does.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from langchain_posthog import PostHogToolkit
from langchain_posthog.api.calls import Call, bucket
from langchain_posthog.api.errors import PostHogConfigError
from langchain_posthog.api.ratelimit import Window, parse_budget
from tests.conftest import PERSONAL_KEY, PROJECT_KEY, ROOT
from tests.redis_server import RedisServer, running
from tests.standin import (
    LOOPBACK_ONLY,
    StandIn,
    close_toolkit,
    fast,
    make_toolkit,
    responses,
    throttle,
)

pytestmark = LOOPBACK_ONLY

FLAG = "/api/projects/2/feature_flags/1234/"


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with running() as server:
        yield server


def arrivals(server: StandIn, when: Any = None) -> list[float]:
    """When each feature-flag read reached the stand-in (``when(times)`` after each).

    A read the stand-in was told to answer with a fault (a 429) is counted too.
    """
    times: list[float] = []

    def answer(received: Any) -> tuple[int, Any]:
        times.append(time.time())
        if when is not None:
            when(times)
        found = responses.answer(received.method, received.raw_path, received.body)
        assert found is not None
        return found.status, found.body

    server.route("GET", lambda path: path == FLAG, answer)
    return times


def most_in_any_window(times: list[float], seconds: float) -> int:
    """The most arrivals in any window of ``seconds``, sliding over all of them."""
    ordered, most, first = sorted(times), 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def flag_reads(toolkit: PostHogToolkit, calls: int, mode: str) -> list[Any]:
    def one(_: int) -> Any:
        return toolkit.execute("posthog_get_feature_flag", {"id": 1234})

    if mode == "sync":
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(one, range(calls)))

    async def all_at_once() -> list[Any]:
        return list(
            await asyncio.gather(
                *(toolkit.aexecute("posthog_get_feature_flag", {"id": 1234}) for _ in range(calls))
            )
        )

    return asyncio.run(all_at_once())


# -- which bucket a call spends, and what a budget says ---------------------------------------


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (Call("POST", "/api/projects/2/query/"), "query"),
        (Call("GET", "/api/environments/2/query/abc/"), "query"),
        (Call("GET", "/api/projects/2/query/draft_sql/"), "ai"),
        (Call("GET", "/api/projects/2/insights/"), "analytics"),
        (Call("GET", "/api/projects/@current/persons/9/"), "analytics"),
        (Call("PATCH", "/api/projects/2/persons/9/"), "analytics"),
        (Call("GET", "/api/projects/2/session_recordings/s1/"), "analytics"),
        (Call("POST", "/api/projects/2/session_recording_playlists/"), "analytics"),
        (Call("GET", "/api/projects/2/feature_flags/"), "crud"),
        (Call("POST", "/api/projects/2/surveys/x/summarize_responses/"), "crud"),
        (Call("GET", "/api/users/@me/"), "crud"),
        (Call("GET", "/api/projects/2/feature_flags/", bucket="ai"), "ai"),
        (Call("POST", "/batch/", host="ingest"), None),
    ],
)
def test_each_call_spends_the_bucket_posthog_counts_it_in(call: Call, expected: str) -> None:
    assert bucket(call) == expected


def test_budgets_are_read_as_posthog_writes_them() -> None:
    assert parse_budget("240/minute; 1200/hour") == (Window(240, 60), Window(1200, 3600))
    assert parse_budget("20 per 2 seconds") == (Window(20, 2),)
    assert str(Window(10, 86400)) == "10 per day"
    for bad in ("", "many/minute", "0/minute", "5/fortnight"):
        with pytest.raises(PostHogConfigError, match="budget"):
            parse_budget(bad)
    with pytest.raises(PostHogConfigError, match="unknown bucket 'clickhouse'"):
        PostHogToolkit(personal_api_key=PERSONAL_KEY, rate_limits={"clickhouse": "1/minute"})


# -- in this process -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_calls_beyond_the_budget_wait_for_it_and_none_is_lost(standin: StandIn, mode: str) -> None:
    times = arrivals(standin)
    toolkit = make_toolkit(standin, rate_limits={"crud": "4 per 0.5 second"})
    results = flag_reads(toolkit, 8, mode)
    asyncio.run(close_toolkit(toolkit))
    assert [r.error for r in results if not r.successful] == []
    assert len(times) == 8
    assert most_in_any_window(times, 0.5) <= 4


def test_an_async_wait_leaves_the_event_loop_running(standin: StandIn) -> None:
    arrivals(standin)
    toolkit = make_toolkit(standin, rate_limits={"crud": "2 per 0.4 second"})
    ticks: list[float] = []

    async def run() -> list[Any]:
        async def ticker() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.02)

        ticking = asyncio.create_task(ticker())
        started = time.monotonic()
        results = await asyncio.gather(
            *(toolkit.aexecute("posthog_get_feature_flag", {"id": 1234}) for _ in range(6))
        )
        ticking.cancel()
        assert time.monotonic() - started >= 0.8  # three windows of two
        await close_toolkit(toolkit)
        return list(results)

    assert all(r.successful for r in asyncio.run(run()))
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.3


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_past_the_longest_wait_a_call_fails_unsent_saying_which_limit(
    standin: StandIn, mode: str
) -> None:
    times = arrivals(standin)
    toolkit = make_toolkit(standin, rate_limits={"crud": "2/hour"}, rate_limit_max_wait=1)
    results = flag_reads(toolkit, 3, mode)
    asyncio.run(close_toolkit(toolkit))
    assert len(times) == 2 and sum(r.successful for r in results) == 2
    (error,) = [r.error for r in results if not r.successful]
    assert error.startswith("Not sent: the crud budget of this key (2 per hour) is spent")
    assert "it frees in 36" in error and "Nothing was sent to PostHog" in error


def test_a_bucket_set_to_none_is_not_limited_and_capture_is_never_counted(
    standin: StandIn,
) -> None:
    times = arrivals(standin)
    toolkit = make_toolkit(
        standin, rate_limits={"crud": None, "analytics": "1/hour"}, rate_limit_max_wait=0
    )
    assert all(r.successful for r in flag_reads(toolkit, 5, "sync"))
    events = [{"event": "signed up", "distinct_id": f"u{i}"} for i in range(3)]
    for event in events:
        assert toolkit.execute("posthog_capture_event", event).successful
    asyncio.run(close_toolkit(toolkit))
    assert len(times) == 5


class _Heard(logging.Handler):
    """Notes when the toolkit logs a line holding ``text``."""

    def __init__(self, text: str) -> None:
        super().__init__(logging.DEBUG)
        self.text = text
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_429_pauses_the_bucket_for_every_caller(standin: StandIn, mode: str) -> None:
    times = arrivals(standin)
    standin.fail(FLAG, throttle(0.6))
    toolkit = make_toolkit(standin)
    heard = _Heard("retrying in")  # logged once the 429 is read and its pause recorded
    logger = logging.getLogger("langchain_posthog")
    logger.addHandler(heard)
    before = time.time()
    try:
        if mode == "sync":
            with ThreadPoolExecutor(6) as pool:
                throttled = pool.submit(flag_reads, toolkit, 1, "sync")
                assert heard.event.wait(10)
                results = flag_reads(toolkit, 5, "sync") + throttled.result(timeout=10)
        else:

            async def run() -> list[Any]:
                throttled = asyncio.create_task(
                    toolkit.aexecute("posthog_get_feature_flag", {"id": 1234})
                )
                while not heard.event.is_set():
                    await asyncio.sleep(0.005)
                others = await asyncio.gather(
                    *(toolkit.aexecute("posthog_get_feature_flag", {"id": 1234}) for _ in range(5))
                )
                return [*others, await throttled]

            results = asyncio.run(run())
    finally:
        logger.removeHandler(heard)
        asyncio.run(close_toolkit(toolkit))
    assert all(r.successful for r in results)
    # The pause began after `before` and lasted 0.6 s: the retry, and the five calls that came
    # after the 429 and would otherwise have gone at once, all waited for its end.
    assert len(times) == 7 and min(sorted(times)[1:]) >= before + 0.6


def test_settings_survive_copies_and_pickling_and_stay_out_of_reprs(
    redis_server: RedisServer,
) -> None:
    url = f"redis://:hunter2@127.0.0.1:{redis_server.port}/0"
    toolkit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_api_key=PROJECT_KEY,
        rate_limits={"query": "120/minute"},
        rate_limit_storage=url,
    )
    for other in (copy.deepcopy(toolkit), pickle.loads(pickle.dumps(toolkit))):
        limiter = other.client.rate_limiter
        assert limiter is not None and limiter.shared
        assert str(limiter.budgets["query"][0]) == "120 per minute"
    assert "hunter2" not in repr(toolkit) and "hunter2" not in repr(toolkit.client.rate_limiter)
    with pytest.raises(PostHogConfigError, match="redis://"):
        PostHogToolkit(personal_api_key=PERSONAL_KEY, rate_limit_storage="memcached://x")


# -- shared through Redis ------------------------------------------------------------------------


def _worker(standin: StandIn, redis_url: str, budget: str, calls: int) -> subprocess.Popen[str]:
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.rate_limit_worker",
            standin.url,
            redis_url,
            budget,
            str(calls),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    line = worker.stdout.readline()
    assert line.strip() == "ready", worker.communicate(timeout=30)[1]
    return worker


def _go(worker: subprocess.Popen[str], *after: str) -> None:
    assert worker.stdin is not None
    worker.stdin.write(" ".join(("go", *after)) + "\n")
    worker.stdin.flush()


def _outcome(worker: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    return dict(json.loads(out.strip().splitlines()[-1]))


def test_two_processes_share_one_budget_and_lose_no_call(
    standin: StandIn, redis_server: RedisServer
) -> None:
    times = arrivals(standin)
    workers = [_worker(standin, redis_server.url, "50 per 1 second", 50) for _ in range(2)]
    for worker in workers:
        _go(worker)
    outcomes = [_outcome(worker) for worker in workers]
    for outcome in outcomes:
        assert [r["error"] for r in outcome["results"] if not r["ok"]] == []
        assert len(outcome["results"]) == 50 and outcome["warnings"] == []
    assert len(times) == 100
    # Apart, each process would send its 50 at once; together they sent no more than 50 a second.
    assert most_in_any_window(times, 1.0) <= 50


def test_a_429_in_one_process_pauses_the_other(standin: StandIn, redis_server: RedisServer) -> None:
    times = arrivals(standin)
    standin.fail(FLAG, throttle(1.5))
    other = _worker(standin, redis_server.url, "100 per 1 second", 10)
    toolkit = make_toolkit(standin, rate_limit_storage=redis_server.url)
    fast(toolkit, max_retry_after=5)  # the pause is the whole Retry-After
    limiter = toolkit.client.rate_limiter
    assert limiter is not None
    got: list[Any] = []
    throttled = threading.Thread(
        target=lambda: got.append(toolkit.execute("posthog_get_feature_flag", {"id": 1234}))
    )
    throttled.start()
    store = redis.Redis.from_url(redis_server.url)
    key = f"{limiter.namespace}:crud:paused-until"
    deadline = time.monotonic() + 10
    while (until := store.get(key)) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert until is not None, "the 429 was not recorded in Redis"
    pause_ends = float(until)
    told = time.time()
    _go(other, "after-pause")  # once it has heard the pause, it sends nothing before its end
    outcome = _outcome(other)
    throttled.join(timeout=30)
    store.close()
    asyncio.run(close_toolkit(toolkit))
    assert told < pause_ends
    assert got and got[0].successful
    assert all(r["ok"] for r in outcome["results"])
    # The throttled call, its retry and the other process's ten: all but the first after the pause.
    assert len(times) == 12
    assert min(sorted(times)[1:]) >= pause_ends


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_redis_stopped_mid_run_leaves_every_call_answered(
    standin: StandIn, redis_server: RedisServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    def stop_redis_after_ten(times: list[float]) -> None:
        if len(times) == 10:
            threading.Thread(target=redis_server.stop).start()

    times = arrivals(standin, when=stop_redis_after_ten)
    toolkit = make_toolkit(
        standin, rate_limits={"crud": "10 per 0.5 second"}, rate_limit_storage=redis_server.url
    )
    with caplog.at_level(logging.WARNING, logger="langchain_posthog"):
        results = flag_reads(toolkit, 25, mode)
    asyncio.run(close_toolkit(toolkit))
    assert [r.error for r in results if not r.successful] == []
    assert len(times) == 25
    lost = [r for r in caplog.records if "is not answering" in r.getMessage()]
    assert len(lost) == 1
    assert "this process keeps its own budgets" in lost[0].getMessage()


def test_a_redis_that_never_answers_costs_one_warning_and_no_call(
    standin: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer().start()
    server.stop()  # nothing listens on its port now
    times = arrivals(standin)
    toolkit = make_toolkit(standin, rate_limit_storage=server.url)
    with caplog.at_level(logging.WARNING, logger="langchain_posthog"):
        assert all(r.successful for r in flag_reads(toolkit, 5, "sync"))
        assert all(r.successful for r in flag_reads(toolkit, 5, "async"))
    asyncio.run(close_toolkit(toolkit))
    assert len(times) == 10
    assert len([r for r in caplog.records if "is not answering" in r.getMessage()]) == 1
