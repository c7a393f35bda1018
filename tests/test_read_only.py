"""Read-only means read-only: with ``read_only=True`` nothing that changes data reaches PostHog.

The stand-in records every request; the only non-GET requests it may see are the query API's
read POST (``/api/projects/{id}/query/``) and a survey's ``summarize_responses``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS
from langchain_posthog.actions._row import Action
from langchain_posthog.api.calls import Call
from langchain_posthog.api.client import PostHogClient
from langchain_posthog.api.errors import PostHogAPIError, PostHogReadOnlyError
from langchain_posthog.tool import PostHogTool
from tests.conftest import PERSONAL_KEY, PROJECT_ID, PROJECT_KEY
from tests.standin import LOOPBACK_ONLY, StandIn, close_toolkit, make_toolkit, serve
from tests.test_fuzz import arguments

pytestmark = LOOPBACK_ONLY

READ_POST = re.compile(r"^/api/projects/[^/]+/(query/|surveys/[^/]+/summarize_responses/)$")
WRITES = [a for a in ACTIONS if a.scope != "read"]


@pytest.fixture
def standin() -> Iterator[StandIn]:
    yield from serve()


@pytest.fixture
async def toolkit(standin: StandIn) -> AsyncIterator[PostHogToolkit]:
    # Destructive tools asked for too: read_only must win over include_destructive.
    kit = make_toolkit(standin, read_only=True, include_destructive=True)
    yield kit
    await close_toolkit(kit)


def assert_only_reads(standin: StandIn) -> None:
    for request in standin.requests:
        read = request.method in {"GET", "HEAD", "OPTIONS"}
        assert read or (request.method == "POST" and READ_POST.match(request.raw_path)), (
            f"{request.method} {request.raw_path} reached PostHog through a read-only toolkit"
        )


def test_a_read_only_toolkit_offers_only_read_tools(toolkit: PostHogToolkit) -> None:
    tools = toolkit.get_tools()
    assert tools
    assert all(t.metadata and t.metadata["read_only"] for t in tools)
    assert {t.name for t in tools} == {a.name for a in ACTIONS if a.scope == "read"}


def _names(action: Action) -> list[str]:
    names = [action.name, f" {action.name} "]
    if action.catalogue:
        names += [action.catalogue, f"POSTHOG_{action.catalogue}", action.catalogue.lower()]
    return names


@pytest.mark.parametrize("action", WRITES, ids=lambda a: a.name)
async def test_execute_refuses_every_write_by_any_name(
    toolkit: PostHogToolkit, standin: StandIn, action: Action
) -> None:
    for name in _names(action):
        result = toolkit.execute(name, dict(action.example))
        assert not result.successful and "read_only" in (result.error or ""), (name, result)
        result = await toolkit.aexecute(name, dict(action.example))
        assert not result.successful and "read_only" in (result.error or ""), (name, result)
    assert not standin.requests


@pytest.mark.parametrize("action", WRITES, ids=lambda a: a.name)
async def test_a_write_tool_built_on_a_read_only_client_sends_no_write(
    toolkit: PostHogToolkit, standin: StandIn, action: Action
) -> None:
    # Bypass the toolkit's selection altogether: the client is the last line, and it holds.
    tool = PostHogTool.from_action(action, toolkit.client, toolkit.bound_project)
    call = {"name": tool.name, "args": dict(action.example), "id": "1", "type": "tool_call"}
    for message in (tool.invoke(call), await tool.ainvoke(call)):
        assert message.status == "error"
        assert "read-only" in message.content and "was not sent" in message.content
    assert_only_reads(standin)


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_no_arguments_make_any_action_write(standin: StandIn, action: Action) -> None:
    kit = make_toolkit(standin, read_only=True, include_destructive=True, max_retries=0)
    tool = PostHogTool.from_action(action, kit.client, kit.bound_project)

    @settings(
        max_examples=6,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=arguments(action))
    def fuzz(case: tuple[bool, dict[str, Any]]) -> None:
        _, args = case
        # InvalidURL: a known crash on overlong URLs (test_fuzz.py pins it); nothing is sent.
        with contextlib.suppress(httpx.InvalidURL):
            tool.invoke({"name": tool.name, "args": args, "id": "1", "type": "tool_call"})
        with contextlib.suppress(httpx.InvalidURL):
            kit.execute(action.name, args)

    try:
        fuzz()
        tool.invoke(
            {"name": tool.name, "args": dict(action.example), "id": "1", "type": "tool_call"}
        )
    finally:
        asyncio.run(close_toolkit(kit))
    assert_only_reads(standin)
    if action.scope == "read":
        assert standin.requests, "the example of a read action should reach PostHog"


WRITE_CALLS = [
    Call("POST", f"/api/projects/{PROJECT_ID}/feature_flags/", json={"key": "k"}),
    Call("post", f"/api/projects/{PROJECT_ID}/feature_flags/bulk_delete/", json={"ids": [1]}),
    Call("PATCH", f"/api/projects/{PROJECT_ID}/feature_flags/7/", json={"deleted": True}),
    Call("PUT", f"/api/projects/{PROJECT_ID}/dashboards/12/", json={"name": "x"}),
    Call("DELETE", f"/api/projects/{PROJECT_ID}/cohorts/3/"),
    Call("PATCH", f"/api/projects/{PROJECT_ID}/query/", json={}),
    Call("POST", f"/api/projects/{PROJECT_ID}/query/../feature_flags/", json={"key": "k"}),
    Call("POST", f"/api/projects/{PROJECT_ID}/query/", host="ingest", json={}),
    Call("POST", "/i/v0/e/", host="ingest", with_project_key=True, json={"event": "e"}),
    Call("POST", "/batch/", host="ingest", with_project_key=True, gzip=True, json={"batch": []}),
    Call("POST", f"/api/projects/{PROJECT_ID}/feature_flags/", idempotent=True, json={}),
]


@pytest.mark.parametrize("call", WRITE_CALLS, ids=lambda c: f"{c.method} {c.host} {c.path}")
async def test_the_client_itself_refuses_writes(standin: StandIn, call: Call) -> None:
    client = PostHogClient(
        personal_api_key=PERSONAL_KEY,
        project_api_key=PROJECT_KEY,
        host=standin.url,
        ingest_host=standin.url,
        read_only=True,
    )
    try:
        with pytest.raises(PostHogReadOnlyError, match="read-only"):
            client.request(call)
        with pytest.raises(PostHogReadOnlyError, match="read-only"):
            await client.arequest(call)
    finally:
        await client.aclose()
    assert not standin.requests


async def test_the_client_still_sends_read_posts(standin: StandIn) -> None:
    client = PostHogClient(personal_api_key=PERSONAL_KEY, host=standin.url, read_only=True)
    query = {"query": {"kind": "HogQLQuery", "query": "SELECT 1"}}
    uuid = "0193a1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b"
    try:
        for path in (
            f"/api/projects/{PROJECT_ID}/query/",
            f"/api/projects/{PROJECT_ID}/surveys/{uuid}/summarize_responses/",
        ):
            # Whatever the stand-in answers; a PostHogReadOnlyError would fail the test.
            with contextlib.suppress(PostHogAPIError):
                await client.arequest(Call("POST", path, json=query))
    finally:
        await client.aclose()
    assert [r.method for r in standin.requests] == ["POST", "POST"]
    assert_only_reads(standin)
