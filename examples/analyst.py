"""A read-only analyst agent that finds its own way in a project: "why did signups drop?"

    python examples/analyst.py "Why did signups drop last week?"
    python examples/analyst.py            # offline demo: that question on recorded answers

Asked why a number moved, the agent does what an analyst would: it looks up what the event is
really called (posthog_list_event_definitions), compares last week with the week before
(posthog_run_trends with compare_to_previous), then reads what the team marked on the charts in
that window (posthog_list_annotations) and which errors users ran into
(posthog_list_errors), and answers from what it found.

The toolkit is built with read_only=True and only the toolsets an analyst needs: the model is
offered read tools alone, and the HTTP client itself refuses any write. With keys, set
POSTHOG_PERSONAL_API_KEY, POSTHOG_CHAT_MODEL (default "openai:gpt-4.1-mini") and the provider's key.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from offline import ScriptedModel, call, keys_present, replay_toolkit

from langchain_posthog import PostHogToolkit

TOOLSETS = ["discovery", "analytics", "insights", "errors"]
SYSTEM = (
    "You are a product analyst with read-only access to PostHog. Never guess an event name: "
    "find it with posthog_list_event_definitions first. To explain a change, compare periods "
    "with posthog_run_trends (compare_to_previous), then look for causes in the same window: "
    "posthog_list_annotations (deploys, incidents, launches) and posthog_list_errors. Answer "
    "with the numbers and dates you found, and say what is a likely cause, not a proven one."
)
QUESTION = "Why did signups drop last week?"
# The recorded answers the demo reads besides every tool's success cassette.
DEMO_CASSETTES = (
    "posthog_list_event_definitions.no_match",
    "posthog_run_trends.drop",
    "posthog_list_annotations.window",
)
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
DAY = re.compile(r"(\d{4}-\d\d-\d\d) (\d+)/(\d+)")


def scripted_analyst() -> ScriptedModel:
    """Follows the steps above, each chosen from what the tool before it answered."""

    def script(messages: Sequence[BaseMessage]) -> AIMessage:
        asked = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
        seen = {m.name: str(m.content) for m in messages[asked:] if isinstance(m, ToolMessage)}
        if "posthog_list_event_definitions" not in seen:
            return call("posthog_list_event_definitions", {"search": "signup"}, "find")
        if "posthog_run_trends" not in seen:
            event = _first_name(seen["posthog_list_event_definitions"], skip="signup")
            compare = {"series": [{"event": event}], "date_from": "-7d", "interval": "day"}
            return call("posthog_run_trends", {**compare, "compare_to_previous": True}, "compare")
        if "posthog_list_annotations" not in seen:
            start, end = _window(seen["posthog_run_trends"])
            window = {"date_from": start, "date_to": end}
            return call("posthog_list_annotations", window, "annotations")
        if "posthog_list_errors" not in seen:
            return call("posthog_list_errors", {"date_from": "-7d"}, "errors")
        return AIMessage(content=_answer(seen))

    return ScriptedModel(script=script)


def _first_name(content: str, skip: str) -> str:
    """The first quoted name in a tool's answer other than ``skip`` (the search itself)."""
    names = [json.loads(literal) for literal in QUOTED.findall(content)]
    return next(name for name in names if name != skip)


def _window(trends: str) -> tuple[str, str]:
    """From the previous period's first day to this period's last, as the trends answer says."""
    current = re.search(r"by \w+ (\S+) to (\S+)", trends)
    previous = re.search(r"previous period (\S+) to", trends)
    if not current or not previous:
        raise ValueError(f"no periods in the trends answer:\n{trends}")
    return previous.group(1), current.group(2)


def _answer(seen: dict[str, str]) -> str:
    trends = seen["posthog_run_trends"]
    series = next(line for line in trends.splitlines() if line.startswith('"'))
    days = [(day, int(now), int(before)) for day, now, before in DAY.findall(trends)]
    fall = next(((d, n, b) for d, n, b in days if n < 0.7 * b), None)
    lines = [f"Signups: {series.split(';')[0]}."]
    if fall:
        day, now, before = fall
        lines.append(
            f"The fall starts on {day}: {now} signups against {before} on the same day of the "
            "period before."
        )
        notes = [ln for ln in seen["posthog_list_annotations"].splitlines() if day in ln]
        errors = [
            ln for ln in seen["posthog_list_errors"].splitlines() if f"first seen {day}" in ln
        ]
        lines += ["Marked on the charts that day:", *notes] if notes else []
        lines += ["Errors first seen that day:", *(e.split("; https")[0] for e in errors)]
        lines.append("A likely cause, not a proven one: check the release and the new error.")
    return "\n".join(lines)


def ask(agent: Any, question: str) -> str:
    state = agent.invoke({"messages": [HumanMessage(question)]})
    for message in state["messages"]:
        if isinstance(message, AIMessage):
            for tool_call in message.tool_calls:
                print(f"  -> {tool_call['name']}({json.dumps(tool_call['args'])})")
    return str(state["messages"][-1].content)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Read-only PostHog analyst.")
    parser.add_argument("question", nargs="*")
    parser.add_argument("--demo", action="store_true", help="offline, on recorded answers")
    options = parser.parse_args(argv)
    if options.demo or not keys_present():
        print("Offline demo: a scripted analyst on recorded PostHog answers.")
        if options.question:
            print("(The demo answers its one recorded question; set keys to ask your own.)")
        print()
        with replay_toolkit(read_only=True, toolsets=TOOLSETS, scenarios=DEMO_CASSETTES) as toolkit:
            agent = create_agent(scripted_analyst(), toolkit.get_tools(), system_prompt=SYSTEM)
            print(f"Q: {QUESTION}")
            print(f"A: {ask(agent, QUESTION)}")
        return 0
    from chatbot import real_model

    model = real_model()  # first: a missing model package is said before the question is asked
    question = " ".join(options.question) or input("Question: ")
    with PostHogToolkit(read_only=True, toolsets=TOOLSETS) as toolkit:
        agent = create_agent(model, toolkit.get_tools(), system_prompt=SYSTEM)
        print(ask(agent, question))
    return 0


if __name__ == "__main__":
    sys.exit(main())
