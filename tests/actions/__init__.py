"""Tests of the action table, one module per PostHog area, and the fake PostHog they share.

The fakes sit behind httpx.MockTransport: no test that uses them carries the vcr mark (VCR would
intercept the transport), and each counts what reached PostHog.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import httpx

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions._row import Action
from tests.conftest import PERSONAL_KEY, PROJECT_ID, PROJECT_KEY, UNLIMITED
from tests.standin import responses

Handler = Callable[[httpx.Request], httpx.Response]
Answer = Callable[[Any], Any]


def body(request: httpx.Request) -> Any:
    """A request's JSON body, gunzipped, or ``None``."""
    raw = request.content
    if request.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw) if raw else None


class Server:
    """A fake PostHog: records every request and answers from a list, then with ``default``."""

    def __init__(self, *answers: httpx.Response, default: Handler | None = None) -> None:
        self.answers = list(answers)
        self.default = default or (lambda r: httpx.Response(200, json={"status": "Ok"}))
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else self.default(request)

    @property
    def bodies(self) -> list[Any]:
        return [body(r) for r in self.requests]

    def body(self, index: int = -1) -> Any:
        return body(self.requests[index])


def answering(answer: Any, status: int = 200) -> Server:
    """A fake PostHog that answers every request with ``answer``."""
    return Server(default=lambda request: httpx.Response(status, json=answer))


def make_toolkit(server: Handler, **settings: Any) -> PostHogToolkit:
    """A toolkit bound to the cassettes' project, sending to ``server``; ``None`` drops one."""
    transport = httpx.MockTransport(server)
    options: dict[str, Any] = {
        "personal_api_key": PERSONAL_KEY,
        "project_api_key": PROJECT_KEY,
        "project_id": PROJECT_ID,
        "max_retries": 0,
        "rate_limits": UNLIMITED,
        "http_client": httpx.Client(transport=transport),
        "async_http_client": httpx.AsyncClient(transport=transport),
        **settings,
    }
    return PostHogToolkit(**{k: v for k, v in options.items() if v is not None})


def tool_call(toolkit: PostHogToolkit, name: str, args: dict[str, Any]) -> Any:
    """The ToolMessage of calling ``name`` as a model would."""
    tool = next(t for t in toolkit.get_tools() if t.name == name)
    return tool.invoke({"name": name, "args": args, "id": "call-1", "type": "tool_call"})


def recorded(change: Answer = lambda body: body) -> Handler:
    """PostHog's recorded answer to each request, passed through ``change`` first."""

    def handle(request: httpx.Request) -> httpx.Response:
        found = responses.answer(request.method, request.url.path, request.content)
        if found is None:
            return httpx.Response(404, json=responses.NOT_FOUND)
        return httpx.Response(found.status, json=change(found.body))

    return handle


def content_of(toolkit: PostHogToolkit, action: Action, args: Any = None) -> str:
    """What a model reads of ``action`` run with ``args`` (its example by default)."""
    result = toolkit.execute(action.name, dict(action.example if args is None else args))
    assert result.successful, f"{action.name}: {result.error}"
    assert result.content is not None
    return result.content


def recorded_toolkit(change: Answer = lambda body: body, **settings: Any) -> PostHogToolkit:
    """A toolkit with every tool whose PostHog answers as recorded, through ``change``."""
    return make_toolkit(recorded(change), include_destructive=True, **settings)


def never(request: httpx.Request) -> httpx.Response:
    """A transport's answer for a test in which nothing may be sent."""
    raise AssertionError(f"nothing should be sent: {request.method} {request.url}")


def refusal(tool: str, args: dict[str, Any]) -> str:
    """The error of a call refused before anything is sent (``never`` fails the test otherwise)."""
    result = make_toolkit(never).execute(tool, args)
    assert not result.successful and result.error is not None
    assert "nothing was sent to PostHog" in result.error
    return result.error
