"""Import cost: a fresh process that imports the package and builds every tool, against one
that imports only what any LangChain tool package pulls in.

    ours:     import langchain_posthog; PostHogToolkit(...).get_tools()
    baseline: from langchain_core.tools import BaseTool, StructuredTool, BaseToolkit;
              import httpx, pydantic

A bare ``import langchain_core.tools`` is lazy and costs almost nothing, so it is not the
baseline: importing ``BaseTool`` pulls in LangSmith's tracing, which every tool package pays.
Each side is a whole ``python -c`` process (interpreter start included), timed from the parent.
They run in rounds, one right after the other (which goes first rotates); a ratio is the median
over the rounds of a side's time against the baseline's in the same round, so that the load on a
shared machine, which moves from second to second, is nearly the same for the processes a ratio
compares.

Bytecode: site-packages hold compiled ``.pyc`` files, but our package runs from a source tree
(an editable install) where PYTHONDONTWRITEBYTECODE may forbid writing them, so every start
would compile it again, which no installed user pays. The package is therefore copied to a
temporary directory and compiled there (``compileall``), and the children import that copy
first, as they would an installed wheel. One untimed run per side warms the file cache.

A third process is a reference with no goal: 44 minimal ``StructuredTool`` objects over 78
argument models of 7 optional fields each (deferred, as ours are), the least 44 tools with as
many pydantic models as ours cost.

After the timed runs, one more untimed run of each side counts the full (oldest-generation)
garbage collections its process made, and the objects the collector counted as allocated after
the baseline's imports (allocations less frees, summed over the young collections). A collection
of the whole heap is owed once enough objects have moved to the oldest generation since the last
one; the baseline's imports leave it owed already, so it runs at the next collection of the
middle generation that reaches it, after a fixed number of further allocations. A last run
measures that number (the headroom) by allocating empty lists after the baseline's imports until
the collection starts: a side that allocates more pays for one full collection of the heap that
langchain-core and its dependencies built, whatever it does with its objects.

A fourth process, also without a goal, is ours with that collection held off (the oldest
generation's threshold raised before anything is imported): the package's own work alone, to
tell it from the collection it triggers. The baseline it is held against keeps its collection.

    python benchmarks/import_time.py [RUNS]
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OURS = (
    "import langchain_posthog\n"
    "tools = langchain_posthog.PostHogToolkit(personal_api_key='phx_benchmark', project_id=2,"
    " include_destructive=True).get_tools()\n"
    "assert tools"
)
BASELINE = (
    "from langchain_core.tools import BaseTool, StructuredTool, BaseToolkit\n"
    "import httpx\n"
    "import pydantic"
)
MINIMAL = BASELINE + (
    "\nfrom pydantic import ConfigDict, Field, create_model\n"
    "deferred = ConfigDict(defer_build=True)\n"
    "models = [create_model(f'Args{i}', __config__=deferred, **{f'field_{j}': "
    "(int | None, Field(default=None, description='An optional number.')) for j in range(7)})"
    " for i in range(78)]\n"
    "tools = [StructuredTool.from_function(func=lambda **kwargs: '', name=f'tool_{i}', "
    "description='A tool.', args_schema=models[i]) for i in range(44)]"
)
# A side's untimed counting run: the baseline's imports, then a callback that sums the young
# generation's count (allocations less frees) at every collection, then the side's code.
COUNTING = (
    BASELINE + "\nimport gc, sys\n"
    "allocated = [-gc.get_count()[0]]\n"
    "full_started = []\n"
    "def counting(phase, info):\n"
    "    if phase == 'start':\n"
    "        allocated[0] += gc.get_count()[0]\n"
    "        if info['generation'] == 2:\n"
    "            full_started.append(allocated[0])\n"
    "gc.callbacks.append(counting)\n"
    "{code}\n"
    "gc.callbacks.remove(counting)\n"
    "full = gc.get_stats()[2]['collections']\n"
    "sys.stdout.write(f'{{full}} {{allocated[0] + gc.get_count()[0]}}')"
)
# After the baseline's imports: empty lists until a full collection starts.
HEADROOM = "hold = []\nwhile not full_started:\n    hold.append([])"
# Ours, with no full collection: the oldest generation's threshold raised out of reach first.
HOLD_OFF = "import gc\ngc.set_threshold(700, 10, 1_000_000)\n"
OURS_NO_FULL = HOLD_OFF + OURS
SIDES = {"baseline": BASELINE, "minimal": MINIMAL, "ours": OURS, "ours_no_full": OURS_NO_FULL}
GOAL = 1.10
PACKAGE = Path(__file__).resolve().parent.parent / "langchain_posthog"


def _run(code: str, env: dict[str, str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, check=True)
    return time.perf_counter() - started


def _counting(code: str) -> str:
    """The counting run of a side; a threshold the side sets goes before the baseline's imports."""
    if code.startswith(HOLD_OFF):
        return HOLD_OFF + COUNTING.format(code=code.removeprefix(HOLD_OFF))
    return COUNTING.format(code=code)


