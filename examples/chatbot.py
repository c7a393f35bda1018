"""An interactive PostHog assistant in the terminal.

    python examples/chatbot.py          # your PostHog when POSTHOG_PERSONAL_API_KEY is set,
                                        # else the offline demo on recorded answers
    python examples/chatbot.py --demo   # the offline demo, whatever is set

For real use: POSTHOG_PERSONAL_API_KEY (and POSTHOG_HOST=eu for EU Cloud), a chat model named
by POSTHOG_CHAT_MODEL as init_chat_model understands it (default "openai:gpt-4.1-mini"), that
provider's key (OPENAI_API_KEY...) and its package: pip install 'langchain-posthog[openai]'.

It prints each tool call and a short result as it goes, and asks before any tool that writes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from offline import ScriptedModel, call, head, keys_present, replay_toolkit

from langchain_posthog import PostHogToolkit

SYSTEM = (
    "You are a PostHog assistant for a product team. Use the tools to answer with real data. "
    "Find ids with the list and search tools before acting on an object. Be brief."
)

# The demo: what a person asks, and which tool the scripted model calls for it.
DEMO = [
    ("Which feature flags do we have for onboarding?", "posthog_list_feature_flags"),
    ("Roll the new-onboarding flag out to 20% of users.", "posthog_update_feature_flag"),
    ("How does our signup funnel convert?", "posthog_run_funnel"),
    ("Which events were most frequent last week?", "posthog_run_hogql_query"),
    ("Set up our Q4 NPS survey.", "posthog_create_survey"),
]

Decide = Callable[[dict[str, Any]], dict[str, Any]]


def demo_model() -> ScriptedModel:
    """Calls the tool planned for the current question, then reports what it returned."""
    plan = dict(DEMO)

    def script(messages: Sequence[BaseMessage]) -> AIMessage:
        asked = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
        question = str(messages[asked].content)
        results = [m for m in messages[asked:] if isinstance(m, ToolMessage)]
        if not results:
            return call(plan[question], call_id=f"call-{asked}")
        # A model reads the closing note on quoted values; it need not repeat it.
        lines = str(results[-1].content).splitlines()
        kept = "\n".join(line for line in lines if not line.startswith("Quoted values are"))
        found = head(kept, 5).replace("\n", "\n  ")
        return AIMessage(content=f"Here is what PostHog says:\n  {found}")

    return ScriptedModel(script=script)


def real_model(name: str | None = None) -> BaseChatModel:
    """The chat model ``name`` names, by default POSTHOG_CHAT_MODEL's (or gpt-4.1-mini)."""
    from langchain.chat_models import init_chat_model

    name = name or os.environ.get("POSTHOG_CHAT_MODEL", "openai:gpt-4.1-mini")
    try:
        return init_chat_model(name)
    except Exception as error:
        provider = name.split(":")[0]
        raise SystemExit(
            f"Cannot start the chat model {name!r}: {error}. Install its package "
            f"(pip install 'langchain-posthog[{provider}]') and set its API key, or run "
            "with --demo."
        ) from None


def build_agent(model: BaseChatModel, tools: list[BaseTool]) -> Any:
    """An agent that pauses for a person before every tool that changes data."""
    gated = {t.name: True for t in tools if not (t.metadata or {}).get("read_only")}
    return create_agent(
        model,
        tools=tools,
        system_prompt=SYSTEM,
        middleware=[HumanInTheLoopMiddleware(interrupt_on=gated)],
        checkpointer=InMemorySaver(),
    )


def show(message: BaseMessage, seen: set[str]) -> None:
    # After an approval the agent re-emits the paused model message: print it once.
    if message.id is not None:
        if message.id in seen:
            return
        seen.add(message.id)
    if isinstance(message, AIMessage):
        for tool_call in message.tool_calls:
            print(f"  -> {tool_call['name']}({_args(tool_call['args'])})")
        if message.content and not message.tool_calls:
            print(f"Assistant: {message.content}")
    elif isinstance(message, ToolMessage):
        mark = "!!" if message.status == "error" else "<-"
        print(f"  {mark} " + head(message.content).replace("\n", "\n     "))


def _args(args: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return text if len(text) <= 120 else text[:117] + "..."


def ask_person(request: dict[str, Any]) -> dict[str, Any]:
    answer = input(f"  ?? Allow {request['name']}({_args(request['args'])})? [y/N] ")
    if answer.strip().lower() in {"y", "yes"}:
        return {"type": "approve"}
    return {"type": "reject", "message": "The user declined this change."}


def approve_in_demo(request: dict[str, Any]) -> dict[str, Any]:
    print(f"  ?? Allow {request['name']}? [y/N] y   (demo: approved for you)")
    return {"type": "approve"}


def turn(agent: Any, question: str, thread: str, decide: Decide) -> None:
    """One question, streamed: tool calls and results as they happen, pauses for approval."""
    config = {"configurable": {"thread_id": thread}}
    payload: Any = {"messages": [HumanMessage(question)]}
    seen: set[str] = set()
    while True:
        pending: list[dict[str, Any]] = []
        for update in agent.stream(payload, config, stream_mode="updates"):
            for node, value in update.items():
                if node == "__interrupt__":
                    for interrupt in value:
                        pending += interrupt.value.get("action_requests", [])
                    continue
                for message in (value or {}).get("messages", []) if isinstance(value, dict) else []:
                    show(message, seen)
        if not pending:
            return
        payload = Command(resume={"decisions": [decide(request) for request in pending]})


def run_demo() -> None:
    print("Offline demo: a scripted model on recorded PostHog answers (no keys, no network).")
    print("Set POSTHOG_PERSONAL_API_KEY and a chat model's key to use your own PostHog.\n")
    with replay_toolkit() as toolkit:
        agent = build_agent(demo_model(), toolkit.get_tools())
        for question, _ in DEMO:
            print(f"You: {question}")
            turn(agent, question, "demo", approve_in_demo)
            print()
    print("Demo finished.")


def run_chat() -> None:
    with PostHogToolkit() as toolkit:
        agent = build_agent(real_model(), toolkit.get_tools())
        print(f"PostHog assistant on {toolkit.client.app_url}. Empty line or Ctrl-D to quit.")
        while True:
            try:
                question = input("You: ").strip()
            except EOFError:
                return
            if not question:
                return
            turn(agent, question, "chat", ask_person)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="run the offline demo")
    options = parser.parse_args(argv)
    if options.demo or not keys_present():
        run_demo()
    else:
        run_chat()
    return 0


if __name__ == "__main__":
    sys.exit(main())
