"""What is sent again and what is not: the retry policy, and failures that are settings."""

from __future__ import annotations

import email.utils
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.api.errors import (
    PostHogAPIError,
    PostHogTransportError,
)
from langchain_posthog.api.retry import RetryPolicy, parse_retry_after
from tests.api import CREATE, GET, Server, error, make_client, ok
from tests.conftest import PERSONAL_KEY
from tests.standin import close_toolkit, make_toolkit


# A 500 is not retried either: tests/standin/test_faults.py shows it over a real server.
@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_no_retry_on_errors_that_repeat(send: Any, status: int) -> None:
    server = Server(error(status))
    with pytest.raises(PostHogAPIError):
        send(make_client(server), GET)
    assert len(server.requests) == 1


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Counting(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def plain_http() -> Iterator[tuple[str, list[int]]]:
    """A plain-HTTP server on loopback, and a list that grows by one per connection."""
    connections: list[int] = []

    class Server(HTTPServer):
        def process_request(self, request: Any, client_address: Any) -> None:
            connections.append(1)
            super().process_request(request, client_address)

    server = Server(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", connections
    finally:
        server.shutdown()
        server.server_close()


async def run_both(kit: PostHogToolkit, name: str, args: dict[str, Any]) -> list[str]:
    """The error text of ``name`` from execute, aexecute, invoke and ainvoke."""
    tool = next(t for t in kit.get_tools() if t.name == name)
    call = {"name": name, "args": args, "id": "c1", "type": "tool_call"}
    sync, async_ = kit.execute(name, args), await kit.aexecute(name, args)
    invoked, ainvoked = tool.invoke(call), await tool.ainvoke(call)
    assert invoked.status == ainvoked.status == "error"
    assert not sync.successful and not async_.successful
    return [sync.error or "", async_.error or "", invoked.content, ainvoked.content]


@pytest.mark.allow_hosts(["127.0.0.1"])
@pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])
async def test_a_refused_connection_names_the_host_and_is_not_retried() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    kit = make_toolkit(url, own_clients=True, max_retries=3)
    try:
        for text in await run_both(kit, "posthog_create_feature_flag", {"key": "beta"}):
            assert f"could not reach PostHog at {url}: connection refused" in text
            assert "retrying will not help" in text and "attempts" not in text
            assert "\n" not in text
    finally:
        await close_toolkit(kit)


@pytest.mark.allow_hosts(["127.0.0.1"])
@pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])
@pytest.mark.parametrize("scheme", ["https://", ""])  # no scheme means https
async def test_https_aimed_at_a_plain_http_port_says_so_and_is_not_retried(
    plain_http: tuple[str, list[int]], scheme: str
) -> None:
    address, connections = plain_http
    kit = make_toolkit(scheme + address, own_clients=True, max_retries=3)
    try:
        texts = await run_both(kit, "posthog_get_feature_flag", {"id": 7})
    finally:
        await close_toolkit(kit)
    for text in texts:
        assert f"could not reach PostHog at https://{address}: the TLS handshake failed" in text
        assert "does not speak TLS" in text and "write the host as http://" in text
        assert "attempts" not in text
    assert len(connections) == len(texts)  # one connection per call: none retried


def test_a_host_that_does_not_resolve_names_it_and_is_not_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked_up: list[str] = []

    def no_such_host(host: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    # The real httpx stack, with the resolver answering as it does for a name that does not exist.
    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    kit = PostHogToolkit(personal_api_key=PERSONAL_KEY, host="https://posthog.example.invalid")
    result = kit.execute("posthog_get_current_user")
    kit.close()
    assert result.error == (
        "GET /api/users/@me/ could not reach PostHog at https://posthog.example.invalid: no such "
        "host (posthog.example.invalid does not resolve). Check the host (POSTHOG_HOST or host=): "
        "'us', 'eu', or your PostHog's URL; if it is right, check this machine's network and DNS. "
        "This is a setting, not a passing fault: retrying will not help."
    )
    assert looked_up == ["posthog.example.invalid"]

    # PostHog Cloud's names always resolve: the machine is offline, the setting is not wrong.
    cloud = PostHogToolkit(personal_api_key=PERSONAL_KEY, host="eu")
    error = cloud.execute("posthog_get_current_user").error or ""
    cloud.close()
    assert error.startswith(
        "GET /api/users/@me/ could not reach PostHog at https://eu.posthog.com: eu.posthog.com "
        "does not resolve, and PostHog Cloud's hosts always do, so this machine has no working "
        "DNS or network."
    )
    assert "POSTHOG_HOST" not in error and "setting" not in error
    # Any other name under posthog.com may be a typo: the setting is the suspect there.
    other = PostHogToolkit(personal_api_key=PERSONAL_KEY, host="https://proxy.posthog.com")
    assert "Check the host (POSTHOG_HOST" in (other.execute("posthog_get_current_user").error or "")
    other.close()
    assert looked_up == ["posthog.example.invalid", "eu.posthog.com", "proxy.posthog.com"]
