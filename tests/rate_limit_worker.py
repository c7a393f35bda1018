"""Another process on the same PostHog key, for tests/api/test_ratelimit.py.

    python -m tests.rate_limit_worker STANDIN_URL REDIS_URL BUDGET CALLS

It builds a toolkit against the stand-in whose ``crud`` budget is BUDGET, kept in Redis, connects
to Redis, prints ``ready``, and waits for a line on stdin (``go``, or ``go after-pause`` to wait
first until a pause of the crud bucket announced through Redis has been heard). Then it makes CALLS
``posthog_get_feature_flag`` calls at once and prints one JSON line: what each call got, and
the warnings the toolkit logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys

from langchain_posthog.api.ratelimit import Pause, Spend
from tests.standin import close_toolkit, make_toolkit


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def main(standin: str, redis_url: str, budget: str, calls: int) -> None:
    warnings = _Warnings()
    logging.getLogger("langchain_posthog").addHandler(warnings)
    toolkit = make_toolkit(
        standin,
        rate_limits={"crud": budget},
        rate_limit_storage=redis_url,
        rate_limit_max_wait=60,
        max_retries=3,
    )
    # Connect and subscribe to pauses now, without spending anything: a pause that passed.
    limiter = toolkit.client.rate_limiter
    assert limiter is not None
    await limiter.ahandle(Pause("crud", 0.0))
    print("ready", flush=True)
    line = await asyncio.to_thread(sys.stdin.readline)
    if line.split()[1:] == ["after-pause"]:
        # Told that another process was throttled: first wait until the pause announced through
        # Redis has reached this one (a spend answered by a wait with no window), bounded.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while loop.time() < deadline:
            wait = await limiter.ahandle(Spend("crud"))
            if wait is not None and not wait.limit:
                break
            await asyncio.sleep(0.01)
    results = await asyncio.gather(
        *(toolkit.aexecute("posthog_get_feature_flag", {"id": 1234}) for _ in range(calls))
    )
    await close_toolkit(toolkit)
    answers = [{"ok": r.successful, "error": r.error} for r in results]
    print(json.dumps({"results": answers, "warnings": warnings.messages}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
