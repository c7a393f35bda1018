"""A read-only analyst agent: answers product questions with trends, funnels and HogQL.

    python examples/analyst.py "How many signups did we get per day last week?"
    python examples/analyst.py            # offline demo: three questions on recorded answers

The toolkit is built with read_only=True: the model is offered only read tools, and the HTTP
client itself refuses any write, whatever the model asks for. With keys, set
POSTHOG_PERSONAL_API_KEY, POSTHOG_CHAT_MODEL (default "openai:gpt-4.1-mini") and the provider's key.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from offline import ScriptedModel, call, head, keys_present, replay_toolkit

from langchain_posthog import PostHogToolkit

SYSTEM = (
    "You are a product analyst with read-only access to PostHog. Answer with numbers from the "
    "tools: posthog_run_trends for counts over time, posthog_run_funnel for conversion, "
    "posthog_run_hogql_query for anything else (SQL over events, persons and sessions)."
)

DEMO = [
    ("How many signups did we get per day last week?", "posthog_run_trends"),
    ("How does the signup funnel convert?", "posthog_run_funnel"),
    ("Which events were most frequent last week?", "posthog_run_hogql_query"),
]


def scripted_analyst() -> ScriptedModel:
    plan = dict(DEMO)

    def script(messages: Sequence[BaseMessage]) -> AIMessage:
        asked = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
        results = [m for m in messages[asked:] if isinstance(m, ToolMessage)]
        if not results:
            return call(plan[str(messages[asked].content)], call_id=f"q{asked}")
        return AIMessage(content="From PostHog:\n" + head(results[-1].content, 6))

    return ScriptedModel(script=script)


def ask(agent: object, question: str) -> str:
    state = agent.invoke({"messages": [HumanMessage(question)]})  # type: ignore[attr-defined]
    for message in state["messages"]:
        if isinstance(message, AIMessage):
            for tool_call in message.tool_calls:
                print(f"  -> {tool_call['name']}")
    return str(state["messages"][-1].content)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Read-only PostHog analyst.")
    parser.add_argument("question", nargs="*")
    parser.add_argument("--demo", action="store_true", help="offline, on recorded answers")
    options = parser.parse_args(argv)
    if options.demo or not keys_present():
        print("Offline demo: a scripted analyst on recorded PostHog answers.\n")
        with replay_toolkit(read_only=True) as toolkit:
            agent = create_agent(scripted_analyst(), toolkit.get_tools(), system_prompt=SYSTEM)
            for question, _ in DEMO:
                print(f"Q: {question}")
                print(f"A: {ask(agent, question)}\n")
        return 0
    from chatbot import real_model

    question = " ".join(options.question) or input("Question: ")
    with PostHogToolkit(read_only=True) as toolkit:
        agent = create_agent(real_model(), toolkit.get_tools(), system_prompt=SYSTEM)
        print(ask(agent, question))
    return 0


if __name__ == "__main__":
    sys.exit(main())
