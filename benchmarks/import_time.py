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
many pydantic models as ours cost. After the timed runs, one more untimed run of each side counts
the full (oldest-generation) garbage collections its process made: a collection of the whole heap
runs once enough new objects outlive the young generations, so a package that allocates more
than a threshold after langchain-core's import pays for one, whoever allocated the heap.

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
# Appended to a side's code in its untimed counting run.
COUNT_COLLECTIONS = "\nimport gc, sys\nsys.stdout.write(str(gc.get_stats()[2]['collections']))"
SIDES = {"baseline": BASELINE, "minimal": MINIMAL, "ours": OURS}
GOAL = 1.10
PACKAGE = Path(__file__).resolve().parent.parent / "langchain_posthog"


def _run(code: str, env: dict[str, str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, check=True)
    return time.perf_counter() - started


def _full_collections(code: str, env: dict[str, str], cwd: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", code + COUNT_COLLECTIONS],
        env=env,
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


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
        collections = {side: _full_collections(code, env, site) for side, code in SIDES.items()}
    base = times["baseline"]
    return {
        "runs": runs,
        "ours": statistics.median(times["ours"]),
        "baseline": statistics.median(base),
        "minimal": statistics.median(times["minimal"]),
        "ratio": _ratio(times["ours"], base),
        "minimal_ratio": _ratio(times["minimal"], base),
        "collections": collections,
    }


def _ratio(side: list[float], base: list[float]) -> float:
    """The median of a side's ratios to the baseline run beside it."""
    return statistics.median(o / b for o, b in zip(side, base, strict=True))


def ratio(result: dict[str, Any]) -> float:
    """The median over the rounds of our process's time against the baseline's."""
    return float(result["ratio"])


def table(result: dict[str, Any]) -> str:
    ours, base, ratio = result["ours"], result["baseline"], result["ratio"]
    full = result["collections"]
    return "\n".join(
        [
            f"| process (medians of {result['runs']} runs of each, side by side) | seconds "
            "| ratio | full garbage collections |",
            "| --- | ---: | ---: | ---: |",
            f"| baseline: import BaseTool, StructuredTool, BaseToolkit, httpx, pydantic "
            f"| {base:.3f} | 1.00 | {full['baseline']} |",
            f"| reference: 44 minimal StructuredTools over 78 deferred models of 7 optional "
            f"fields | {result['minimal']:.3f} | {result['minimal_ratio']:.2f} (no goal) "
            f"| {full['minimal']} |",
            f"| import langchain_posthog + PostHogToolkit(...).get_tools() | {ours:.3f} "
            f"| **{ratio:.2f}** (goal <= {GOAL}: {'met' if ratio <= GOAL else 'not met'}) "
            f"| {full['ours']} |",
            f"| what the package adds | {ours - base:+.3f} | | |",
        ]
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print("## Import time (fresh process)\n")
    print(table(measure(runs)))


if __name__ == "__main__":
    main()
