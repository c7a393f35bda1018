"""Every example runs to its end offline, in-process, with sockets blocked."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest
from langchain_core.messages import AIMessage

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"


@pytest.fixture
def load() -> Iterator[object]:
    sys.path.insert(0, str(EXAMPLES))
    loaded: list[str] = []

    def _load(name: str) -> ModuleType:
        loaded.append(name)
        return importlib.import_module(name)

    yield _load
    sys.path.remove(str(EXAMPLES))
    for name in [*loaded, "offline", "chatbot"]:
        sys.modules.pop(name, None)


def test_chatbot_demo_walks_through_a_whole_session(load, capsys) -> None:  # type: ignore[no-untyped-def]
    assert load("chatbot").main([]) == 0  # no keys in the environment: the demo
    out = capsys.readouterr().out
    assert "Offline demo" in out and "Demo finished." in out
    for tool in (
        "posthog_list_feature_flags",
        "posthog_update_feature_flag",
        "posthog_run_funnel",
        "posthog_run_hogql_query",
        "posthog_create_survey",
    ):
        assert f"-> {tool}(" in out, tool
    assert '"new-onboarding" (id 1234)' in out
    assert "20% of all users" in out
    assert "Allow posthog_update_feature_flag?" in out  # writes wait for approval
    assert "Allow posthog_create_survey?" in out
    assert "Allow posthog_run_funnel?" not in out  # reads do not
    assert "!!" not in out, "a demo step failed"
    assert out.count("-> posthog_update_feature_flag(") == 1


def test_rollout_graph_demo_approves_and_applies_one_stage(load, capsys) -> None:  # type: ignore[no-untyped-def]
    assert load("langgraph_rollout").main(["--demo"]) == 0
    out = capsys.readouterr().out
    assert 'Flag: "new-onboarding" (id 1234)' in out
    assert "Roll flag 1234 out to 20%?" in out
    assert 'Update: Updated flag "new-onboarding" (id 1234)' in out and "20% of all users" in out
    # The graph reads the flag again after the update, and sees the stage it applied.
    flags = [line for line in out.splitlines() if line.startswith("Flag: ")]
    assert len(flags) == 2
    assert flags[0].endswith("; 0% of all users") and flags[1].endswith("; 20% of all users")
    assert "Rollout stopped" in out


def test_analyst_demo_finds_the_event_compares_periods_and_looks_for_causes(load, capsys) -> None:  # type: ignore[no-untyped-def]
    analyst = load("analyst")
    assert analyst.main(["--demo"]) == 0
    out = capsys.readouterr().out
    calls = [line.strip() for line in out.splitlines() if line.startswith("  -> ")]
    # Each step's arguments come from the answer before: the event name PostHog suggested for
    # "signup", and the window the trends answer covered.
    assert calls == [
        '-> posthog_list_event_definitions({"search": "signup"})',
        '-> posthog_run_trends({"series": [{"event": "user signed up"}], "date_from": "-7d", '
        '"interval": "day", "compare_to_previous": true})',
        '-> posthog_list_annotations({"date_from": "2026-11-05", "date_to": "2026-11-20"})',
        '-> posthog_list_errors({"date_from": "-7d"})',
    ]
    answer = out.split("A: ", 1)[1]
    assert '"user signed up": total 202, previous 242 (-16.5%)' in answer
    assert (
        "The fall starts on 2026-11-18: 17 signups against 33 on the same day of the period before."
        in answer
    )
    assert "Deployed v2.3 (checkout rewrite)" in answer and "ChunkLoadError" in answer
    assert "TypeError" not in answer  # seen long before the fall: not a cause
    assert "no recorded answer" not in out
    offline = sys.modules["offline"]
    with offline.replay_toolkit(read_only=True, toolsets=analyst.TOOLSETS) as toolkit:
        tools = toolkit.get_tools()
    assert tools and all(t.metadata["read_only"] for t in tools)
    assert {"posthog_list_event_definitions", "posthog_list_errors"} <= {t.name for t in tools}


def test_replay_answers_unknown_requests_with_a_posthog_style_404(load) -> None:  # type: ignore[no-untyped-def]
    offline = load("offline")
    with offline.replay_toolkit() as toolkit:
        result = toolkit.execute("posthog_get_feature_flag", {"id": 424242})
    assert not result.successful
    assert "no recorded answer" in (result.error or "")


def test_tool_selection_demo_offers_the_model_only_what_the_selector_kept(load, capsys) -> None:  # type: ignore[no-untyped-def]
    example = load("tool_selection")
    assert example.main(["--demo"]) == 0
    out = capsys.readouterr().out
    offline = sys.modules["offline"]
    with offline.replay_toolkit() as toolkit:
        every = len(toolkit.get_tools())
    assert f"{every} tools given to the agent" in out and every > example.MAX_TOOLS
    answers = out.split("\nQ: ")[1:]
    assert len(answers) == len(example.DEMO)
    for answer, (question, picks, tool) in zip(answers, example.DEMO, strict=True):
        assert answer.startswith(question)
        offered = [
            line.split(": ", 1)[1].split(", ")
            for line in answer.splitlines()
            if line.startswith("  offered to the model: ")
        ]
        # Once before each of the two model calls: the tool call, then the answer.
        assert len(offered) == 2
        assert all(sorted(kept) == sorted(picks[: example.MAX_TOOLS]) for kept in offered)
        assert f"  -> {tool}\n" in answer and tool in picks
        assert "A: From PostHog:" in answer and "no recorded answer" not in answer


def test_replay_answers_each_tools_example_whatever_was_called_before(load) -> None:  # type: ignore[no-untyped-def]
    offline = load("offline")
    tools = ("posthog_update_dashboard", "posthog_update_survey", "posthog_create_batch_export")
    with offline.replay_toolkit() as toolkit:
        for tool in tools:  # no get_ tool first: each update reads what it changes itself
            result = toolkit.execute(tool, offline.example_args(tool))
            assert result.successful, (tool, result.error)


def test_a_named_scenario_answers_in_place_of_the_success(load) -> None:  # type: ignore[no-untyped-def]
    offline = load("offline")
    args = offline.example_args("posthog_list_insights")
    with offline.replay_toolkit(scenarios=["posthog_list_insights.forbidden"]) as toolkit:
        result = toolkit.execute("posthog_list_insights", args)
    assert not result.successful and "insight:read" in (result.error or "")


def test_the_scripted_model_answers_async_calls_too(load) -> None:  # type: ignore[no-untyped-def]
    # BaseChatModel runs _generate in a thread for ainvoke, with the run manager as an argument.
    offline = load("offline")
    model = offline.ScriptedModel(script=lambda messages: AIMessage(content="hi"))
    assert asyncio.run(model.ainvoke("x")).content == "hi"
