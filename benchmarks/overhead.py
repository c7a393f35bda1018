"""Per-call overhead: a PostHog tool against the least a LangChain tool can be for the same call.

Against the loopback server (benchmarks/loopback.py, its own process, keep-alive, answering at
once with PostHog's JSON for a feature flag), each round makes the same GET
``/api/projects/2/feature_flags/1234/`` four ways, in an order that rotates every round so
drift in the machine's load hits every side alike:

- bare call: a function that sends the request with the toolkit's own httpx client (the same
  headers our client sends), parses the JSON, and returns the content and artifact the tool
  returns (text computed once, beforehand);
- StructuredTool: ``StructuredTool.from_function`` around that function with
  ``response_format="content_and_artifact"``, called with ``invoke``: the baseline, what any
  LangChain tool making this call pays;
- our code alone: ``tool._run(id=1234)``, the request, retries, redaction and content, without
  LangChain's ``invoke`` machinery;
- PostHogTool: ``tool.invoke({"id": 1234})``, the real tool, through ``BaseTool.run``.

Async does the same with ``ainvoke``/``_arun`` and the toolkit's async client, once per
transport (httpx's own, and aiohttp's through the ``aiohttp`` extra). Medians per side.

    python benchmarks/overhead.py [CALLS]
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loopback import serving

from langchain_posthog import PostHogToolkit
from langchain_posthog.api.ratelimit import DEFAULT_BUDGETS
from langchain_posthog.api.wire import USER_AGENT

GOAL = 1.05
KEY = "phx_benchmark"
PATH = "/api/projects/2/feature_flags/1234/"
HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "application/json",
    "Accept-Encoding": "gzip",
    "Authorization": f"Bearer {KEY}",
}
WARMUP = 200
MODES = {
    "sync": "sync: `invoke`, httpx.Client",
    "httpx": "async: `ainvoke`, httpx transport",
    "aiohttp": "async: `ainvoke`, aiohttp transport",
}


# Budgets no run reaches: the toolkit still counts every call (its cost is measured), and never
# waits for PostHog's 480 calls a minute, which thousands of calls a side would spend at once.
UNREACHED = dict.fromkeys(DEFAULT_BUDGETS, "100000000/minute")


def toolkit_for(origin: str, transport: str = "httpx") -> PostHogToolkit:
    """The toolkit both benchmarks time, on the loopback server at ``origin``."""
    return PostHogToolkit(
        personal_api_key=KEY,
        host=origin,
        project_id=2,
        max_retries=0,
        transport=transport,
        rate_limits=UNREACHED,
    )


def _flag_tool(toolkit: PostHogToolkit) -> BaseTool:
    return next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")


def rounds(calls: int, sides: dict[str, Callable[[], Any]]) -> dict[str, float]:
    names = list(sides)
    for _ in range(WARMUP):
        for name in names:
            sides[name]()
    timings: dict[str, list[int]] = {name: [] for name in names}
    gc.collect()
    clock = time.perf_counter_ns
    for i in range(calls):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            call = sides[name]
            started = clock()
            call()
            timings[name].append(clock() - started)
    return {name: statistics.median(values) / 1000 for name, values in timings.items()}


async def arounds(calls: int, sides: dict[str, Callable[[], Awaitable[Any]]]) -> dict[str, float]:
    names = list(sides)
    for _ in range(WARMUP):
        for name in names:
            await sides[name]()
    timings: dict[str, list[int]] = {name: [] for name in names}
    gc.collect()
    clock = time.perf_counter_ns
    for i in range(calls):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            call = sides[name]
            started = clock()
            await call()
            timings[name].append(clock() - started)
    return {name: statistics.median(values) / 1000 for name, values in timings.items()}


def measure_sync(origin: str, calls: int) -> dict[str, float]:
    url = origin + PATH
    with toolkit_for(origin) as toolkit:
        tool = _flag_tool(toolkit)
        content, _ = tool._run(id=1234)
        assert '"new-onboarding" (id 1234)' in content, content
        # The toolkit's own httpx client: the baseline sends over the same connection pool.
        http = toolkit.client._sync_client()

        def get_flag(id: int) -> tuple[str, Any]:  # "id": the tool's argument name
            """Get a feature flag."""
            return content, http.get(url, headers=HEADERS).json()

        baseline = StructuredTool.from_function(
            get_flag, name="get_flag", response_format="content_and_artifact"
        )
        assert baseline.invoke({"id": 1234}) == tool.invoke({"id": 1234})
        return rounds(
            calls,
            {
                "bare": lambda: get_flag(1234),
                "structured": lambda: baseline.invoke({"id": 1234}),
                "ours_alone": lambda: tool._run(id=1234),
                "posthog": lambda: tool.invoke({"id": 1234}),
            },
        )


async def measure_async(origin: str, calls: int, transport: str) -> dict[str, float]:
    url = origin + PATH
    async with toolkit_for(origin, transport) as toolkit:
        tool = _flag_tool(toolkit)
        content, _ = await tool._arun(id=1234)
        assert '"new-onboarding" (id 1234)' in content, content
        http = await toolkit.client._async_client()

        async def get_flag(id: int) -> tuple[str, Any]:  # "id": the tool's argument name
            """Get a feature flag."""
            return content, (await http.get(url, headers=HEADERS)).json()

        baseline = StructuredTool.from_function(
            coroutine=get_flag, name="get_flag", response_format="content_and_artifact"
        )
        assert await baseline.ainvoke({"id": 1234}) == await tool.ainvoke({"id": 1234})
        return await arounds(
            calls,
            {
                "bare": lambda: get_flag(1234),
                "structured": lambda: baseline.ainvoke({"id": 1234}),
                "ours_alone": lambda: tool._arun(id=1234),
                "posthog": lambda: tool.ainvoke({"id": 1234}),
            },
        )


def measure(calls: int = 2000) -> dict[str, Any]:
    with serving() as origin:
        result: dict[str, Any] = {"calls": calls, "sync": measure_sync(origin, calls)}
        for transport in ("httpx", "aiohttp"):
            result[transport] = asyncio.run(measure_async(origin, calls, transport))
    return result


def ratio(result: dict[str, Any], mode: str) -> float:
    """PostHogTool against the minimal StructuredTool, for ``mode`` (sync, httpx, aiohttp)."""
    m = result[mode]
    return float(m["posthog"] / m["structured"])


def table(result: dict[str, Any]) -> str:
    lines = [
        f"| median of {result['calls']:,} calls per side | bare call | our code alone (`_run`) "
        "| minimal StructuredTool | PostHogTool | PostHogTool / StructuredTool |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mode, label in MODES.items():
        m = result[mode]
        r = ratio(result, mode)
        lines.append(
            f"| {label} | {m['bare']:,.0f} µs | {m['ours_alone']:,.0f} µs "
            f"| {m['structured']:,.0f} µs | {m['posthog']:,.0f} µs "
            f"| **{r:.2f}** ({'met' if r <= GOAL else 'not met'}) |"
        )
    lines += ["", f"Goal: PostHogTool / StructuredTool <= {GOAL}."]
    for mode, label in MODES.items():
        m = result[mode]
        lines.append(
            f"- {label.split(':')[0]}, {label.split(', ')[1]}: the tool "
            f"{_change(m['posthog'] - m['structured'])} per call against the StructuredTool; "
            f"our code alone {_change(m['ours_alone'] - m['bare'])} against the bare call, "
            f"LangChain's `invoke` {m['structured'] - m['bare']:,.0f} µs to the StructuredTool "
            f"and {m['posthog'] - m['ours_alone']:,.0f} µs to PostHogTool."
        )
    return "\n".join(lines)


def _change(micros: float) -> str:
    """``adds 33 µs`` or, when the side is faster than its baseline, ``saves 79 µs``."""
    return f"adds {micros:,.0f} µs" if micros >= 0 else f"saves {-micros:,.0f} µs"


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print("## Per-call overhead (loopback server, keep-alive)\n")
    print(table(measure(calls)))


if __name__ == "__main__":
    main()
