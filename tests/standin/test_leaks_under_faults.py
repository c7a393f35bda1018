"""No secret leaks when things go wrong: every tool, every fault, every way of calling.

The stand-in answers every request of a round with one fault (or with a hostile echo of every
credential the request carried). Every tool of the action table is then called with its example
(destination credentials made realistic) through ``ainvoke``, ``invoke``, ``execute``,
``aexecute`` and a raw ``run`` that lets the ToolException out. Neither API key, nor any batch
export destination credential, may appear in any content, artifact, result, exception text or
traceback, DEBUG log record of any logger, or repr.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from langchain_core.tools import ToolException
from pydantic import ValidationError

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions._row import Action
from langchain_posthog.api.redaction import REDACTED, SENSITIVE_KEYS
from langchain_posthog.tool import PostHogTool
from tests.conftest import PERSONAL_KEY, PROJECT_KEY
from tests.standin import (
    FAULT_KINDS,
    LOOPBACK_ONLY,
    Fault,
    StandIn,
    close_toolkit,
    echo,
    html,
    make_toolkit,
    serve,
    throttle,
)

pytestmark = LOOPBACK_ONLY

KEYS = (PERSONAL_KEY, PROJECT_KEY)
ROUNDS: dict[str, Callable[[], Fault]] = {
    **FAULT_KINDS,
    "429-detail": lambda: throttle(None, detail_seconds=0),
    "html-200": lambda: html(200),
    **{
        f"echo-{status}": functools.partial(echo, status)
        for status in (200, 400, 401, 403, 404, 429, 500, 503)
    },
}


@pytest.fixture
def standin() -> Iterator[StandIn]:
    yield from serve()


@pytest.fixture
async def toolkit(standin: StandIn) -> AsyncIterator[PostHogToolkit]:
    # A timeout far longer than any answer takes on a loaded machine: every call reads what the
    # stand-in answered. Only the round of slow answers times out, on a toolkit of its own.
    kit = make_toolkit(standin, timeout=20.0, max_retries=1)
    yield kit
    await close_toolkit(kit)


def _fake_credential(path: str) -> str:
    digest = hashlib.sha256(path.encode()).hexdigest()
    return "AKIA" + digest[:16].upper() if "id" in path else "wJalr" + digest[:35]


def with_real_looking_credentials(action: Action) -> tuple[dict[str, Any], list[str]]:
    """The example, with each credential (a value under a sensitive key) made realistic."""
    found: list[str] = []

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key.lower() in SENSITIVE_KEYS and isinstance(item, str) and item:
                    out[key] = _fake_credential(f"{path}.{key}")
                    found.append(out[key])
                else:
                    out[key] = walk(item, f"{path}.{key}")
            return out
        if isinstance(value, list):
            return [walk(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return value

    args = walk(dict(action.example), action.name)
    try:
        action.args.model_validate(args)
    except ValidationError:  # the model wants another shape: keep the example's own values
        args = dict(action.example)
        found = []
        walk(args, action.name)
    return args, found


def leaks(text: str, secrets: tuple[str, ...]) -> list[str]:
    return [s for s in secrets if s and s in text]


WAYS = ("ainvoke", "invoke", "aexecute", "execute", "run")


async def call_every_way(
    toolkit: PostHogToolkit, pool: ThreadPoolExecutor, turn: int = 0, ways: int = 1
) -> tuple[list[str], tuple[str, ...]]:
    """Every text a user, a model or a log could see, from every tool.

    Each tool is called ``ways`` of the five ways, chosen by ``turn``, so that across the rounds
    of faults every tool meets every way without each round paying for all five.
    """
    loop = asyncio.get_running_loop()
    tools = {t.name: t for t in toolkit.get_tools()}
    jobs: list[Any] = []
    secrets: list[str] = list(KEYS)
    for index, (name, tool) in enumerate(tools.items()):
        action: Action = tool.action  # type: ignore[attr-defined]
        args, credentials = with_real_looking_credentials(action)
        secrets += credentials
        call = {"name": name, "args": args, "id": f"leak-{name}", "type": "tool_call"}
        for way in (WAYS[(index + turn + k) % len(WAYS)] for k in range(ways)):
            if way == "ainvoke":
                jobs.append(tool.ainvoke(call))
            elif way == "invoke":
                jobs.append(loop.run_in_executor(pool, tool.invoke, call))
            elif way == "aexecute":
                jobs.append(toolkit.aexecute(name, args))
            elif way == "execute":
                jobs.append(loop.run_in_executor(pool, toolkit.execute, name, args))
            else:
                raw = PostHogTool.from_action(action, toolkit.client, toolkit.bound_project)
                raw.handle_tool_error = False
                jobs.append(loop.run_in_executor(pool, _raw_run, raw, args))
    results = await asyncio.gather(*jobs)
    texts: list[str] = []
    for result in results:
        texts += [repr(result), json.dumps(getattr(result, "artifact", None), default=str)]
        texts += [str(getattr(result, "content", "")), str(getattr(result, "error", ""))]
        texts.append(json.dumps(getattr(result, "data", None), default=str))
    texts += [repr(toolkit), repr(toolkit.client), *(repr(t) for t in tools.values())]
    return texts, tuple(secrets)


def _raw_run(tool: PostHogTool, args: dict[str, Any]) -> str:
    """The exception a caller without handle_tool_error sees: its text and its traceback."""
    try:
        return str(tool.run(args))
    except ToolException as error:
        return str(error) + repr(error) + "".join(traceback.format_exception(error))


@pytest.mark.parametrize(("turn", "fault"), list(enumerate(ROUNDS)), ids=lambda v: str(v))
async def test_no_secret_leaks_under_any_fault(
    toolkit: PostHogToolkit,
    standin: StandIn,
    turn: int,
    fault: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore
    standin.fail_always(ROUNDS[fault]())
    kit = make_toolkit(standin, timeout=0.3, max_retries=1) if fault == "timeout" else toolkit
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            texts, secrets = await call_every_way(kit, pool, turn)
    finally:
        if kit is not toolkit:
            await close_toolkit(kit)
    assert standin.requests, "no request reached the stand-in"
    texts += [caplog.text, *(str(r.args) for r in caplog.records)]
    for text in texts:
        assert not leaks(text, secrets), text[:800]
    if fault.startswith("echo"):  # the echo was read, and masked, not ignored
        assert any(REDACTED in text for text in texts)


async def test_every_key_and_credential_was_really_sent(
    toolkit: PostHogToolkit, standin: StandIn
) -> None:
    # The leak test means something only if the secrets were on the wire to be echoed.
    standin.fail_always(echo(400))
    with ThreadPoolExecutor(max_workers=8) as pool:
        _, secrets = await call_every_way(toolkit, pool, ways=len(WAYS))
    wire = " ".join(
        r.headers.get("authorization", "") + json.dumps(r.body, default=str)
        for r in standin.requests
    )
    for secret in secrets:
        assert secret in wire, secret


async def test_a_key_echoed_as_an_object_key_is_masked(
    toolkit: PostHogToolkit, standin: StandIn
) -> None:
    standin.route(
        "GET",
        lambda path: path.endswith("/feature_flags/7/"),
        lambda request: (200, {"id": 7, "key": "k", "filters": {"payloads": {PERSONAL_KEY: "1"}}}),
    )
    result = await toolkit.aexecute("posthog_get_feature_flag", {"id": 7})
    assert result.successful
    assert PERSONAL_KEY not in json.dumps(result.data) + str(result.content)
