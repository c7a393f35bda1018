"""Overlap: many concurrent ``ainvoke`` calls against a server that takes 50 ms to answer.

The loopback server (benchmarks/loopback.py, its own process) answers every request after
50 ms. One call's latency is the median of 10 sequential calls on a warm client; then N calls
start at once with ``asyncio.gather`` and the wall time until the last returns is compared with
it. Calls that overlap finish in little more than one latency; calls serialised somewhere (a
lock, a sync client in a thread, a small pool) take up to N of them.

The same burst is made with a bare ``httpx.AsyncClient`` configured with the pool limits our
client uses, so the table separates what httpx's connection pool costs from what the tool adds.

    python benchmarks/overlap.py [N ...]      # default: 10 25 50 100
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loopback import serving

from langchain_posthog import PostHogToolkit

DELAY = 0.05
GOAL = 3.0
PATH = "/api/projects/2/feature_flags/1234/"


async def _burst(call: Callable[[], Awaitable[Any]], n: int) -> tuple[float, float]:
    single = []
    for _ in range(10):
        started = time.perf_counter()
        await call()
        single.append(time.perf_counter() - started)
    started = time.perf_counter()
    await asyncio.gather(*(call() for _ in range(n)))
    return statistics.median(single), time.perf_counter() - started


async def _measure(origin: str, sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        # Fresh clients for every size, so each burst starts from one warm connection.
        async with PostHogToolkit(
            personal_api_key="phx_benchmark", host=origin, project_id=2, max_retries=0
        ) as toolkit:
            tool = next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")
            content = await tool.ainvoke({"id": 1234})
            assert "new-onboarding (id 1234)" in content, content
            limits = toolkit.client._limits
            single, wall = await _burst(lambda t=tool: t.ainvoke({"id": 1234}), n)
        async with httpx.AsyncClient(limits=limits) as bare:
            bare_single, bare_wall = await _burst(lambda c=bare: c.get(origin + PATH), n)
        rows.append(
            {
                "n": n,
                "single": single,
                "wall": wall,
                "bare_single": bare_single,
                "bare_wall": bare_wall,
                "limits": limits,
            }
        )
    return rows


def measure(sizes: list[int] | None = None) -> list[dict[str, Any]]:
    with serving(DELAY) as origin:
        return asyncio.run(_measure(origin, sizes or [10, 25, 50, 100]))


def table(rows: list[dict[str, Any]]) -> str:
    limits = rows[0]["limits"]
    lines = [
        f"| concurrent calls (server answers after {DELAY * 1000:.0f} ms) | PostHogTool.ainvoke "
        "| x one call | bare httpx.AsyncClient, same pool limits | x one call |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| 1 (median of 10, warm) / {r['n']} at once | {r['single'] * 1000:.0f} / "
            f"{r['wall'] * 1000:.0f} ms | **{r['wall'] / r['single']:.2f}** | "
            f"{r['bare_single'] * 1000:.0f} / {r['bare_wall'] * 1000:.0f} ms | "
            f"{r['bare_wall'] / r['bare_single']:.2f} |"
        )
    last = rows[-1]
    ratio = last["wall"] / last["single"]
    lines += [
        "",
        f"Goal: {last['n']} concurrent calls within {GOAL:.0f}x one call: "
        f"{'met' if ratio <= GOAL else 'not met'} ({ratio:.2f}x; bare httpx "
        f"{last['bare_wall'] / last['bare_single']:.2f}x). Pool limits: "
        f"max_connections={limits.max_connections}, "
        f"max_keepalive_connections={limits.max_keepalive_connections}.",
    ]
    return "\n".join(lines)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or None
    print("## Overlap (concurrent ainvoke)\n")
    print(table(measure(sizes)))


if __name__ == "__main__":
    main()
