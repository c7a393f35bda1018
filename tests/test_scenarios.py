"""Every recorded scenario through the real tool, sync and async, each cassette fully played."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from langchain_posthog import PostHogToolkit
from tests.conftest import PERSONAL_KEY, PROJECT_KEY
from tests.scenarios import Scenario, all_scenarios

SCENARIOS = all_scenarios()


def _params() -> list[Any]:
    return [
        pytest.param(
            s,
            mode,
            id=f"{s.id}-{mode}",
            marks=[pytest.mark.vcr, pytest.mark.default_cassette(s.cassette)],
        )
        for s in SCENARIOS
        for mode in ("sync", "async")
    ]


@pytest.mark.parametrize(("scenario", "mode"), _params())
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
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


def test_every_tool_has_a_success_and_a_failure_scenario() -> None:
    toolkit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY, project_api_key=PROJECT_KEY, include_destructive=True
    )
    names = {t.name for t in toolkit.get_tools()}
    ok = {s.tool for s in SCENARIOS if s.ok}
    failed = {s.tool for s in SCENARIOS if not s.ok or "fallback" in s.cassette}
    assert names - ok == set(), "tools without a success scenario"
    assert names - failed == set(), "tools without a failure scenario"