def _count(code: str, env: dict[str, str], cwd: str) -> tuple[int, int]:
    """Full collections the process made, and objects allocated after the baseline's imports."""
    done = subprocess.run(
        [sys.executable, "-c", _counting(code)],
        env=env,
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    collections, allocated = done.stdout.split()
    return int(collections), int(allocated)


def measure(runs: int = 10) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as site:
        shutil.copytree(
            PACKAGE, Path(site) / PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__")
        )
        compileall.compile_dir(site, quiet=1)
        env = {k: v for k, v in os.environ.items() if not k.startswith("POSTHOG_")}
        env["PYTHONPATH"] = site
        # From the copy's directory: "python -c" puts the working directory first on sys.path.
        _run(OURS + f"\nassert langchain_posthog.__file__.startswith({site!r})", env, site)
        _run(MINIMAL, env, site)
        times: dict[str, list[float]] = {side: [] for side in SIDES}
        order = list(SIDES)
        for i in range(runs):
            # Rotate which side goes first, so drift in the machine's load hits every side.
            for side in order[i % len(order) :] + order[: i % len(order)]:
                times[side].append(_run(SIDES[side], env, site))
        counts = {side: _count(code, env, site) for side, code in SIDES.items()}
        headroom = _count(HEADROOM, env, site)[1]
    base = times["baseline"]
    return {
        "runs": runs,
        "ours": statistics.median(times["ours"]),
        "baseline": statistics.median(base),
        "minimal": statistics.median(times["minimal"]),
        "ratio": _ratio(times["ours"], base),
        "minimal_ratio": _ratio(times["minimal"], base),
        "ours_no_full": statistics.median(times["ours_no_full"]),
        "ours_no_full_ratio": _ratio(times["ours_no_full"], base),
        "collections": {side: full for side, (full, _) in counts.items()},
        "allocated": {side: allocated for side, (_, allocated) in counts.items()},
        "headroom": headroom,
    }


def _ratio(side: list[float], base: list[float]) -> float:
    """The median of a side's ratios to the baseline run beside it."""
    return statistics.median(o / b for o, b in zip(side, base, strict=True))


def ratio(result: dict[str, Any]) -> float:
    """The median over the rounds of our process's time against the baseline's."""
    return float(result["ratio"])


def table(result: dict[str, Any]) -> str:
    ours, base, ratio = result["ours"], result["baseline"], result["ratio"]
    full, allocated = result["collections"], result["allocated"]
    return "\n".join(
        [
            f"| process (medians of {result['runs']} runs of each, side by side) | seconds "
            "| ratio | full garbage collections | objects allocated after the baseline's |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| baseline: import BaseTool, StructuredTool, BaseToolkit, httpx, pydantic "
            f"| {base:.3f} | 1.00 | {full['baseline']} | 0 |",
            f"| reference: 44 minimal StructuredTools over 78 deferred models of 7 optional "
            f"fields | {result['minimal']:.3f} | {result['minimal_ratio']:.2f} (no goal) "
            f"| {full['minimal']} | {allocated['minimal']:,} |",
            f"| import langchain_posthog + PostHogToolkit(...).get_tools() | {ours:.3f} "
            f"| **{ratio:.2f}** (goal <= {GOAL}: {'met' if ratio <= GOAL else 'not met'}) "
            f"| {full['ours']} | {allocated['ours']:,} |",
            f"| the same, with the full collections held off | {result['ours_no_full']:.3f} "
            f"| {result['ours_no_full_ratio']:.2f} (no goal) | {full['ours_no_full']} "
            f"| {allocated['ours_no_full']:,} |",
            f"| what the package adds | {ours - base:+.3f} | | | |",
            "",
            f"After the baseline's imports, a full collection of the heap starts once "
            f"{result['headroom']:,} more objects have been allocated (less those freed).",
        ]
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print("## Import time (fresh process)\n")
    print(table(measure(runs)))


if __name__ == "__main__":
    main()
