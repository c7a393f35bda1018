"""Neither key ever appears in content, artifacts, errors, logs, reprs or cassettes."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx
import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS
from tests.conftest import CASSETTES, PERSONAL_KEY, PROJECT_ID, PROJECT_KEY

KEYS = (PERSONAL_KEY, PROJECT_KEY)
KEY_SHAPE = re.compile(r"ph[xc]_[A-Za-z0-9]{8,}")


def leaks(text: str) -> list[str]:
    return [k for k in KEYS if k in text] + KEY_SHAPE.findall(text)


def test_no_cassette_holds_a_key_or_an_auth_header() -> None:
    for path in CASSETTES.rglob("*.yaml"):
        text = path.read_text()
        assert not leaks(text), path.name
        assert not re.search(r"(?im)^\s*-?\s*authorization:", text), path.name
        assert "Bearer" not in text, path.name


def echoing_server(request: httpx.Request) -> httpx.Response:
    """A hostile server: every answer repeats every key it was sent, in every way it can."""
    seen = request.headers.get("Authorization", "") + request.content.decode(errors="replace")
    found = [k for k in KEYS if k in seen]
    body: dict[str, Any] = {
        "type": "validation_error",
        "code": "invalid",
        "detail": f"bad request with {' and '.join(found)}",
        "attr": "api_key",
        "api_token": PROJECT_KEY,
    }
    status = 400 if request.method != "GET" else 200
    if status == 200:
        body = {
            "results": [{"id": 1, "name": f"x {PERSONAL_KEY}", "api_token": PROJECT_KEY}],
            "token": PERSONAL_KEY,
            "count": 1,
            "key": f"k{PROJECT_KEY}",
        }
    return httpx.Response(status, json=body, headers={"X-Echo": found[0] if found else ""})


@pytest.fixture
def hostile_toolkit() -> PostHogToolkit:
    transport = httpx.MockTransport(echoing_server)
    return PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_api_key=PROJECT_KEY,
        project_id=PROJECT_ID,
        include_destructive=True,
        max_retries=0,
        http_client=httpx.Client(transport=transport),
    )


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_no_key_in_any_tool_output_even_when_the_server_echoes_it(
    hostile_toolkit: PostHogToolkit, action: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tool = next((t for t in hostile_toolkit.get_tools() if t.name == action.name), None)
    assert tool is not None
    call = {"name": tool.name, "args": dict(action.example), "id": "1", "type": "tool_call"}
    message = tool.invoke(call)
    result = hostile_toolkit.execute(action.name, dict(action.example))
    texts = [
        str(message.content),
        json.dumps(message.artifact, default=str),
        repr(message),
        repr(result),
        json.dumps(result.data, default=str),
        caplog.text,
        repr(tool),
        repr(hostile_toolkit),
    ]
    for text in texts:
        assert not leaks(text), text[:500]


def test_no_key_in_validation_errors_or_tracebacks() -> None:
    toolkit = PostHogToolkit(personal_api_key=PERSONAL_KEY, project_api_key=PROJECT_KEY)
    result = toolkit.execute("posthog_create_feature_flag", {"key": PERSONAL_KEY + "!"})
    assert not result.successful
    # The model sent the key itself as an argument; the error quotes no input values.
    assert PERSONAL_KEY not in (result.error or "")
    with pytest.raises(Exception) as caught:
        PostHogToolkit(personal_api_key=PROJECT_KEY)
    assert not leaks(str(caught.value)) and not leaks(repr(caught.value))
