"""Overlap: many concurrent ``ainvoke`` calls against a server that takes 50 ms to answer.

The loopback server (benchmarks/loopback.py, its own process) answers every request after
50 ms. One call's latency is measured with 10 sequential calls on a warm client; then N calls
start at once with ``asyncio.gather`` and the wall time until the last returns is compared with
it. Calls that overlap finish in little more than one latency; calls serialised somewhere (a
lock, a sync client in a thread, a small pool) take up to N of them. Each size makes two
bursts: the first opens connections, the second finds them open (kept alive).

A burst is CPU-bound, so the machine's load moves it: each size is measured in 5 rounds, each
with fresh clients, and the table gives medians (of the 50 single calls, and of each burst
over the rounds). A full garbage collection runs before each measurement, so that one owed by
the setup (the toolkit, LangChain's imports) does not land in whichever burst comes next; the
collections a burst causes itself still count.

The same bursts are made with a bare ``httpx.AsyncClient`` with the same connection limits: what
a caller gets from httpx's own pool, against the tool over the toolkit's pool (pool.py).

    python benchmarks/overlap.py [N ...]      # default: 10 25 50 100
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loopback import serving

from langchain_posthog import PostHogToolkit

DELAY = 0.05
GOAL = 3.0
ROUNDS = 5
PATH = "/api/projects/2/feature_flags/1234/"


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


async def _measure(origin: str, sizes: list[int], rounds: int) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        ours, theirs = [], []
        for _ in range(rounds):
            # Fresh clients every round, so each first burst starts from one warm connection.
            async with PostHogToolkit(
                personal_api_key="phx_benchmark", host=origin, project_id=2, max_retries=0
            ) as toolkit:
                tool = next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")
                content = await tool.ainvoke({"id": 1234})
                assert "new-onboarding (id 1234)" in content, content
                limits = toolkit.client._limits
                ours.append(await _burst(lambda t=tool: t.ainvoke({"id": 1234}), n))
            async with httpx.AsyncClient(limits=limits) as bare:
                theirs.append(await _burst(lambda c=bare: c.get(origin + PATH), n))
        rows.append({"n": n, "ours": _medians(ours), "bare": _medians(theirs), "limits": limits})
    return rows


def measure(sizes: list[int] | None = None, rounds: int = ROUNDS) -> list[dict[str, Any]]:
    with serving(DELAY) as origin:
        return asyncio.run(_measure(origin, sizes or [10, 25, 50, 100], rounds))


def _cells(side: dict[str, Any]) -> str:
    single, (first, second) = side["single"], side["walls"]
    return (
        f"{single * 1000:.0f} ms | {first * 1000:.0f} ms ({first / single:.2f}x) | "
        f"{second * 1000:.0f} ms ({second / single:.2f}x)"
    )


def _slower(side: dict[str, Any]) -> tuple[float, float]:
    """The slower burst's wall time over one call, and the CPU seconds it used."""
    worst = max(range(2), key=side["walls"].__getitem__)
    return side["walls"][worst] / side["single"], side["cpus"][worst]


def table(rows: list[dict[str, Any]]) -> str:
    limits = rows[0]["limits"]
    lines = [
        f"| calls at once (server answers after {DELAY * 1000:.0f} ms) | PostHogTool.ainvoke: "
        "one call | first burst | second burst | bare httpx.AsyncClient, same limits: one call "
        "| first burst | second burst |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['n']} | {_cells(r['ours'])} | {_cells(r['bare'])} |")
    last = rows[-1]
    ratio, cpu = _slower(last["ours"])
    bare_ratio, bare_cpu = _slower(last["bare"])
    budget = GOAL * last["ours"]["single"]
    lines += [
        "",
        f"Goal: {last['n']} concurrent calls within {GOAL:.0f}x one call (the slower burst): "
        f"{'met' if ratio <= GOAL else 'not met'} ({ratio:.2f}x; bare httpx {bare_ratio:.2f}x). "
        f"That burst used {cpu * 1000:.0f} ms of CPU in the calling process (bare httpx: "
        f"{bare_cpu * 1000:.0f} ms), against {budget * 1000:.0f} ms for the whole burst at "
        f"{GOAL:.0f}x. Both clients allow {limits.max_connections} connections; PostHogTool's "
        "async client runs them on its own pool (langchain_posthog/pool.py), the bare client on "
        f"httpcore's, which keeps {limits.max_keepalive_connections} of them alive.",
    ]
    return "\n".join(lines)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or None
    print("## Overlap (concurrent ainvoke)\n")
    print(table(measure(sizes)))


if __name__ == "__main__":
    main()
