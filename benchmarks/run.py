"""Every benchmark, one after another, printed as the README's "Performance" section.

    python benchmarks/run.py [--calls N] [--imports N] [--repeat N]

Sections (each module's docstring says how it measures and against what):

1. tool_tokens: o200k tokens of every tool definition as a model receives it.
2. result_tokens: o200k tokens of each tool's content against PostHog's raw JSON.
3. overhead: per-call time of ``invoke``/``ainvoke`` against a minimal ``StructuredTool`` that
   makes the same request with the same client and returns the same text.
4. overlap: 10 and 100 concurrent ``ainvoke`` calls against a server that answers after 50 ms.
5. import_time: a fresh process importing the package and building its tools.

Every ratio is measured within one run, each side against its baseline on the same machine at
the same time; absolute times depend on the machine and its load. ``--repeat N`` runs the timed
benchmarks (3 to 5) N times: the tables are the last run's, and the goals table adds each
ratio's range over the N runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import import_time
import overhead
import overlap
import result_tokens
import tool_tokens


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, "
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}"
    )


def load() -> str:
    """The 1-minute load average: how many processes wanted a CPU."""
    return f"{os.getloadavg()[0]:.1f}"


def timed(calls: int, imports: int) -> dict[str, Any]:
    """One run of the timed benchmarks."""
    return {
        "overhead": overhead.measure(calls),
        "overlap": overlap.measure(),
        "import": import_time.measure(imports),
    }


def _verdict(ratio: float, goal: float | None) -> str:
    if goal is None:
        return "none (reported)"
    return f"<= {goal}: {'met' if ratio <= goal else 'not met'}"


def goals(tokens: list[dict[str, Any]], results: list[dict[str, Any]], runs: list[Any]) -> str:
    """The goals table: one row per goal, from the last run, with the spread over all runs."""
    spread = len(runs) > 1
    header = "| what | ours | baseline | ratio | goal |"
    rule = "| --- | ---: | ---: | ---: | --- |"
    if spread:
        header += f" ratio over {len(runs)} runs |"
        rule += " ---: |"
    lines = [header, rule]

    def row(
        what: str, ours: str, base: str, ratio: str, goal: str, of: Callable[..., float]
    ) -> None:
        line = f"| {what} | {ours} | {base} | {ratio} | {goal} |"
        if spread:
            values = [of(run) for run in runs]
            line += f" {min(values):.2f} to {max(values):.2f} |"
        lines.append(line)

    def static(what: str, ours: str, base: str, ratio: str, goal: str) -> None:
        lines.append(f"| {what} | {ours} | {base} | {ratio} | {goal} |" + (" |" if spread else ""))

    catalogue = tool_tokens.catalogue(tokens)
    total = sum(r["tokens"] for r in catalogue)
    base = tool_tokens.CATALOGUE_BASELINE
    static(
        f"tool definitions, the {len(catalogue)} tools covering the old catalogue "
        "(o200k tokens, project bound)",
        f"{total:,}",
        f"{base:,} (old catalogue, untyped)",
        f"{total / base:.2f}",
        f"<= {tool_tokens.CATALOGUE_GOAL:,}: "
        f"{'met' if total <= tool_tokens.CATALOGUE_GOAL else 'not met'}",
    )
    insight = tool_tokens.insight_tokens(tokens)
    if insight is not None:
        static(
            "`posthog_create_insight` definition (o200k tokens)",
            f"{insight:,}",
            "",
            "",
            f"<= {tool_tokens.INSIGHT_GOAL:,}: "
            f"{'met' if insight <= tool_tokens.INSIGHT_GOAL else 'not met'}",
        )
    median, count = result_tokens.median_ratio(results)
    static(
        f"tool result content against PostHog's raw JSON (median over {count} tools)",
        "",
        "",
        f"{median:.2f}",
        _verdict(median, result_tokens.GOAL),
    )

    last = runs[-1]
    calls = last["overhead"]["calls"]
    for mode, label in (
        ("sync", "sync: `tool.invoke`"),
        ("httpx", "async, httpx transport: `tool.ainvoke`"),
        ("aiohttp", "async, aiohttp transport: `tool.ainvoke`"),
    ):
        m = last["overhead"][mode]
        ratio = overhead.ratio(last["overhead"], mode)
        row(
            f"per call, {label} against a minimal `StructuredTool` (same request, client and "
            f"text; median of {calls:,})",
            f"{m['posthog']:,.0f} µs",
            f"{m['structured']:,.0f} µs",
            f"**{ratio:.2f}**",
            _verdict(ratio, overhead.GOAL),
            lambda run, mode=mode: overhead.ratio(run["overhead"], mode),
        )

    def burst(run: dict[str, Any], n: int, transport: str) -> float:
        side = next(r for r in run["overlap"] if r["n"] == n)["sides"][transport, "posthog"]
        return overlap.slower(side)[0]

    for n, transport in ((10, "httpx"), (10, "aiohttp"), (100, "aiohttp"), (100, "httpx")):
        side = next(r for r in last["overlap"] if r["n"] == n)["sides"][transport, "posthog"]
        ratio = burst(last, n, transport)
        row(
            f"{n} concurrent `ainvoke`, {transport} transport: slower of two bursts against one "
            f"call (server answers after {overlap.DELAY * 1000:.0f} ms; medians of "
            f"{overlap.ROUNDS} rounds)",
            f"{max(side['walls']) * 1000:.0f} ms",
            f"{side['single'] * 1000:.0f} ms",
            f"**{ratio:.2f}**",
            _verdict(ratio, overlap.GOALS[n][transport]),
            lambda run, n=n, transport=transport: burst(run, n, transport),
        )

    imports = last["import"]
    row(
        "fresh process: import and `get_tools()`, against importing `BaseTool`, "
        f"`StructuredTool`, `BaseToolkit`, httpx and pydantic ({imports['runs']} rounds side "
        "by side: each side's median, and the median of the rounds' ratios)",
        f"{imports['ours']:.3f} s",
        f"{imports['baseline']:.3f} s",
        f"**{import_time.ratio(imports):.2f}**",
        _verdict(import_time.ratio(imports), import_time.GOAL),
        lambda run: import_time.ratio(run["import"]),
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per side (overhead)")
    parser.add_argument("--imports", type=int, default=20, help="processes per side (import)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the timed benchmarks")
    options = parser.parse_args()
    command = "python benchmarks/run.py" + "".join(f" {arg}" for arg in sys.argv[1:])
    loads = [load()]
    tokens = tool_tokens.measure()
    results = result_tokens.measure()
    runs = []
    for _ in range(options.repeat):
        runs.append(timed(options.calls, options.imports))
        loads.append(load())
    last = runs[-1]
    print("## Performance\n")
    print(
        f"Measured with `{command}` on {machine()}; 1-minute load average "
        f"{' -> '.join(loads)} over the run.\n"
    )
    print(goals(tokens, results, runs), end="\n\n")
    print("### Per-call overhead (loopback server, keep-alive)\n")
    print(overhead.table(last["overhead"]), end="\n\n")
    print("### Overlap (concurrent ainvoke)\n")
    print(overlap.table(last["overlap"]), end="\n\n")
    print("### Import time (fresh process)\n")
    print(import_time.table(last["import"]), end="\n\n")
    print("### Tool-definition tokens (o200k, convert_to_openai_tool, project bound)\n")
    print(tool_tokens.table(tokens), end="\n\n")
    print("### Result tokens (o200k; content against PostHog's raw JSON, from the cassettes)\n")
    print(result_tokens.table(results))


if __name__ == "__main__":
    main()
