"""Make tests/contract/openapi-subset.json from a trimmed copy of PostHog's OpenAPI schema.

Source: PostHog's own OpenAPI 3 schema ("PostHog API 1.0.0", as shipped in the arcade-posthog-api
0.2.1 wheel, moar/openapi.json), trimmed to the operations this package calls, plus the
routes PostHog serves but leaves out of it (the query POST, bulk_delete, the root project list,
capture), each flagged x-langchain-posthog.synthesized with the PostHog source it was read from.
Every node flagged synthesized in the project's copy (an operation, a parameter, a property) is
kept as it is, over the source's.
info.x-upstream-fixes lists the corrections made to PostHog's schema.

The copy keeps what validation needs and drops prose: string descriptions, summaries and
vendor extensions other than x-langchain-posthog*. Run it again when the subset changes:

    python scripts/vendor_openapi.py path/to/openapi-subset.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "tests" / "contract" / "openapi-subset.json"
PROSE = {"description", "summary", "title", "example", "examples"}


def strip(node: Any, *, in_properties: bool = False) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            # A key under "properties" is a field name (a field may be called "description").
            if not in_properties:
                if key in PROSE and not isinstance(value, dict | list):
                    continue
                if key.startswith("x-") and not key.startswith("x-langchain-posthog"):
                    continue
            out[key] = strip(value, in_properties=key == "properties" and not in_properties)
        return out
    if isinstance(node, list):
        return [strip(item) for item in node]
    return node


def _synthesized(operation: Any) -> bool:
    flags = operation.get("x-langchain-posthog") if isinstance(operation, dict) else None
    return isinstance(flags, dict) and flags.get("synthesized") is True


def _keep_synthesized(ours: Any, slim: dict[str, Any]) -> None:
    """Carry every node of the project's copy flagged synthesized over into ``slim``, in place.

    A flagged object under a key (an operation, a component's property) replaces the source's
    node at the same place. A flagged item of a list (a query parameter, one branch of an
    ``anyOf``) brings the whole list with it, and its owner loses the keys the copy's owner does
    not have (an ``anyOf`` replacing a ``$ref``).
    """

    def walk(node: Any, where: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            if _synthesized(node):
                _place(slim, where, node)
                return
            for key, value in node.items():
                walk(value, (*where, key))
        # A flag deeper inside a list's items is not looked for: flag the item itself.
        elif isinstance(node, list) and any(_synthesized(item) for item in node):
            owner = _place(slim, where, node)
            copy_owner = _at(ours, where[:-1])
            for key in [k for k in owner if k not in copy_owner]:
                del owner[key]

    walk(ours, ())


def _at(node: Any, where: tuple[str, ...]) -> Any:
    for key in where:
        node = node[key]
    return node


def _place(root: dict[str, Any], where: tuple[str, ...], value: Any) -> dict[str, Any]:
    """Set ``value`` at ``where`` under ``root``, making objects on the way; return its owner."""
    owner = root
    for key in where[:-1]:
        owner = owner.setdefault(key, {})
    owner[where[-1]] = value
    return owner


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/vendor_openapi.py path/to/openapi-subset.json")
    source = Path(sys.argv[1])
    spec = json.loads(source.read_text())
    info = spec.get("info", {})
    slim = strip(spec)
    slim["info"] = {
        "title": info.get("title"),
        "version": info.get("version"),
        "x-source": "PostHog's OpenAPI schema, trimmed to langchain-posthog's endpoints; "
        "made by scripts/vendor_openapi.py (prose removed)",
        "x-upstream-fixes": info.get("x-upstream-fixes"),
    }
    if OUT.exists():
        _keep_synthesized(json.loads(OUT.read_text()), slim)
    OUT.write_text(json.dumps(slim, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes) from {source}")


if __name__ == "__main__":
    main()
