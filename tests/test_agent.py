"""The tools inside real agent loops, driven by a scripted chat model over replayed cassettes.

A PostHog 404 must reach the model as an error ToolMessage, and the run must go on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from langchain_posthog import PostHogToolkit
from tests.conftest import CASSETTES


class ScriptedModel(GenericFakeChatModel):
    """A chat model that plays back a fixed list of messages and accepts bound tools."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedModel:
        return self


def script() -> Iterator[BaseMessage]:
    return iter(
        [
            AIMessage(
                content="",
                tool_calls=[
                    {"name": "posthog_get_feature_flag", "args": {"id": 99999}, "id": "c1"}
                ],
            ),
            AIMessage(
                content="",
                tool_calls=[{"name": "posthog_get_feature_flag", "args": {"id": 1234}, "id": "c2"}],
            ),
            AIMessage(content="The new-onboarding flag is active and released to 0% of users."),
        ]
    )


def check_run(messages: list[BaseMessage]) -> None:
    results = [m for m in messages if isinstance(m, ToolMessage)]
    assert [m.tool_call_id for m in results] == ["c1", "c2"]
    missing, found = results
    assert missing.status == "error"
    assert "Not found (404)" in str(missing.content)
    assert "posthog_list_feature_flags" in str(missing.content)
    assert found.status == "success"
    assert '"new-onboarding" (id 1234)' in str(found.content)
    assert found.artifact["key"] == "new-onboarding"
    assert isinstance(messages[-1], AIMessage) and "0% of users" in str(messages[-1].content)


both_flags = [
    pytest.mark.vcr(str(CASSETTES / "posthog_get_feature_flag.yaml")),
    pytest.mark.default_cassette("posthog_get_feature_flag.not_found.yaml"),
]


@pytest.mark.usefixtures("vcr")
@both_flags[0]
@both_flags[1]
def test_create_agent_recovers_from_a_404(toolkit: PostHogToolkit) -> None:
    agent = create_agent(ScriptedModel(messages=script()), tools=toolkit.get_tools())
    state = agent.invoke({"messages": [HumanMessage("Is flag 99999 on?")]})
    check_run(state["messages"])


@pytest.mark.usefixtures("vcr")
@both_flags[0]
@both_flags[1]
async def test_create_agent_async(toolkit: PostHogToolkit) -> None:
    agent = create_agent(ScriptedModel(messages=script()), tools=toolkit.get_tools())
    state = await agent.ainvoke({"messages": [HumanMessage("Is flag 99999 on?")]})
    check_run(state["messages"])


@pytest.mark.usefixtures("vcr")
@both_flags[0]
@both_flags[1]
def test_langgraph_tool_node_does_not_stop_on_posthog_errors(toolkit: PostHogToolkit) -> None:
    model = ScriptedModel(messages=script())
    tools = toolkit.get_tools()

    def call_model(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("model", call_model)
    graph.add_node("tools", ToolNode(tools))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition)
    graph.add_edge("tools", "model")
    state = graph.compile().invoke({"messages": [HumanMessage("Is flag 99999 on?")]})
    check_run(state["messages"])


def test_bad_arguments_from_the_model_come_back_as_a_correctable_error(
    toolkit: PostHogToolkit,
) -> None:
    model = ScriptedModel(
        messages=iter(
            [
                AIMessage(
                    content="",
                    tool_calls=[
                        {
                            "name": "posthog_create_feature_flag",
                            "args": {"key": "bad key!", "rollout_percentage": 140, "colour": "red"},
                            "id": "c1",
                        }
                    ],
                ),
                AIMessage(content="I will fix the key."),
            ]
        )
    )
    agent = create_agent(model, tools=toolkit.get_tools())
    state = agent.invoke({"messages": [HumanMessage("make a flag")]})
    error = next(m for m in state["messages"] if isinstance(m, ToolMessage))
    assert error.status == "error"
    text = str(error.content)
    assert "nothing was sent" in text
    for field in ("key:", "rollout_percentage:", "colour: unknown argument"):
        assert field in text, text
