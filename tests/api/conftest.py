"""Fixtures of the PostHog side's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from langchain_posthog.api.calls import Call
from langchain_posthog.api.client import PostHogClient


@pytest.fixture(params=["sync", "async"])
def send(request: pytest.FixtureRequest) -> Callable[[PostHogClient, Call], Any]:
    if request.param == "sync":
        return lambda client, call: client.request(call)

    def run_async(client: PostHogClient, call: Call) -> Any:
        return asyncio.run(client.arequest(call))

    return run_async
