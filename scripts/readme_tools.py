"""Regenerate the README's tool table from the action table.

    python scripts/readme_tools.py          # print the table
    python scripts/readme_tools.py --write  # replace it in README.md

tests/test_docs.py fails when the README's table and the action table disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from langchain_posthog.actions import ACTIONS
from langchain_posthog.toolsets import TOOLSETS

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- tools:start -->", "<!-- tools:end -->"
# A full stop and a space end a sentence, except in "e.g.", "i.e." and an ellipsis.
SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\.)\.\s+")


def table() -> str:
    """The tools grouped by toolset, in the toolsets' order, each group in the action table's."""
    lines = [
        "| toolset | tool | scope | catalogue action | what it does |",
        "| --- | --- | --- | --- | --- |",
    ]
    for toolset in TOOLSETS:
        for action in (a for a in ACTIONS if a.name in toolset.tools):
            first = SENTENCE_END.split(action.description, maxsplit=1)[0].rstrip(".")
            catalogue = f"`POSTHOG_{action.catalogue}`" if action.catalogue else "-"
            scope = action.scope + (" (needs project key)" if action.capture else "")
            lines.append(
                f"| `{toolset.name}` | `{action.name}` | {scope} | {catalogue} | {first}. |"
            )
    return "\n".join(lines)


def replace(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    if "--write" in sys.argv:
        README.write_text(replace(README.read_text()))
    else:
        print(table())
