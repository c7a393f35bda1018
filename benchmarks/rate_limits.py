"""What keeping PostHog's rate limits costs a call, and that a burst under budget is not slowed.

Per call: against the loopback server (benchmarks/loopback.py, its own process), each round
makes the same ``posthog_get_feature_flag`` call through three toolkits, in an order that
rotates every round:

- none: a toolkit whose client has no rate limiter (the baseline);
- process: budgets in this process, raised far out of reach so that no call waits;
- redis: the same budgets kept in a redis-server on loopback that this script starts.

Medians, sync (``tool.invoke``) and async (``tool.ainvoke``). The goal for the process side is
at most 2% of the call; for Redis, the round trips per call are counted where redis-py writes
a request to its socket (a pipeline is one write).

Burst: 200 ``posthog_get_feature_flag`` calls at once against the test stand-in, which answers
like PostHog's throttle (a 429 once 240 calls were answered in the last 60 s), from a toolkit
whose crud budget is 240/minute: all of them within the first minute, none refused.

    python benchmarks/rate_limits.py [CALLS]
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis
import redis.asyncio.connection
import redis.connection
from loopback import serving
from overhead import arounds, rounds

from langchain_posthog import PostHogToolkit
from tests.redis_server import RedisServer
from tests.standin import StandIn, close_toolkit, make_toolkit, responses

KEY = "phx_benchmark"
# Two windows, as PostHog's buckets have, both far out of reach.
FAR = {name: "100000000/minute; 1000000000/hour" for name in ("crud", "analytics", "query", "ai")}
FLAG = "/api/projects/2/feature_flags/1234/"


def _toolkit(origin: str, **settings: Any) -> PostHogToolkit:
    return PostHogToolkit(
        personal_api_key=KEY, host=origin, project_id=2, max_retries=0, **settings
    )


def _tool(toolkit: PostHogToolkit) -> Any:
    return next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")


_WRITES = [0]


def _count_writes() -> None:
    """Count every request redis-py writes to a socket, sync or async: one per round trip."""
    for connection in (
        redis.connection.AbstractConnection,
        redis.asyncio.connection.AbstractConnection,
    ):
        send = connection.send_packed_command

        def counted(self: Any, *args: Any, _send: Any = send, **kwargs: Any) -> Any:
            _WRITES[0] += 1
            return _send(self, *args, **kwargs)

        connection.send_packed_command = counted  # type: ignore[method-assign]


def per_call(calls: int) -> None:
    _count_writes()
    server = RedisServer().start()
    try:
        with serving() as origin:
            none = _toolkit(origin)
            none.client.rate_limiter = None
            process = _toolkit(origin, rate_limits=FAR)
            shared = _toolkit(origin, rate_limits=FAR, rate_limit_storage=server.url)
            tools = {"none": _tool(none), "process": _tool(process), "redis": _tool(shared)}
            sync = rounds(
                calls, {n: (lambda t=t: t.invoke({"id": 1234})) for n, t in tools.items()}
            )
            before = _WRITES[0]
            for _ in range(calls):
                tools["redis"].invoke({"id": 1234})
            sync_commands = (_WRITES[0] - before) / calls

            async def run() -> tuple[dict[str, float], float]:
                timings = await arounds(
                    calls, {n: (lambda t=t: t.ainvoke({"id": 1234})) for n, t in tools.items()}
                )
                before = _WRITES[0]
                for _ in range(calls):
                    await tools["redis"].ainvoke({"id": 1234})
                used = (_WRITES[0] - before) / calls
                for toolkit in (none, process, shared):
                    await toolkit.aclose()
                return timings, used

            asynchronous, async_commands = asyncio.run(run())
    finally:
        server.stop()
    for label, timings, commands in (
        ("sync", sync, sync_commands),
        ("async", asynchronous, async_commands),
    ):
        base = timings["none"]
        print(f"{label}: call without a limiter {base:,.0f} us")
        for side in ("process", "redis"):
            extra = timings[side] - base
            print(f"  {side}: {timings[side]:,.0f} us, +{extra:,.1f} us ({extra / base:+.1%})")
        print(f"  redis round trips per call: {commands:.2f}")


def burst(calls: int = 200, budget: int = 240) -> None:
    answered: deque[float] = deque()
    refused = 0
    lock = threading.Lock()

    def throttle(received: Any) -> tuple[int, Any]:
        nonlocal refused
        now = time.monotonic()
        with lock:
            while answered and now - answered[0] >= 60:
                answered.popleft()
            if len(answered) >= budget:
                refused += 1
                return 429, {
                    "type": "throttled_error",
                    "code": "throttled",
                    "detail": "Request was throttled.",
                    "attr": None,
                }
            answered.append(now)
        found = responses.answer(received.method, received.raw_path, received.body)
        assert found is not None
        return found.status, found.body

    with StandIn() as server:
        server.route("GET", lambda path: path == FLAG, throttle)
        toolkit = make_toolkit(
            server,
            own_clients=True,
            timeout=30,
            max_retries=0,
            rate_limits={"crud": f"{budget}/minute"},
        )

        async def run() -> tuple[float, list[Any]]:
            started = time.monotonic()
            results = await asyncio.gather(
                *(toolkit.aexecute("posthog_get_feature_flag", {"id": 1234}) for _ in range(calls))
            )
            elapsed = time.monotonic() - started
            await close_toolkit(toolkit)
            return elapsed, list(results)

        elapsed, results = asyncio.run(run())
    ok = sum(r.successful for r in results)
    print(
        f"burst: {calls} calls at once, budget {budget}/minute: {ok} answered in {elapsed:.2f} s, "
        f"{len(answered)} answered and {refused} refused by the stand-in"
    )


if __name__ == "__main__":
    per_call(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
    burst()
