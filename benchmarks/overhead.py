"""Per-call overhead: what a tool call costs on top of the HTTP request it makes.

Against the loopback server (benchmarks/loopback.py, its own process, keep-alive, answering at
once with PostHog's JSON for a feature flag), each round makes the same GET
``/api/projects/2/feature_flags/1234/`` six ways, in an order that rotates every round so drift
in the machine's load hits every side alike:

- bare: ``httpx.Client.get(url, headers=...)`` then ``.json()``, with the headers our client
  sends (User-Agent, Accept, Accept-Encoding, Authorization), on one kept-alive connection;
- PostHogTool: ``tool.invoke({"id": 1234})``, the real tool with nothing observing it, as an
  agent without tracing calls it: LangChain's check for callback handlers, one validation, then
  our plan, client, redaction check and content (``PostHogTool.invoke`` says why it skips
  ``BaseTool.run`` then);
- PostHogTool, observed: the same call with a callback handler that does nothing, so it takes
  ``BaseTool.run`` with its callback run, as under tracing or with callbacks;
- StructuredTool: a trivial ``StructuredTool.from_function`` around the bare call, the way most
  LangChain tools are written: what a typical tool pays for ``BaseTool.invoke``;
- minimal BaseTool: a ``BaseTool`` subclass whose ``_run`` is the bare call, with no
  annotations for LangChain to resolve: the least any LangChain tool pays for ``invoke``;
- our code alone: ``tool._run(id=1234)``, without LangChain's invoke machinery.

The same six run async (``ainvoke``/``_arun``, ``httpx.AsyncClient``), with a seventh: the bare
call through an ``httpx.AsyncClient`` over the pool the toolkit's async client uses
(``langchain_posthog.pool.PooledTransport``), which costs less CPU than httpx's own. The goal
is judged against the plain ``httpx.AsyncClient``, as a user's own code would make the call;
the seventh side shows what the tool adds on top of the same pool. Medians per side.

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

import httpx
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loopback import serving

from langchain_posthog import PostHogToolkit
from langchain_posthog.api.wire import USER_AGENT
from langchain_posthog.pool import PooledTransport

GOAL = 1.15
KEY = "phx_benchmark"
PATH = "/api/projects/2/feature_flags/1234/"
HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "application/json",
    "Accept-Encoding": "gzip",
    "Authorization": f"Bearer {KEY}",
}
WARMUP = 200
COLUMNS = {
    "bare": "bare httpx",
    "bare_pooled": "bare httpx, our async pool",
    "posthog": "PostHogTool",
    "observed": "PostHogTool, observed",
    "structured": "StructuredTool",
    "minimal": "minimal BaseTool",
    "ours_alone": "our code alone (_run)",
}


class _Silent(BaseCallbackHandler):
    """A callback handler that does nothing: its presence alone sends a call through run()."""


class _FlagArgs(BaseModel):
    id: int


class _MinimalTool(BaseTool):
    """The least a LangChain tool can be: its ``_run`` is the HTTP call."""

    name: str = "get_flag"
    description: str = "Get a feature flag."
    args_schema: type[BaseModel] = _FlagArgs
    call: Any = None
    acall: Any = None

    # Unannotated on purpose: LangChain resolves _run's type hints on every call.
    def _run(self, id):  # type: ignore[no-untyped-def]  # "id": the tool's argument
        return self.call(id)

    async def _arun(self, id):  # type: ignore[no-untyped-def]
        return await self.acall(id)


def _toolkit(origin: str) -> PostHogToolkit:
    return PostHogToolkit(personal_api_key=KEY, host=origin, project_id=2, max_retries=0)


def _rounds(calls: int, sides: dict[str, Callable[[], Any]]) -> dict[str, float]:
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


async def _arounds(calls: int, sides: dict[str, Callable[[], Awaitable[Any]]]) -> dict[str, float]:
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
    with httpx.Client() as bare, _toolkit(origin) as toolkit:
        tool = next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")

        def get_flag(id: int) -> Any:  # "id": the tool's argument name
            """Get a feature flag."""
            return bare.get(url, headers=HEADERS).json()

        trivial = StructuredTool.from_function(get_flag, name="get_flag")
        minimal = _MinimalTool(call=get_flag)
        content, _ = tool._run(id=1234)
        observed: Any = {"callbacks": [_Silent()]}
        assert "new-onboarding (id 1234)" in content, content
        return _rounds(
            calls,
            {
                "bare": lambda: get_flag(1234),
                "posthog": lambda: tool.invoke({"id": 1234}),
                "observed": lambda: tool.invoke({"id": 1234}, observed),
                "structured": lambda: trivial.invoke({"id": 1234}),
                "minimal": lambda: minimal.invoke({"id": 1234}),
                "ours_alone": lambda: tool._run(id=1234),
            },
        )


async def measure_async(origin: str, calls: int) -> dict[str, float]:
    url = origin + PATH
    async with (
        httpx.AsyncClient() as bare,
        httpx.AsyncClient(transport=PooledTransport(100)) as pooled,
        _toolkit(origin) as toolkit,
    ):
        tool = next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")

        async def get_flag(id: int) -> Any:  # "id": the tool's argument name
            """Get a feature flag."""
            return (await bare.get(url, headers=HEADERS)).json()

        async def get_flag_pooled() -> Any:
            return (await pooled.get(url, headers=HEADERS)).json()

        trivial = StructuredTool.from_function(coroutine=get_flag, name="get_flag")
        minimal = _MinimalTool(acall=get_flag)
        content, _ = await tool._arun(id=1234)
        observed: Any = {"callbacks": [_Silent()]}
        assert "new-onboarding (id 1234)" in content, content
        return await _arounds(
            calls,
            {
                "bare": lambda: get_flag(1234),
                "bare_pooled": get_flag_pooled,
                "posthog": lambda: tool.ainvoke({"id": 1234}),
                "observed": lambda: tool.ainvoke({"id": 1234}, observed),
                "structured": lambda: trivial.ainvoke({"id": 1234}),
                "minimal": lambda: minimal.ainvoke({"id": 1234}),
                "ours_alone": lambda: tool._arun(id=1234),
            },
        )


def measure(calls: int = 2000) -> dict[str, Any]:
    with serving() as origin:
        sync = measure_sync(origin, calls)
        asynchronous = asyncio.run(measure_async(origin, calls))
    return {"calls": calls, "sync": sync, "async": asynchronous}


def table(result: dict[str, Any]) -> str:
    header = " | ".join(COLUMNS.values())
    lines = [
        f"| median of {result['calls']:,} calls per side | {header} |",
        "| --- |" + " ---: |" * len(COLUMNS),
    ]
    labels = {"sync": "sync (invoke, httpx.Client)", "async": "async (ainvoke, AsyncClient)"}
    for mode, label in labels.items():
        m = result[mode]
        cells = []
        for key in COLUMNS:
            if key not in m:
                cells.append("(httpx's pool)")
                continue
            ratio = f"{m[key] / m['bare']:.2f}"
            cells.append(f"{m[key]:,.0f} µs ({f'**{ratio}**' if key == 'posthog' else ratio})")
        lines.append(f"| {label} | {' | '.join(cells)} |")
    lines += ["", f"Goal: PostHogTool / bare httpx <= {GOAL}."]
    for mode in ("sync", "async"):
        m = result[mode]
        ratio = m["posthog"] / m["bare"]
        lines.append(
            f"- {mode}: {'met' if ratio <= GOAL else 'not met'} ({ratio:.2f}). The tool "
            f"{_change(m['posthog'] - m['bare'])} per call; our code alone (_run) "
            f"{_change(m['ours_alone'] - m['bare'])} ({m['ours_alone'] / m['bare']:.2f}x). "
            f"Observed (callbacks, tracing) it {_change(m['observed'] - m['bare'])} "
            f"({m['observed'] / m['bare']:.2f}x): BaseTool.run costs "
            f"{m['minimal'] - m['bare']:,.0f} µs even for a minimal BaseTool "
            f"({m['minimal'] / m['bare']:.2f}x) and {m['structured'] - m['bare']:,.0f} µs for a "
            f"StructuredTool ({m['structured'] / m['bare']:.2f}x)."
        )
    m = result["async"]
    lines.append(
        f"- async, against httpx over the same pool as the toolkit's: the tool "
        f"{_change(m['posthog'] - m['bare_pooled'])} per call "
        f"({m['posthog'] / m['bare_pooled']:.2f}x), our code alone "
        f"{_change(m['ours_alone'] - m['bare_pooled'])} "
        f"({m['ours_alone'] / m['bare_pooled']:.2f}x)."
    )
    return "\n".join(lines)


def _change(micros: float) -> str:
    """``adds 33 µs`` or, when the side is faster than the bare call, ``saves 79 µs``."""
    return f"adds {micros:,.0f} µs" if micros >= 0 else f"saves {-micros:,.0f} µs"


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print("## Per-call overhead (loopback server, keep-alive)\n")
    print(table(measure(calls)))


if __name__ == "__main__":
    main()
