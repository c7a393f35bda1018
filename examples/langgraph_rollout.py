"""A staged feature-flag rollout as a LangGraph graph, with a person approving each stage.

    python examples/langgraph_rollout.py                     # offline, on recorded answers
    python examples/langgraph_rollout.py --flag-id 12 --stages 10,50,100   # your PostHog

The graph:
  observe  a plain node (no model) that calls toolkit.execute() to read the flag and the
           signup funnel, and decides the next stage;
  approve  an interrupt: a person says yes or no to the next stage;
  model    a chat model that turns the approved stage into a tool call;
  tools    LangGraph's ToolNode running posthog_update_feature_flag; then back to observe.

Offline (no POSTHOG_PERSONAL_API_KEY), a scripted model stands in for the LLM and the recorded
answers cover the first stage, 20%. With keys, set POSTHOG_CHAT_MODEL (default
"openai:gpt-4.1-mini") and the provider's key; every stage is asked for at the terminal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Annotated, Any, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode
from langgraph.types import Command, interrupt
from offline import ScriptedModel, example_args, head, keys_present, replay_toolkit

from langchain_posthog import PostHogToolkit

UPDATE = "posthog_update_feature_flag"
FUNNEL = "posthog_run_funnel"


class Rollout(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    flag_id: int
    stages: list[int]
    next_stage: int | None
    approved: bool


def build(toolkit: PostHogToolkit, model: BaseChatModel, funnel: dict[str, Any]) -> Any:
    update_tool = next(t for t in toolkit.get_tools() if t.name == UPDATE)
    llm = model.bind_tools([update_tool])

    def observe(state: Rollout) -> dict[str, Any]:
        flag = toolkit.execute("posthog_get_feature_flag", {"id": state["flag_id"]})
        if not flag.successful:
            print(f"Cannot read the flag: {flag.error}")
            return {"next_stage": None}
        groups = (flag.data.get("filters") or {}).get("groups") or [{}]
        current = groups[0].get("rollout_percentage") or 0
        conversion = toolkit.execute(FUNNEL, funnel)
        print(f"Flag: {head(flag.content, 1)}")
        print("Funnel: " + head(conversion.content if conversion.successful else conversion.error))
        later = [s for s in state["stages"] if s > current]
        return {"next_stage": later[0] if later else None}

    def approve(state: Rollout) -> dict[str, Any]:
        answer = interrupt(
            {"question": f"Roll flag {state['flag_id']} out to {state['next_stage']}%?"}
        )
        return {"approved": bool(answer)}

    def plan(state: Rollout) -> dict[str, Any]:
        ask = HumanMessage(
            f"Set feature flag {state['flag_id']} to a rollout of {state['next_stage']}% with "
            f"{UPDATE}."
        )
        return {"messages": [ask, llm.invoke([*state["messages"], ask])]}

    def report(state: Rollout) -> dict[str, Any]:
        last = state["messages"][-1] if state["messages"] else None
        if isinstance(last, ToolMessage):
            print("Update: " + head(last.content, 2))
        done = state["next_stage"] or 0
        return {"stages": [s for s in state["stages"] if s > done]}

    graph = StateGraph(Rollout)
    graph.add_node("observe", observe)
    graph.add_node("approve", approve)
    graph.add_node("model", plan)
    graph.add_node("tools", ToolNode([update_tool]))
    graph.add_node("report", report)
    graph.add_edge(START, "observe")
    graph.add_conditional_edges("observe", lambda s: "approve" if s["next_stage"] else END)
    graph.add_conditional_edges("approve", lambda s: "model" if s["approved"] else END)
    graph.add_edge("model", "tools")
    graph.add_edge("tools", "report")
    graph.add_edge("report", "observe")
    return graph.compile(checkpointer=InMemorySaver())


def scripted_model() -> ScriptedModel:
    """Reads the stage out of the request and asks for that rollout: the offline LLM."""

    def script(messages: Sequence[BaseMessage]) -> AIMessage:
        words = str(messages[-1].content).split()
        flag_id = int(words[3])
        percent = int(next(w for w in words if w.endswith("%")).rstrip("%"))
        args = {"id": flag_id, "rollout_percentage": percent}
        return AIMessage(content="", tool_calls=[{"name": UPDATE, "args": args, "id": "rollout"}])

    return ScriptedModel(script=script)


def run(graph: Any, flag_id: int, stages: list[int], ask: Any) -> None:
    config = {"configurable": {"thread_id": f"rollout-{flag_id}"}}
    state: Any = {"messages": [], "flag_id": flag_id, "stages": stages, "approved": False}
    while True:
        result = graph.invoke(state, config)
        pending = result.get("__interrupt__") or []
        if not pending:
            break
        state = Command(resume=ask(pending[0].value["question"]))
    print("Rollout stopped: no further stage, or not approved.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Staged feature-flag rollout with approvals.")
    parser.add_argument("--flag-id", type=int, default=1234)
    parser.add_argument("--stages", default="20,50,100", help="comma-separated percentages")
    parser.add_argument("--demo", action="store_true", help="offline, on recorded answers")
    options = parser.parse_args(argv)
    stages = sorted(int(s) for s in options.stages.split(","))
    funnel = example_args(FUNNEL)
    if options.demo or not keys_present():
        print("Offline demo: recorded PostHog answers and a scripted model; stage 20% only.\n")

        def approve_demo(question: str) -> bool:
            print(f"?? {question} [y/N] y   (demo: approved for you)")
            return True

        with replay_toolkit() as toolkit:
            run(build(toolkit, scripted_model(), funnel), options.flag_id, [20], approve_demo)
        return 0
    from chatbot import real_model

    def approve_person(question: str) -> bool:
        return input(f"?? {question} [y/N] ").strip().lower() in {"y", "yes"}

    with PostHogToolkit() as toolkit:
        run(build(toolkit, real_model(), funnel), options.flag_id, stages, approve_person)
    return 0


if __name__ == "__main__":
    sys.exit(main())
