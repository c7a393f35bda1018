"""Recorded scenarios: a tool, its arguments, a cassette, and what the model must read.

Each area's test module (tests/actions/test_<area>.py) holds a ``SCENARIOS`` table and runs it
with :func:`params` and :func:`play`: every row sync and async, each cassette played to its end.
:func:`all_scenarios` gathers the tables for the suites that run every scenario.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from dataclasses import dataclass, field
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS


@dataclass(frozen=True)
class Scenario:
    tool: str
    cassette: str
    args: dict[str, Any]
    ok: bool = True
    # Text the content must contain (facts a model needs) and must not contain.
    expect: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    # Keys the artifact (PostHog's JSON) must hold, on success.
    artifact_keys: tuple[str, ...] = ()
    bound: bool = True
    toolkit: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.cassette.removesuffix(".yaml")

    def make_toolkit(self) -> PostHogToolkit:
        """The toolkit this scenario's cassette was written for (every tool, no retries)."""
        from tests.conftest import HOST, PERSONAL_KEY, PROJECT_ID, PROJECT_KEY

        settings: dict[str, Any] = {
            "host": HOST,
            "personal_api_key": PERSONAL_KEY,
            "project_api_key": PROJECT_KEY,
            "include_destructive": True,
            "max_retries": 0,
            **self.toolkit,
        }
        if self.bound:
            settings.setdefault("project_id", PROJECT_ID)
        return PostHogToolkit(**settings)


def params(scenarios: list[Scenario]) -> list[Any]:
    """Each scenario sync and async, replaying its cassette."""
    return [
        pytest.param(
            s,
            mode,
            id=f"{s.id}-{mode}",
            marks=[pytest.mark.vcr, pytest.mark.default_cassette(s.cassette)],
        )
        for s in scenarios
        for mode in ("sync", "async")
    ]


async def play(scenario: Scenario, mode: str, vcr: Any) -> None:
    """Run ``scenario`` through the real tool and check what the model reads."""
    from tests.conftest import PERSONAL_KEY, PROJECT_KEY

    toolkit = scenario.make_toolkit()
    tool = {t.name: t for t in toolkit.get_tools()}[scenario.tool]
    call = {"name": tool.name, "args": scenario.args, "id": "call-1", "type": "tool_call"}
    try:
        message = tool.invoke(call) if mode == "sync" else await tool.ainvoke(call)
    finally:
        await toolkit.aclose()
    assert isinstance(message, ToolMessage)
    content = message.content
    assert isinstance(content, str)
    if scenario.ok:
        assert message.status == "success", content
        assert isinstance(message.artifact, dict | list)
        for key in scenario.artifact_keys:
            assert key in message.artifact, f"artifact lacks {key!r}"
    else:
        assert message.status == "error", content
        assert message.artifact is None
    for text in scenario.expect:
        assert text in content, f"{text!r} not in content:\n{content}"
    for text in scenario.forbid:
        assert text not in content, f"{text!r} in content:\n{content}"
    everything = content + json.dumps(message.artifact, default=str)
    assert PERSONAL_KEY not in everything and PROJECT_KEY not in everything
    assert vcr.all_played, f"{scenario.cassette}: not every recorded request was made"


def all_scenarios() -> list[Scenario]:
    """Every area's scenarios."""
    from tests import actions

    found: list[Scenario] = []
    for module in pkgutil.iter_modules(actions.__path__):
        if module.name.startswith("test_"):
            found += getattr(
                importlib.import_module(f"tests.actions.{module.name}"), "SCENARIOS", []
            )
    return found


def example(tool: str) -> dict[str, Any]:
    """The arguments of ``tool``'s row example (what its docs and success cassette show)."""
    return dict(next(a for a in ACTIONS if a.name == tool).example)


def success_scenario(tool: str) -> Scenario:
    """The success scenario ``cassettes/<tool>.yaml`` plays, or one made from the row's example."""
    for scenario in all_scenarios():
        if scenario.tool == tool and scenario.ok and scenario.cassette == f"{tool}.yaml":
            return scenario
    return Scenario(tool, f"{tool}.yaml", example(tool))
