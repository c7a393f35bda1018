"""Import cost: a fresh process that imports the package and builds every tool, against one
that imports only what any LangChain tool package pulls in.

    ours:     import langchain_posthog; PostHogToolkit(...).get_tools()
    baseline: from langchain_core.tools import BaseTool, StructuredTool, BaseToolkit;
              import httpx, pydantic

A bare ``import langchain_core.tools`` is lazy and costs almost nothing, so it is not the
baseline: importing ``BaseTool`` pulls in LangSmith's tracing, which every tool package pays.
Each side is a whole ``python -c`` process (interpreter start included), timed from the parent.
They run in pairs, one right after the other (which goes first alternates); the ratio is the
median of the pairs' ratios, so that the load on a shared machine, which moves from second to
second, is nearly the same for both processes a ratio compares.

Bytecode: site-packages hold compiled ``.pyc`` files, but our package runs from a source tree
(an editable install) where PYTHONDONTWRITEBYTECODE may forbid writing them, so every start
would compile it again, which no installed user pays. The package is therefore copied to a
temporary directory and compiled there (``compileall``), and the children import that copy
first, as they would an installed wheel. One untimed run per side warms the file cache.

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
GOAL = 1.10
PACKAGE = Path(__file__).resolve().parent.parent / "langchain_posthog"


def _run(code: str, env: dict[str, str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, check=True)
    return time.perf_counter() - started


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
        _run(BASELINE, env, site)
        ours, base = [], []
        for i in range(runs):
            # Alternate which side goes first, so drift in the machine's load hits both.
            if i % 2:
                ours.append(_run(OURS, env, site))
                base.append(_run(BASELINE, env, site))
            else:
                base.append(_run(BASELINE, env, site))
                ours.append(_run(OURS, env, site))
    return {
        "runs": runs,
        "ours": statistics.median(ours),
        "baseline": statistics.median(base),
        "ratio": statistics.median(o / b for o, b in zip(ours, base, strict=True)),
    }


def ratio(result: dict[str, Any]) -> float:
    """The median over the pairs of our process's time against the baseline's."""
    return float(result["ratio"])


def table(result: dict[str, Any]) -> str:
    ours, base, ratio = result["ours"], result["baseline"], result["ratio"]
    return "\n".join(
        [
            f"| process (medians of {result['runs']} pairs) | seconds | ratio |",
            "| --- | ---: | ---: |",
            f"| baseline: import BaseTool, StructuredTool, BaseToolkit, httpx, pydantic "
            f"| {base:.3f} | 1.00 |",
            f"| import langchain_posthog + PostHogToolkit(...).get_tools() | {ours:.3f} "
            f"| **{ratio:.2f}** (goal <= {GOAL}: {'met' if ratio <= GOAL else 'not met'}) |",
            f"| what the package adds | {ours - base:+.3f} | |",
        ]
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print("## Import time (fresh process)\n")
    print(table(measure(runs)))


if __name__ == "__main__":
    main()
