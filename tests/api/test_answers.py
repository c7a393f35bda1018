"""PostHog's answers read: its error bodies, a proxy's HTML page, and JSON cut short."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from langchain_posthog.api.errors import (
    PostHogAPIError,
    PostHogTransportError,
)
from langchain_posthog.api.retry import RetryPolicy
from tests.api import CREATE, GET, Server, make_client


def test_error_body_mapping() -> None:
    body = {"type": "validation_error", "code": "unique", "detail": "Taken.", "attr": "key"}
    server = Server(httpx.Response(400, json=body))
    with pytest.raises(PostHogAPIError) as caught:
        make_client(server).request(CREATE)
    e = caught.value
    assert (e.status, e.type, e.code, e.detail, e.attr) == (
        400,
        "validation_error",
        "unique",
        "Taken.",
        "key",
    )


def test_multiple_validation_errors_are_joined() -> None:
    body = {
        "type": "multiple",
        "list": [
            {"type": "validation_error", "code": "required", "detail": "Required.", "attr": "key"},
            {
                "type": "validation_error",
                "code": "invalid",
                "detail": "Bad.",
                "attr": "filters__groups",
            },
        ],
    }
    with pytest.raises(PostHogAPIError) as caught:
        make_client(Server(httpx.Response(400, json=body))).request(CREATE)
    assert caught.value.detail == "key: Required.; filters__groups: Bad."


def test_html_error_page_is_one_line(send: Any) -> None:
    page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5000
    server = Server(httpx.Response(502, text=page, headers={"Content-Type": "text/html"}))
    with pytest.raises(PostHogAPIError) as caught:
        send(make_client(server, retry=RetryPolicy(max_retries=0)), GET)
    assert caught.value.detail == "an HTML error page ('502 Bad Gateway'), not PostHog's JSON"
    assert "<" not in str(caught.value)


def test_truncated_json_is_a_clear_error(send: Any) -> None:
    server = Server(httpx.Response(200, text='{"results": [{"id": 1, "na'))
    with pytest.raises(PostHogTransportError) as caught:
        send(make_client(server, retry=RetryPolicy(max_retries=0)), GET)
    assert caught.value.kind == "bad_response"
    assert "could not be read" in str(caught.value)
