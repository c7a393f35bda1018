"""Result tokens: what a model reads from a tool against PostHog's raw JSON for the same call.

Every success cassette (``cassettes/<tool>.yaml``) is replayed through the real tool with vcrpy,
configured as tests/conftest.py configures pytest-recording (same matchers, same request
scrubbing), with the arguments of the tool's success scenario in tests/actions (or the
row's ``example`` when there is none). The tool's content is counted with o200k against the
raw JSON PostHog sent: each response body as ``json.dumps`` writes it, all the cassette's
responses together for tools that make several calls (text bodies, CSV, as they are). The last
line of the table is what the line saying what quotes mean costs, in the results that carry it.

    python benchmarks/result_tokens.py           # table
    python benchmarks/result_tokens.py NAME      # also print NAME's content
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import bpe_openai
import vcr
from langchain_core.messages import ToolMessage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from langchain_posthog.actions import ACTIONS  # noqa: E402
from langchain_posthog.actions._render import DATA_NOTE  # noqa: E402
from tests.conftest import (  # noqa: E402
    CASSETTES,
    _scrub_request,
    _scrub_response,
    json_body_matcher,
)
from tests.scenarios import success_scenario  # noqa: E402

GOAL = 0.5


def _vcr() -> vcr.VCR:
    # tests/conftest.py's vcr_config, replay only (its response scrubbing applies on load).
    recorder = vcr.VCR(
        record_mode="none",
        match_on=["method", "scheme", "host", "port", "path", "query", "json_body"],
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
        filter_headers=[("authorization", None), ("cookie", None), ("set-cookie", None)],
    )
    recorder.register_matcher("json_body", json_body_matcher)
    return recorder


def success_cassettes() -> list[str]:
    """Tools that have both a row in the action table and a success cassette."""
    names = {a.name for a in ACTIONS}
    return [p.stem for p in sorted(CASSETTES.glob("*.yaml")) if p.stem in names]


def play(tool: str) -> dict[str, Any]:
    """Run ``tool`` through its success cassette; return content, artifact and raw bodies."""
    scenario = success_scenario(tool)
    toolkit = scenario.make_toolkit()
    chosen = {t.name: t for t in toolkit.get_tools()}[tool]
    call = {"name": tool, "args": scenario.args, "id": "call-1", "type": "tool_call"}
    path = str(CASSETTES / scenario.cassette)
    with _vcr().use_cassette(path, allow_playback_repeats=True) as cassette:
        message = chosen.invoke(call)
        played = cassette.all_played
        bodies = [response["body"]["string"] for response in cassette.responses]
    asyncio.run(toolkit.aclose())
    assert isinstance(message, ToolMessage)
    if message.status != "success" or not played:
        raise RuntimeError(f"{tool}: replay failed ({message.status}): {message.content}")
    return {"content": message.content, "artifact": message.artifact, "bodies": bodies}


def raw_json(bodies: list[Any]) -> list[str]:
    """Each response body as PostHog sent it, json.dumps'd when it is JSON."""
    out = []
    for body in bodies:
        text = body.decode() if isinstance(body, bytes) else str(body or "")
        try:
            out.append(json.dumps(json.loads(text)))
        except ValueError:
            out.append(text)
    return out


def measure(tools: list[str] | None = None) -> list[dict[str, Any]]:
    encoding = bpe_openai.get_encoding("o200k_base")
    rows = []
    for tool in tools or success_cassettes():
        try:
            result = play(tool)
        except Exception as error:  # a tool still being written: report, go on
            rows.append({"tool": tool, "error": f"{type(error).__name__}: {error}"[:160]})
            continue
        raw = raw_json(result["bodies"])
        content = result["content"]
        raw_tokens = sum(len(encoding.encode(body)) for body in raw)
        content_tokens = len(encoding.encode(content))
        noted = content.endswith("\n" + DATA_NOTE)
        note_tokens = content_tokens - len(encoding.encode(content[: -len(DATA_NOTE) - 1]))
        rows.append(
            {
                "tool": tool,
                "calls": len(raw),
                "raw": raw_tokens,
                "content": content_tokens,
                "note": note_tokens if noted else 0,
                "ratio": content_tokens / raw_tokens if raw_tokens else float("nan"),
                "text": content,
            }
        )
    return rows


def median_ratio(rows: list[dict[str, Any]]) -> tuple[float, int]:
    """The median content / raw ratio over the tools measured, and how many were."""
    measured = [r["ratio"] for r in rows if "error" not in r]
    return (statistics.median(measured) if measured else float("nan")), len(measured)


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| tool | calls | raw JSON tokens | content tokens | content / raw |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    measured = [r for r in rows if "error" not in r]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['tool']} | | | | not measured: {r['error']} |")
        else:
            lines.append(
                f"| {r['tool']} | {r['calls']} | {r['raw']:,} | {r['content']:,} "
                f"| {r['ratio']:.2f} |"
            )
    if measured:
        median = statistics.median(r["ratio"] for r in measured)
        raw = sum(r["raw"] for r in measured)
        content = sum(r["content"] for r in measured)
        lines += [
            f"| **all {len(measured)} tools** | | {raw:,} | {content:,} | {content / raw:.2f} |",
            f"| **median ratio** | | | | **{median:.2f}** (goal <= {GOAL}: "
            f"{'met' if median <= GOAL else 'not met'}) |",
        ]
        noted = [r["note"] for r in measured if r["note"]]
        if noted:
            lines.append(
                f"| of the content: the line saying what quotes mean, in {len(noted)} of "
                f"{len(measured)} results | | | {sum(noted):,} | {max(noted)} per result |"
            )
    return "\n".join(lines)


def main() -> None:
    rows = measure()
    print("## Result tokens (o200k; content against PostHog's raw JSON, from the cassettes)\n")
    print(table(rows))
    for name in sys.argv[1:]:
        row = next(r for r in rows if r["tool"] == name)
        print(f"\n{name}:\n{row.get('text') or row.get('error')}")


if __name__ == "__main__":
    main()
