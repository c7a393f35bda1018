"""Every benchmark, one after another, printed as the README's "Performance" section.

    python benchmarks/run.py [--calls N] [--imports N]

Sections (each module's docstring says how it measures and against what):

1. tool_tokens: o200k tokens of every tool definition as a model receives it.
2. result_tokens: o200k tokens of each tool's content against PostHog's raw JSON.
3. overhead: per-call time of ``invoke``/``ainvoke`` against a bare httpx request.
4. overlap: 100 concurrent ``ainvoke`` calls against a server that answers after 50 ms.
5. import_time: a fresh process importing the package and building its tools.

Ratios are measured within one run, each side against its baseline on the same machine at the
same time; absolute times depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per side (overhead)")
    parser.add_argument("--imports", type=int, default=10, help="processes per side (import)")
    options = parser.parse_args()
    command = "python benchmarks/run.py" + "".join(f" {arg}" for arg in sys.argv[1:])
    print("## Performance\n")
    print(f"Measured with `{command}` on {machine()}.\n")
    print("### Tool-definition tokens (o200k, convert_to_openai_tool, project bound)\n")
    print(tool_tokens.table(tool_tokens.measure()), end="\n\n")
    print("### Result tokens (o200k; content against PostHog's raw JSON, from the cassettes)\n")
    print(result_tokens.table(result_tokens.measure()), end="\n\n")
    print("### Per-call overhead (loopback server, keep-alive)\n")
    print(overhead.table(overhead.measure(options.calls)), end="\n\n")
    print("### Overlap (concurrent ainvoke)\n")
    print(overlap.table(overlap.measure()), end="\n\n")
    print("### Import time (fresh process)\n")
    print(import_time.table(import_time.measure(options.imports)))


if __name__ == "__main__":
    main()
