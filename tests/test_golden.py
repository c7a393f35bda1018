"""What a model reads, pinned: every tool's name, description and schema, and every scenario's text.

A change to the package's layout or to how rows are written must leave all of it as it was:
the schema a model is sent (bound and unbound, compact and strict) and the content it reads
back from each recorded scenario. A change that is meant to alter them regenerates the snapshot
in the same commit, where the diff shows what a model now reads:

    pytest tests/test_golden.py --update-golden --record-mode=none --block-network \
        --disable-socket --allow-unix-socket
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS
from tests.conftest import PERSONAL_KEY, PROJECT_KEY
from tests.scenarios import Scenario, all_scenarios

GOLDEN = Path(__file__).parent / "golden"
TOOLS = GOLDEN / "tools.json"
CONTENT = GOLDEN / "content.json"
ROWS = GOLDEN / "rows.json"
# The toolkits a model may be given: every tool, with and without a bound project, both forms.
KITS: dict[str, dict[str, Any]] = {
    "unbound": {},
    "bound": {"project_id": 2},
    "unbound-strict": {"strict": True},
    "bound-strict": {"project_id": 2, "strict": True},
}
# Made fresh on every call (an event's uuid), so not part of what is pinned.
_FRESH_UUID = re.compile(
    r"uuid [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)


@pytest.fixture
def update(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("update_golden"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def _save(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def _tools() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for kit_name, settings in KITS.items():
        toolkit = PostHogToolkit(
            personal_api_key=PERSONAL_KEY,
            project_api_key=PROJECT_KEY,
            include_destructive=True,
            **settings,
        )
        for tool in toolkit.get_tools():
            found[f"{kit_name}/{tool.name}"] = {
                "name": tool.name,
                "description": tool.description,
                "metadata": tool.metadata,
                "openai": convert_to_openai_tool(tool, strict=settings.get("strict")),
            }
    return found


def test_every_tool_reads_as_before(update: bool) -> None:
    tools = _tools()
    if update:
        _save(TOOLS, tools)
    pinned = _load(TOOLS)
    assert sorted(tools) == sorted(pinned), "tools added or removed"
    changed = [name for name in tools if tools[name] != pinned[name]]
    assert not changed, f"these tools now read differently: {changed}"


def _rows() -> dict[str, Any]:
    """What each row says beyond its schema: the 403 and 404 hints a model may read, its scope."""
    return {
        action.name: {
            "scope": action.scope,
            "api_scope": action.api_scope,
            "not_found": action.not_found,
            "project_scoped": action.project_scoped,
            "capture": action.capture,
            "catalogue": action.catalogue,
            "example": action.example,
        }
        for action in ACTIONS
    }


def test_every_row_says_what_it_said(update: bool) -> None:
    rows = json.loads(json.dumps(_rows()))
    if update:
        _save(ROWS, rows)
    assert rows == _load(ROWS)


SCENARIOS = all_scenarios()


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(s, id=s.id, marks=[pytest.mark.vcr, pytest.mark.default_cassette(s.cassette)])
        for s in SCENARIOS
    ],
)
def test_every_scenario_reads_as_before(scenario: Scenario, update: bool, vcr: Any) -> None:
    toolkit = scenario.make_toolkit()
    tool = {t.name: t for t in toolkit.get_tools()}[scenario.tool]
    with toolkit:
        message = tool.invoke(
            {"name": tool.name, "args": scenario.args, "id": "1", "type": "tool_call"}
        )
    assert isinstance(message, ToolMessage)
    assert isinstance(message.content, str)
    seen = {"status": message.status, "content": _FRESH_UUID.sub("uuid <fresh>", message.content)}
    if update:
        _save(CONTENT, {**_load(CONTENT), scenario.id: seen})
    assert seen == _load(CONTENT).get(scenario.id), f"{scenario.id} now reads differently"


def test_every_scenario_is_pinned() -> None:
    assert sorted(_load(CONTENT)) == sorted(s.id for s in SCENARIOS)


def test_every_tool_has_a_success_and_a_failure_scenario() -> None:
    names = {a.name for a in ACTIONS}
    ok = {s.tool for s in SCENARIOS if s.ok}
    failed = {s.tool for s in SCENARIOS if not s.ok or "fallback" in s.cassette}
    assert names - ok == set(), "tools without a success scenario"
    assert names - failed == set(), "tools without a failure scenario"
