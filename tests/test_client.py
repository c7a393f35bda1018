"""The client over httpx.MockTransport: auth, URLs, retries, Retry-After, error mapping."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from langchain_posthog.api.calls import Call, api_path
from langchain_posthog.api.client import PostHogClient
from langchain_posthog.api.errors import (
    PostHogAPIError,
    PostHogConfigError,
    PostHogReadOnlyError,
    PostHogTransportError,
)
from langchain_posthog.api.hosts import resolve_hosts
from langchain_posthog.api.retry import RetryPolicy, parse_retry_after
from tests.conftest import PERSONAL_KEY, PROJECT_KEY

FAST = RetryPolicy(max_retries=3, backoff=0.001, max_backoff=0.002, max_retry_after=0.05)

Handler = Callable[[httpx.Request], httpx.Response]


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


@pytest.fixture(params=["sync", "async"])
def send(request: pytest.FixtureRequest) -> Callable[[PostHogClient, Call], Any]:
    if request.param == "sync":
        return lambda client, call: client.request(call)

    def run_async(client: PostHogClient, call: Call) -> Any:
        import asyncio

        return asyncio.run(client.arequest(call))

    return run_async


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


def test_capture_goes_to_ingest_host_with_project_key_in_body_not_header() -> None:
    server = Server(ok({"status": "Ok"}))
    client = make_client(server, host="eu")
    client.request(
        Call("POST", "/i/v0/e/", json={"event": "x"}, host="ingest", with_project_key=True)
    )
    request = server.requests[0]
    assert request.url.host == "eu.i.posthog.com"
    assert "Authorization" not in request.headers
    assert json.loads(request.content) == {"event": "x", "api_key": PROJECT_KEY}


def test_gzip_body() -> None:
    import gzip

    server = Server(ok())
    make_client(server).request(
        Call("POST", "/batch/", json={"batch": []}, host="ingest", gzip=True)
    )
    request = server.requests[0]
    assert request.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(request.content)) == {"batch": []}


@pytest.mark.parametrize(
    ("host", "ingest", "expected"),
    [
        (None, None, ("https://us.posthog.com", "https://us.i.posthog.com")),
        ("eu", None, ("https://eu.posthog.com", "https://eu.i.posthog.com")),
        ("EU", None, ("https://eu.posthog.com", "https://eu.i.posthog.com")),
        ("https://app.posthog.com/", None, ("https://us.posthog.com", "https://us.i.posthog.com")),
        ("https://eu.i.posthog.com", None, ("https://eu.posthog.com", "https://eu.i.posthog.com")),
        (
            "https://ph.acme.dev:8443/",
            None,
            ("https://ph.acme.dev:8443", "https://ph.acme.dev:8443"),
        ),
        (
            "ph.acme.dev",
            "https://capture.acme.dev",
            ("https://ph.acme.dev", "https://capture.acme.dev"),
        ),
        ("us", "https://us.posthog.com", ("https://us.posthog.com", "https://us.i.posthog.com")),
    ],
)
def test_hosts(host: str | None, ingest: str | None, expected: tuple[str, str]) -> None:
    assert resolve_hosts(host, ingest) == expected


@pytest.mark.parametrize("bad", ["ftp://example.com", "https://", "javascript:alert(1)"])
def test_bad_host_refused(bad: str) -> None:
    with pytest.raises(PostHogConfigError, match="host"):
        resolve_hosts(bad)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_reads_retry_transient_statuses(send: Any, status: int) -> None:
    server = Server(error(status), error(status), ok({"done": 1}))
    reply = send(make_client(server), GET)
    assert reply.data == {"done": 1}
    assert len(server.requests) == 3


def test_reads_give_up_after_max_retries_naming_status_and_attempts(send: Any) -> None:
    server = Server(error(503, "ClickHouse busy"))
    with pytest.raises(PostHogAPIError) as caught:
        send(make_client(server), GET)
    assert len(server.requests) == FAST.max_retries + 1
    assert caught.value.status == 503
    assert caught.value.attempts == 4
    assert "503" in str(caught.value) and "ClickHouse busy" in str(caught.value)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500])
def test_no_retry_on_errors_that_repeat(send: Any, status: int) -> None:
    server = Server(error(status))
    with pytest.raises(PostHogAPIError):
        send(make_client(server), GET)
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_create_is_never_sent_twice_after_server_error(send: Any, status: int) -> None:
    server = Server(error(status), ok(status=201))
    with pytest.raises(PostHogAPIError):
        send(make_client(server), CREATE)
    assert len(server.requests) == 1


def test_create_retries_429_and_creates_once(send: Any) -> None:
    server = Server(error(429, "Request was throttled."), ok({"id": 1}, status=201))
    reply = send(make_client(server), CREATE)
    assert reply.status == 201
    assert [r.method for r in server.requests] == ["POST", "POST"]


def test_create_retries_a_failed_connect_but_not_a_refusal_or_read_timeout(send: Any) -> None:
    unreached = Server(httpx.ConnectTimeout("no answer to the handshake"), ok(status=201))
    assert send(make_client(unreached), CREATE).status == 201
    assert len(unreached.requests) == 2

    refusal = httpx.ConnectError("refused")
    refusal.__cause__ = ConnectionRefusedError(111, "Connection refused")
    refused = Server(refusal, ok(status=201))
    with pytest.raises(PostHogTransportError) as caught:
        send(make_client(refused), CREATE)
    assert len(refused.requests) == 1
    assert caught.value.kind == "refused" and not caught.value.transient
    assert caught.value.safe_to_retry  # nothing reached PostHog

    timed_out = Server(httpx.ReadTimeout("slow"), ok(status=201))
    with pytest.raises(PostHogTransportError) as caught:
        send(make_client(timed_out), CREATE)
    assert len(timed_out.requests) == 1
    assert caught.value.kind == "timeout"
    assert not caught.value.safe_to_retry
    assert "may or may not have applied" in str(caught.value)


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped")]
)
def test_reads_retry_timeouts_and_dropped_connections(send: Any, failure: Exception) -> None:
    server = Server(failure, ok({"x": 1}))
    assert send(make_client(server), GET).data == {"x": 1}
    assert len(server.requests) == 2


def test_timeout_gives_one_clear_line(send: Any) -> None:
    server = Server(httpx.ReadTimeout("slow"))
    with pytest.raises(PostHogTransportError) as caught:
        send(make_client(server, retry=RetryPolicy(max_retries=1, backoff=0.001)), GET)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith("GET /api/projects/2/feature_flags/ timed out after 2 attempts")
    assert "safe to try again" in text


def test_retry_after_seconds_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    server = Server(error(429, "throttled", **{"Retry-After": "7"}), ok())
    client = make_client(server, retry=RetryPolicy(max_retries=2, max_retry_after=60))
    client.request(GET)
    assert waits == [7.0]


def test_retry_after_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    server = Server(error(429, "", **{"Retry-After": "3600"}), ok())
    make_client(server, retry=RetryPolicy(max_retries=2, max_retry_after=30)).request(GET)
    assert waits == [30.0]


def test_throttle_detail_used_when_header_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    server = Server(error(429, "Request was throttled. Expected available in 12 seconds."), ok())
    make_client(server, retry=RetryPolicy(max_retries=1)).request(GET)
    assert waits == [12.0]


def test_parse_retry_after_forms() -> None:
    future = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    assert parse_retry_after("5") == 5.0
    assert 15 < (parse_retry_after(future) or 0) <= 20
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(max_retries=10, backoff=1.0, max_backoff=4.0)
    delays = [policy.delay(GET, n, status=503) for n in range(1, 6)]
    assert all(d is not None for d in delays)
    assert 0.5 <= delays[0] <= 1.0  # type: ignore[operator]
    assert 1.0 <= delays[1] <= 2.0  # type: ignore[operator]
    assert all(d <= 4.0 for d in delays)  # type: ignore[operator]


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


def test_secrets_in_responses_are_redacted() -> None:
    body = {"api_token": "phc_other", "nested": {"note": f"key {PERSONAL_KEY}"}}
    reply = make_client(Server(ok(body))).request(GET)
    assert reply.data == {"api_token": "[redacted]", "nested": {"note": "key [redacted]"}}


def test_error_detail_never_echoes_a_key() -> None:
    server = Server(error(400, f"bad token {PROJECT_KEY}"))
    with pytest.raises(PostHogAPIError) as caught:
        make_client(server).request(CREATE)
    assert PROJECT_KEY not in str(caught.value)


def test_read_only_client_refuses_writes_but_allows_query_posts(send: Any) -> None:
    server = Server(ok())
    client = make_client(server, read_only=True)
    for call in [
        CREATE,
        Call("PATCH", "/api/projects/2/feature_flags/1/", json={}),
        Call("DELETE", "/api/projects/2/feature_flags/1/"),
        Call("POST", "/i/v0/e/", json={}, host="ingest", with_project_key=True),
        Call("POST", "/api/projects/2/query/../feature_flags/", json={}),
        Call("POST", "/api/projects/2/query/", json={}, host="ingest"),
    ]:
        with pytest.raises(PostHogReadOnlyError):
            send(client, call)
    assert server.requests == []
    send(client, Call("POST", "/api/projects/2/query/", json={"query": {}}))
    send(client, Call("POST", "/api/projects/@current/surveys/abc/summarize_responses/"))
    assert len(server.requests) == 2


def test_missing_keys_are_named_and_nothing_is_sent() -> None:
    server = Server(ok())
    client = make_client(server, personal_api_key=None, project_api_key=None)
    with pytest.raises(PostHogConfigError, match="POSTHOG_PERSONAL_API_KEY"):
        client.request(GET)
    with pytest.raises(PostHogConfigError, match="POSTHOG_PROJECT_API_KEY"):
        client.request(Call("POST", "/i/v0/e/", json={}, host="ingest", with_project_key=True))
    assert server.requests == []


@pytest.mark.parametrize("bad", ["../1", "1/2", "1?x=1", "1#f", "a b", "%2F", "..", "."])
def test_api_path_refuses_ids_that_change_the_path(bad: str) -> None:
    with pytest.raises(PostHogConfigError, match="not a valid id"):
        api_path("/api/projects/{project_id}/feature_flags/{id}/", project_id=2, id=bad)


def test_client_repr_hides_keys() -> None:
    text = repr(make_client(Server(ok())))
    assert PERSONAL_KEY not in text and PROJECT_KEY not in text


def test_one_async_client_per_event_loop() -> None:
    import asyncio

    server = Server(ok())
    client = make_client(server)
    asyncio.run(client.arequest(GET))
    first = client._async
    asyncio.run(client.arequest(GET))  # a second loop must not reuse the first loop's client
    assert client._async is not first
    assert len(server.requests) == 2


def test_injected_clients_are_used_and_not_closed() -> None:
    server = Server(ok())
    http = httpx.Client(transport=httpx.MockTransport(server))
    client = PostHogClient(personal_api_key=PERSONAL_KEY, http_client=http)
    client.request(GET)
    client.close()
    assert not http.is_closed
    assert len(server.requests) == 1
    http.close()
