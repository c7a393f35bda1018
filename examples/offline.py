"""What the examples need to run with no keys: recorded PostHog answers and a scripted model.

``replay_toolkit()`` is a real ``PostHogToolkit`` whose HTTP clients answer from the cassettes in
``cassettes/`` instead of the network. ``ScriptedModel`` is a chat model that follows a script
instead of thinking, so the same agent code runs end to end on any machine.
"""

from __future__ import annotations

import gzip
import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import yaml
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
# Left out when requests are matched: made anew on each call, or recorded redacted (credentials).
VOLATILE = {"uuid", "sentAt", "api_key", "aws_access_key_id", "aws_secret_access_key"}
DEMO_PROJECT = 2


def keys_present() -> bool:
    """Whether the user has configured a real PostHog."""
    return bool(os.environ.get("POSTHOG_PERSONAL_API_KEY"))


def example_args(tool: str) -> dict[str, Any]:
    """The arguments the recorded answers were written for (each action's example)."""
    return dict(next(a.example for a in ACTIONS if a.name == tool))


class ReplayTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers requests from recorded interactions, matched on method, path, query and body.

    A request nothing answers gets a 404 in PostHog's error format. After a successful update
    (PATCH), a read of the same object gets the update's answer, as it would from PostHog.
    """

    def __init__(self, files: Iterable[Path]) -> None:
        self._answers: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for path in files:
            found: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
            for interaction in yaml.safe_load(path.read_text()).get("interactions") or []:
                request = interaction["request"]
                key = _key(request["method"], request["uri"], request.get("body"))
                found[key].append(interaction["response"])
            # A later cassette's answers to the same request replace an earlier one's: a named
            # scenario wins over the successes, and a tool's own read (an update's GET) over
            # another tool's recording of it.
            self._answers.update(found)
        self._served: dict[tuple[Any, ...], int] = defaultdict(int)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = _key(request.method, str(request.url), request.content)
        answers = self._answers.get(key)
        if not answers:
            body = {
                "type": "invalid_request",
                "code": "not_found",
                "detail": "The offline demo has no recorded answer for this request.",
                "attr": None,
            }
            return httpx.Response(404, json=body)
        index = min(self._served[key], len(answers) - 1)
        self._served[key] += 1
        answer = answers[index]
        if request.method == "PATCH" and 200 <= answer["status"]["code"] < 300:
            # PostHog answers an update with the object as it now is: it reads back that way.
            read = ("GET", request.url.path, (), json.dumps(None))
            self._answers[read], self._served[read] = [answer], 0
        body = answer["body"]["string"] if answer.get("body") else ""
        headers = {k: v[0] for k, v in (answer.get("headers") or {}).items()}
        return httpx.Response(
            answer["status"]["code"],
            content=body.encode() if isinstance(body, str) else body,
            headers=headers,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.handle_request(request)


def _key(method: str, uri: str, body: Any) -> tuple[Any, ...]:
    url = httpx.URL(uri)
    query = tuple(sorted(parse_qsl(url.query.decode())))
    return (method.upper(), url.path, query, json.dumps(_json(body), sort_keys=True))


def _json(body: Any) -> Any:
    if body in (None, b"", ""):
        return None
    raw = body.encode() if isinstance(body, str) else body
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
    return _strip(data)


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def replay_toolkit(*, scenarios: Iterable[str] = (), **settings: Any) -> PostHogToolkit:
    """A toolkit on recorded answers: US cloud, project 2, made-up keys.

    Every tool's success cassette answers; ``scenarios`` adds others by name
    (``"posthog_run_trends.drop"`` for ``cassettes/posthog_run_trends.drop.yaml``), each answering
    the requests it recorded in place of the successes.
    """
    files = [p for p in sorted(CASSETTES.glob("*.yaml")) if p.name.count(".") == 1]
    transport = ReplayTransport([*files, *(CASSETTES / f"{name}.yaml" for name in scenarios)])
    settings.setdefault("project_id", DEMO_PROJECT)
    return PostHogToolkit(
        personal_api_key="phx_offline_demo",
        project_api_key="phc_offline_demo",
        http_client=httpx.Client(transport=transport),
        async_http_client=httpx.AsyncClient(transport=transport),
        **settings,
    )


Step = Callable[[Sequence[BaseMessage]], AIMessage]


class ScriptedModel(BaseChatModel):
    """A chat model that answers with ``script(messages)``: the demo's stand-in for an LLM.

    ``bound`` keeps the tools of each ``bind_tools`` call, newest last: what a real model would
    have been offered.
    """

    script: Step
    bound: list[list[Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-demo"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedModel:
        self.bound.append(list(tools))
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.script(messages))])


def call(tool: str, args: dict[str, Any] | None = None, call_id: str = "demo") -> AIMessage:
    """An AI message asking for one tool call (with the recorded example's args by default)."""
    arguments = example_args(tool) if args is None else args
    return AIMessage(content="", tool_calls=[{"name": tool, "args": arguments, "id": call_id}])


def head(text: Any, lines: int = 4, limit: int = 160) -> str:
    """The first few lines of a tool result, each cut at ``limit`` characters."""
    kept = [
        line if len(line) <= limit else line[: limit - 3] + "..."
        for line in str(text).strip().splitlines()[:lines]
    ]
    return "\n".join(kept)
