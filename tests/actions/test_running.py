"""Running a query: polled while PostHog runs it in the background, and its failures explained."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from langchain_posthog.actions._running import POLL_WAITS
from tests.actions import make_toolkit


class BackgroundQuery:
    """A query API that answers 202 and then reports ``statuses`` one poll at a time."""

    def __init__(self, *statuses: dict[str, Any]) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        running = {"id": "q1", "team_id": 2, "complete": False, "query_async": True}
        if request.method == "POST":
            return httpx.Response(202, json={"query_status": running})
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return httpx.Response(200, json={"query_status": {**running, **status}})


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_query_still_running_after_the_polls_returns_its_id(
    no_sleep: list[float], mode: str
) -> None:
    server = BackgroundQuery({"complete": False})
    toolkit = make_toolkit(server)
    args = {"query": "SELECT count() FROM events"}
    if mode == "sync":
        result = toolkit.execute("posthog_run_hogql_query", args)
    else:
        result = asyncio.run(toolkit.aexecute("posthog_run_hogql_query", args))
    assert result.successful
    assert "still running this query (id q1)" in (result.content or "")
    assert "query_id" in (result.content or "")
    assert [r.method for r in server.requests] == ["POST"] + ["GET"] * len(POLL_WAITS)
    assert server.requests[-1].url.path == "/api/projects/2/query/q1/"
    assert no_sleep == list(POLL_WAITS) and sum(no_sleep) <= 25


def test_a_query_that_fails_in_the_background_explains_why(no_sleep: list[float]) -> None:
    server = BackgroundQuery(
        {"complete": False},
        {"complete": True, "error": True, "error_message": "Unknown table `evnts`"},
    )
    result = make_toolkit(server).execute(
        "posthog_run_hogql_query", {"query": "SELECT 1 FROM evnts"}
    )
    assert not result.successful
    assert "Unknown table `evnts`" in (result.error or "")
    assert "Fix the SQL" in (result.error or "")
    assert no_sleep == list(POLL_WAITS[:2])


def test_funnel_and_trends_poll_too(no_sleep: list[float]) -> None:
    steps = [{"name": "a", "count": 10, "order": 0}, {"name": "b", "count": 4, "order": 1}]
    server = BackgroundQuery({"complete": True, "results": {"results": steps, "isUdf": True}})
    result = make_toolkit(server).execute("posthog_run_funnel", {"events": ["a", "b"]})
    assert result.successful
    assert '2. "b": 4 (40.0% of previous, 40.0% of first)' in (result.content or "")
    body = json.loads(server.requests[0].content)
    assert body["refresh"] == "blocking" and body["name"] == "langchain-posthog: funnel"
