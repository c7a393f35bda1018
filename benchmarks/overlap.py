"""Overlap: many concurrent ``ainvoke`` calls against a server that takes 50 ms to answer.

The loopback server (benchmarks/loopback.py, its own process) answers every request after
50 ms. One call's latency is measured with 10 sequential calls on a warm toolkit; then N calls
start at once with ``asyncio.gather`` and the wall time until the last returns is compared with
it. Calls that overlap finish in little more than one latency; calls serialised somewhere (a
lock, a sync client in a thread, a small pool) take up to N of them. Each size makes two
bursts: the first opens connections, the second finds those the pool kept alive.

Every size runs once per async transport: httpx's own (the default) and aiohttp's
(``PostHogToolkit(transport="aiohttp")``), and on each, three sides make the same calls through
the toolkit's own async client (as in benchmarks/overhead.py):

- PostHogTool: ``tool.ainvoke({"id": 1234})``;
- StructuredTool: a minimal ``StructuredTool`` that sends the same request with the same client
  and returns the same content and artifact;
- bare call: that tool's function alone, without LangChain.

Each side's bursts are held against its own single call. A burst is CPU-bound, so the
machine's load moves it: each size is measured in 5 rounds, each side with a fresh toolkit in
every round (so each first burst starts from one warm connection), in an order that rotates
from round to round; the table gives medians (of the 50 single calls, and of each burst over
the rounds). A full garbage collection runs before each measurement, so that one owed by the
setup does not land in whichever burst comes next; the collections a burst causes itself still
count.

    python benchmarks/overlap.py [N ...]      # default: 10 100
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

from langchain_core.tools import StructuredTool

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loopback import serving
from overhead import HEADERS, PATH, toolkit_for

DELAY = 0.05
# Goals: the slower burst of N calls against one call, per transport (None: reported only).
GOALS: dict[int, dict[str, float | None]] = {
    10: {"httpx": 1.3, "aiohttp": 1.3},
    100: {"httpx": None, "aiohttp": 2.5},
}
TRANSPORTS = ("httpx", "aiohttp")
SIDES = ("posthog", "structured", "bare")
ROUNDS = 5


async def _burst(call: Callable[[], Awaitable[Any]], n: int) -> dict[str, Any]:
    """One call's latencies, then the wall and CPU time of a first and a second burst of ``n``."""
    single = []
    gc.collect()
    for _ in range(10):
        started = time.perf_counter()
        await call()
        single.append(time.perf_counter() - started)
    walls, cpus = [], []
    for _ in range(2):
        gc.collect()  # see the module's docstring
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(call() for _ in range(n)))
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return {"single": single, "walls": walls, "cpus": cpus}


def _medians(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One call's median latency, and each burst's median wall and CPU time, over the rounds."""
    return {
        "single": statistics.median(t for r in rounds for t in r["single"]),
        "walls": [statistics.median(r["walls"][i] for r in rounds) for i in range(2)],
        "cpus": [statistics.median(r["cpus"][i] for r in rounds) for i in range(2)],
    }


async def _round(origin: str, transport: str, side: str, n: int) -> dict[str, Any]:
    async with toolkit_for(origin, transport) as toolkit:
        tool = next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")
        content, _ = await tool._arun(id=1234)
        assert '"new-onboarding" (id 1234)' in content, content
        http = await toolkit.client._async_client()

        async def get_flag(id: int) -> tuple[str, Any]:  # "id": the tool's argument name
            """Get a feature flag."""
            return content, (await http.get(origin + PATH, headers=HEADERS)).json()

        baseline = StructuredTool.from_function(
            coroutine=get_flag, name="get_flag", response_format="content_and_artifact"
        )
        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "posthog": lambda: tool.ainvoke({"id": 1234}),
            "structured": lambda: baseline.ainvoke({"id": 1234}),
            "bare": lambda: get_flag(1234),
        }
        return await _burst(calls[side], n)


async def _measure(origin: str, sizes: list[int], rounds: int) -> list[dict[str, Any]]:
    pairs = [(t, side) for t in TRANSPORTS for side in SIDES]
    rows = []
    for n in sizes:
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {pair: [] for pair in pairs}
        for i in range(rounds):
            # Rotate the order, so drift in the machine's load hits every side alike.
            shift = i % len(pairs)
            for transport, side in pairs[shift:] + pairs[:shift]:
                runs[transport, side].append(await _round(origin, transport, side, n))
        rows.append({"n": n, "sides": {pair: _medians(runs[pair]) for pair in pairs}})
    return rows


def measure(sizes: list[int] | None = None, rounds: int = ROUNDS) -> list[dict[str, Any]]:
    with serving(DELAY) as origin:
        return asyncio.run(_measure(origin, sizes or sorted(GOALS), rounds))


def slower(side: dict[str, Any]) -> tuple[float, float]:
    """The slower burst's wall time over one call, and the CPU seconds it used."""
    worst = max(range(2), key=side["walls"].__getitem__)
    return side["walls"][worst] / side["single"], side["cpus"][worst]


def _cells(side: dict[str, Any], goal: float | None) -> str:
    single, (first, second) = side["single"], side["walls"]
    ratio, cpu = slower(side)
    verdict = "no goal" if goal is None else f"<= {goal}: {'met' if ratio <= goal else 'not met'}"
    return (
        f"{single * 1000:.0f} ms | {first * 1000:.0f} ms | {second * 1000:.0f} ms | "
        f"{cpu * 1000:.0f} ms | **{ratio:.2f}** ({verdict})"
    )


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"| calls at once (answer after {DELAY * 1000:.0f} ms), transport | one call "
        "| first burst | second burst | CPU of the slower | PostHogTool: slower burst / one call "
        "| StructuredTool | bare call |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        for transport in TRANSPORTS:
            goal = GOALS.get(r["n"], {}).get(transport)
            references = " | ".join(
                f"{slower(r['sides'][transport, side])[0]:.2f}" for side in ("structured", "bare")
            )
            lines.append(
                f"| {r['n']}, {transport} | {_cells(r['sides'][transport, 'posthog'], goal)} "
                f"| {references} |"
            )
    return "\n".join(lines)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or None
    print("## Overlap (concurrent ainvoke)\n")
    print(table(measure(sizes)))


if __name__ == "__main__":
    main()
