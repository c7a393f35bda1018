"""The tools inside real agent loops, driven by a scripted chat model over replayed cassettes.

A PostHog 404 must reach the model as an error ToolMessage, and the run must go on. With
LangChain's LLMToolSelectorMiddleware, the selector must see every tool and the agent's model
only the tools it chose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import LLMToolSelectorMiddleware
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from pydantic import Field

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


class RecordingModel(BaseChatModel):
    """A chat model that answers ``answer(messages, tools it was last bound with)``.

    It keeps the tools of every ``bind_tools`` call and the messages of every call.
    """

    answer: Callable[[list[BaseMessage], list[Any]], AIMessage]
    bound: list[list[Any]] = Field(default_factory=list)
    asked: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "recording"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> RecordingModel:
        self.bound.append(list(tools))
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.asked.append(list(messages))
        message = self.answer(messages, self.bound[-1] if self.bound else [])
        return ChatResult(generations=[ChatGeneration(message=message)])


def selection(schema: Any) -> tuple[str, dict[str, str]]:
    """The tool a selector is asked to call, and the choices it offers: ``{name: description}``."""
    function = convert_to_openai_tool(schema)["function"]
    choices = function["parameters"]["properties"]["tools"]["items"]["anyOf"]
    return function["name"], {choice["const"]: choice["description"] for choice in choices}


# The selector's answer, most relevant first; with max_tools=2 the third is dropped.
CHOSEN = ["posthog_get_feature_flag", "posthog_list_feature_flags", "posthog_run_trends"]
QUESTION = "Is the new-onboarding flag on?"


def selector_and_model() -> tuple[RecordingModel, RecordingModel]:
    def select(messages: list[BaseMessage], bound: list[Any]) -> AIMessage:
        # Structured output through tool calling: one call of the one tool it was bound with.
        (schema,) = bound
        name, _ = selection(schema)
        return AIMessage(
            content="", tool_calls=[{"name": name, "args": {"tools": CHOSEN}, "id": "pick"}]
        )

    def act(messages: list[BaseMessage], bound: list[Any]) -> AIMessage:
        if not any(isinstance(m, ToolMessage) for m in messages):
            return AIMessage(
                content="",
                tool_calls=[{"name": "posthog_get_feature_flag", "args": {"id": 1234}, "id": "c1"}],
            )
        return AIMessage(content="new-onboarding is active.")

    return RecordingModel(answer=select), RecordingModel(answer=act)


@pytest.mark.vcr
@pytest.mark.default_cassette("posthog_get_feature_flag.yaml")
@pytest.mark.usefixtures("vcr")
@pytest.mark.parametrize("run", ["sync", "async"])
async def test_tool_selector_sees_every_tool_and_the_model_only_its_choice(
    toolkit: PostHogToolkit, run: str
) -> None:
    tools = toolkit.get_tools()
    selector, model = selector_and_model()
    agent = create_agent(
        model,
        tools=tools,
        middleware=[LLMToolSelectorMiddleware(model=selector, max_tools=2)],
    )
    if run == "sync":
        state = agent.invoke({"messages": [HumanMessage(QUESTION)]})
    else:
        state = await agent.ainvoke({"messages": [HumanMessage(QUESTION)]})

    # Before each of the model's two calls, the selector was asked about every tool, by name
    # and description, with the person's question.
    assert len(selector.bound) == len(model.bound) == 2
    for binding, asked in zip(selector.bound, selector.asked, strict=True):
        (schema,) = binding
        assert selection(schema)[1] == {t.name: t.description for t in tools}
        assert asked[-1].content == QUESTION
    # The model was bound with only the first two tools chosen, on every call.
    for binding in model.bound:
        assert sorted(t.name for t in binding) == sorted(CHOSEN[:2])
    # And the call it made ran.
    (result,) = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert result.status == "success" and '"new-onboarding" (id 1234)' in str(result.content)
    assert state["messages"][-1].content == "new-onboarding is active."
