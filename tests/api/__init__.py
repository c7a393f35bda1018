"""Tests of the PostHog side, and a scripted PostHog behind httpx.MockTransport for them."""

from __future__ import annotations

from typing import Any

import httpx

from langchain_posthog.api.calls import Call
from langchain_posthog.api.client import PostHogClient
from langchain_posthog.api.retry import RetryPolicy
from tests.conftest import PERSONAL_KEY, PROJECT_KEY

FAST = RetryPolicy(max_retries=3, backoff=0.001, max_backoff=0.002, max_retry_after=0.05)


class Server:
    """A scripted PostHog: answers in order, records every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        return self(request)


def make_client(server: Server, **kwargs: Any) -> PostHogClient:
    settings: dict[str, Any] = {
        "personal_api_key": PERSONAL_KEY,
        "project_api_key": PROJECT_KEY,
        "retry": FAST,
    }
    settings.update(kwargs)
    return PostHogClient(
        transport=httpx.MockTransport(server),
        async_transport=httpx.MockTransport(server.handle_async),
        **settings,
    )


def ok(body: Any = None, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {"ok": True}, headers=headers)


def error(status: int, detail: str = "", **headers: str) -> httpx.Response:
    body = {"type": "server_error", "code": "error", "detail": detail, "attr": None}
    return httpx.Response(status, json=body, headers=headers)


GET = Call("GET", "/api/projects/2/feature_flags/", params={"search": "a b", "limit": 5})

CREATE = Call("POST", "/api/projects/2/feature_flags/", json={"key": "k"})
