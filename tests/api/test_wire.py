"""The request a call becomes: its origin, its key, its headers and its query string."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_posthog.api.calls import Call
from langchain_posthog.api.errors import (
    PostHogConfigError,
)
from tests.api import GET, Server, make_client, ok
from tests.conftest import PERSONAL_KEY


def test_auth_headers_and_url(send: Any) -> None:
    server = Server(ok({"results": []}))
    reply = send(make_client(server), GET)
    request = server.requests[0]
    assert reply.data == {"results": []}
    assert request.headers["Authorization"] == f"Bearer {PERSONAL_KEY}"
    assert request.headers["Accept-Encoding"] == "gzip"
    assert request.headers["User-Agent"].startswith("langchain-posthog/")
    assert str(request.url) == (
        "https://us.posthog.com/api/projects/2/feature_flags/?search=a+b&limit=5"
    )


def test_missing_keys_are_named_and_nothing_is_sent() -> None:
    server = Server(ok())
    client = make_client(server, personal_api_key=None, project_api_key=None)
    with pytest.raises(PostHogConfigError, match="POSTHOG_PERSONAL_API_KEY"):
        client.request(GET)
    with pytest.raises(PostHogConfigError, match="POSTHOG_PROJECT_API_KEY"):
        client.request(Call("POST", "/i/v0/e/", json={}, host="ingest", with_project_key=True))
    assert server.requests == []
