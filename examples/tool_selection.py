"""An agent given every PostHog tool, with a selector model picking the few each question needs.

    python examples/tool_selection.py "Is the new-onboarding flag rolled out?"
    python examples/tool_selection.py     # offline demo: three questions on recorded answers

Every tool offered to a model is sent with every call: its name, description and schema cost
tokens, and a model picks worse among dozens. LangChain's LLMToolSelectorMiddleware first asks a
selector model (a small, cheap one will do) which tools fit the question, from their names and
descriptions; the agent's model is then offered only those, at most MAX_TOOLS. The selection
runs again before each model call. The lines "offered to the model" show what it kept.

With keys, set POSTHOG_PERSONAL_API_KEY, POSTHOG_CHAT_MODEL (default "openai:gpt-4.1-mini"),
POSTHOG_SELECTOR_MODEL (default: the chat model) and the provider's key. The toolkit is then
read_only, so nothing changes whatever is chosen; examples/chatbot.py shows asking before writes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import (
    LLMToolSelectorMiddleware,
    ModelRequest,
    ModelResponse,
    wrap_model_call,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from offline import ScriptedModel, call, head, keys_present, replay_toolkit

from langchain_posthog import PostHogToolkit

MAX_TOOLS = 3

SYSTEM = "You are a PostHog assistant. Answer with data from the tools. Be brief."

# The demo: a question, the tools the scripted selector picks for it (most relevant first),
# and the one the scripted agent then calls.
DEMO = [
    (
        "Is the new-onboarding flag rolled out?",
        ["posthog_get_feature_flag", "posthog_list_feature_flags", "posthog_update_feature_flag"],
        "posthog_get_feature_flag",
    ),
    (
        "How does the signup funnel convert?",
        ["posthog_run_funnel", "posthog_run_trends", "posthog_run_hogql_query"],
        "posthog_run_funnel",
    ),
    (
        "How many responses has each survey had?",
        [
            "posthog_get_survey_response_counts",
            "posthog_get_survey",
            "posthog_summarize_survey_responses",
        ],
        "posthog_get_survey_response_counts",
    ),
]


def build_agent(
    model: BaseChatModel, selector: BaseChatModel, tools: list[BaseTool], show: Callable[[str], Any]
) -> Any:
    """An agent whose model is offered only the tools the selector picks for each question."""

    # Runs inside the selector (middleware listed first wraps the ones after it), so it sees
    # the request as the selector left it.
    @wrap_model_call
    def offered(request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]) -> Any:
        kept = [t.name for t in request.tools if isinstance(t, BaseTool)]
        show(f"  offered to the model: {', '.join(kept)}")
        return handler(request)

    return create_agent(
        model,
        tools=tools,
        system_prompt=SYSTEM,
        middleware=[LLMToolSelectorMiddleware(model=selector, max_tools=MAX_TOOLS), offered],
    )


def scripted_selector() -> ScriptedModel:
    """Answers the selector's request as a model does: one call of the schema it was bound with.

    LLMToolSelectorMiddleware asks for structured output, which LangChain turns into one tool
    whose ``tools`` argument lists the chosen names; each name is a choice in that schema, with
    the tool's description.
    """
    plan = {question: picks for question, picks, _ in DEMO}

    def script(messages: Sequence[BaseMessage]) -> AIMessage:
        question = str(next(m for m in reversed(messages) if isinstance(m, HumanMessage)).content)
        schema = convert_to_openai_tool(selector.bound[-1][0])["function"]
        choices = schema["parameters"]["properties"]["tools"]["items"]["anyOf"]
        offered = {choice["const"] for choice in choices}
        picks = [name for name in plan[question] if name in offered]
        return AIMessage(
            content="", tool_calls=[{"name": schema["name"], "args": {"tools": picks}, "id": "s"}]
        )

    selector = ScriptedModel(script=script)
    return selector


def scripted_agent() -> ScriptedModel:
    """Calls the tool planned for the question, then says what it returned."""
    plan = {question: tool for question, _, tool in DEMO}

    def script(messages: Sequence[BaseMessage]) -> AIMessage:
        asked = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
        results = [m for m in messages[asked:] if isinstance(m, ToolMessage)]
        if not results:
            return call(plan[str(messages[asked].content)], call_id=f"q{asked}")
        return AIMessage(content="From PostHog:\n" + head(results[-1].content, 3))

    return ScriptedModel(script=script)


def ask(agent: Any, question: str) -> str:
    state = agent.invoke({"messages": [HumanMessage(question)]})
    for message in state["messages"]:
        if isinstance(message, AIMessage):
            for tool_call in message.tool_calls:
                print(f"  -> {tool_call['name']}")
    return str(state["messages"][-1].content)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A PostHog agent with a tool selector.")
    parser.add_argument("question", nargs="*")
    parser.add_argument("--demo", action="store_true", help="offline, on recorded answers")
    options = parser.parse_args(argv)
    if options.demo or not keys_present():
        print("Offline demo: a scripted selector and agent on recorded PostHog answers.")
        with replay_toolkit() as toolkit:
            tools = toolkit.get_tools()
            print(f"{len(tools)} tools given to the agent; at most {MAX_TOOLS} offered per call.\n")
            agent = build_agent(scripted_agent(), scripted_selector(), tools, print)
            for question, _, _ in DEMO:
                print(f"Q: {question}")
                print(f"A: {ask(agent, question)}\n")
        return 0
    from chatbot import real_model

    # The models first: a missing model package is said before the question is asked.
    model, selector = real_model(), real_model(os.environ.get("POSTHOG_SELECTOR_MODEL"))
    question = " ".join(options.question) or input("Question: ")
    with PostHogToolkit(read_only=True) as toolkit:
        agent = build_agent(model, selector, toolkit.get_tools(), print)
        print(ask(agent, question))
    return 0


if __name__ == "__main__":
    sys.exit(main())
