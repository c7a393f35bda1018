"""Tokens of every tool definition, as a model receives it, counted with o200k.

Each tool is converted with langchain_core's convert_to_openai_tool (what bind_tools sends) for a
toolkit bound to a project, serialised with json.dumps, and counted with the o200k_base encoding
of bpe-openai, which ships its vocabulary and needs no network.

    python benchmarks/tool_tokens.py            # table
    python benchmarks/tool_tokens.py NAME       # also print NAME's schema
"""

from __future__ import annotations

import json
import sys
from typing import Any

import bpe_openai
from langchain_core.utils.function_calling import convert_to_openai_tool

from langchain_posthog import PostHogToolkit

# The old catalogue's 25 PostHog tools, as measured in the same format (every object parameter
# a bare string): the baseline the typed tools are held against.
CATALOGUE_BASELINE = 6856
CATALOGUE_ACTIONS = 25
# Compatibility with the catalogue's own arguments adds nothing to what a model reads; typed
# capabilities (experiment variants on update) may add up to this.
CATALOGUE_GOAL = 6500
INSIGHT_GOAL = 1500
# Each tool past the catalogue (no catalogue action) costs at most this.
TOOL_GOAL = 400


def measure() -> list[dict[str, Any]]:
    encoding = bpe_openai.get_encoding("o200k_base")
    toolkit = PostHogToolkit(
        personal_api_key="phx_benchmark",
        project_api_key="phc_benchmark",
        project_id=2,
        include_destructive=True,
    )
    rows = []
    for tool in toolkit.get_tools():
        text = json.dumps(convert_to_openai_tool(tool))
        rows.append(
            {
                "tool": tool.name,
                "catalogue": tool.metadata.get("catalogue_action") if tool.metadata else None,
                "tokens": len(encoding.encode(text)),
                "schema": text,
            }
        )
    return rows


def catalogue(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the tools that cover the old catalogue's actions."""
    return [r for r in rows if r["catalogue"] and r["catalogue"] != "POSTHOG_LIST_PROJECTS"]


def insight_tokens(rows: list[dict[str, Any]]) -> int | None:
    """Tokens of ``posthog_create_insight``'s definition, the largest."""
    return next((r["tokens"] for r in rows if r["tool"] == "posthog_create_insight"), None)


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| tool | catalogue action | o200k tokens |", "| --- | --- | ---: |"]
    lines += [f"| {r['tool']} | {r['catalogue'] or '-'} | {r['tokens']:,} |" for r in rows]
    catalogue_rows = catalogue(rows)
    total = sum(r["tokens"] for r in catalogue_rows)
    insight = insight_tokens(rows)
    lines += [
        f"| **all {len(rows)} tools** | | {sum(r['tokens'] for r in rows):,} |",
        f"| **{len(catalogue_rows)} tools covering the catalogue** | goal <= {CATALOGUE_GOAL:,}, "
        f"baseline {CATALOGUE_BASELINE:,} | {total:,} ({total / CATALOGUE_BASELINE:.2f}x; "
        f"{'met' if total <= CATALOGUE_GOAL else 'not met'}) |",
    ]
    if len(catalogue_rows) != CATALOGUE_ACTIONS:
        lines.append(
            f"| (only {len(catalogue_rows)} of the catalogue's {CATALOGUE_ACTIONS} actions have a "
            "tool yet: the total is not comparable) | | |"
        )
    beyond = [r for r in rows if not r["catalogue"]]
    over = [f"{r['tool']} {r['tokens']:,}" for r in beyond if r["tokens"] > TOOL_GOAL]
    largest = max(beyond, key=lambda r: r["tokens"], default=None)
    if largest is not None:
        lines.append(
            f"| **{len(beyond)} tools past the catalogue** | each <= {TOOL_GOAL} | "
            f"largest {largest['tool']} {largest['tokens']:,} "
            f"({'met' if not over else 'not met: ' + ', '.join(over)}) |"
        )
    if insight is not None:
        lines.append(
            f"| **posthog_create_insight** | goal <= {INSIGHT_GOAL:,} | {insight:,} "
            f"({'met' if insight <= INSIGHT_GOAL else 'not met'}) |"
        )
    return "\n".join(lines)


def main() -> None:
    rows = measure()
    print("## Tool-definition tokens (o200k, convert_to_openai_tool, project bound)\n")
    print(table(rows))
    for name in sys.argv[1:]:
        print(f"\n{name}:\n" + next(r["schema"] for r in rows if r["tool"] == name))


if __name__ == "__main__":
    main()
