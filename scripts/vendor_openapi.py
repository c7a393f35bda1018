"""Make tests/contract/openapi-subset.json from PostHog's OpenAPI subset.

Source: PostHog's own OpenAPI schema ("PostHog API 1.0.0"), trimmed to the endpoints this
package calls, as kept in the project's shared API notes (posthog-api/openapi-subset.json; see its
info.description and info.x-upstream-fixes for where it came from and what was corrected).

The copy keeps what validation needs and drops prose: string descriptions, summaries and
vendor extensions other than x-langchain-posthog*. Run it again when the subset changes:

    python scripts/vendor_openapi.py ../shared/posthog-api/openapi-subset.json
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


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/posthog-api/openapi-subset.json")
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
    OUT.write_text(json.dumps(slim, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes) from {source}")


if __name__ == "__main__":
    main()
