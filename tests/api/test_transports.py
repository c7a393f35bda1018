"""The async transport: httpx's own by default, aiohttp's with the extra; tools that patch either.

The fault, drop, timeout and concurrency suites run on both transports in CI
(``pytest --transport=aiohttp``); these tests hold whichever transport the run names.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Iterator
from typing import Any

import httpx
import httpx_aiohttp
import pytest
import respx

from langchain_posthog import PostHogConfigError, PostHogToolkit
from tests.conftest import PERSONAL_KEY, PROJECT_ID
from tests.standin import StandIn, close_toolkit, make_toolkit

FLAG = f"/api/projects/{PROJECT_ID}/feature_flags/7/"


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


def test_the_aiohttp_transport_without_its_extra_names_the_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "httpx_aiohttp" else real(name),
    )
    with pytest.raises(PostHogConfigError) as caught:
        PostHogToolkit(personal_api_key=PERSONAL_KEY, transport="aiohttp")
    assert "pip install 'langchain-posthog[aiohttp]'" in str(caught.value)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_the_repr_says_which_transport(transport: str) -> None:
    toolkit = PostHogToolkit(personal_api_key=PERSONAL_KEY, transport=transport)
    assert f"transport='{transport}'" in repr(toolkit)
    assert f"transport='{transport}'" in repr(toolkit.client)
    assert PERSONAL_KEY not in repr(toolkit) + repr(toolkit.client)


# Where a recording or tracing tool hooks in for each transport: httpx's own transport method
# (vcrpy, pytest-httpx, respx's httpx mode, OpenTelemetry's httpx instrumentation), and
# httpx-aiohttp's.
PATCH_POINTS = {
    "httpx": (httpx.AsyncHTTPTransport, "handle_async_request"),
    "aiohttp": (httpx_aiohttp.AiohttpTransport, "handle_async_request"),
}


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.allow_hosts(["127.0.0.1"])
@pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])
async def test_a_patched_transport_method_sees_every_request(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    seen: list[str] = []
    owner, method = PATCH_POINTS[transport]
    original = getattr(owner, method)

    async def traced(self: Any, request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return await original(self, request)  # type: ignore[no-any-return]

    sync_seen: list[str] = []
    sync_original = httpx.HTTPTransport.handle_request

    def sync_traced(self: Any, request: httpx.Request) -> httpx.Response:
        sync_seen.append(request.url.path)
        return sync_original(self, request)

    monkeypatch.setattr(owner, method, traced)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", sync_traced)
    kit = make_toolkit(standin, own_clients=True, transport=transport)
    try:
        tool = next(t for t in kit.get_tools() if t.name == "posthog_get_feature_flag")
        answers = await asyncio.gather(*(tool.ainvoke({"id": 7}) for _ in range(20)))
        assert all("(id 7)" in a for a in answers)
        assert "(id 7)" in tool.invoke({"id": 7})
    finally:
        await close_toolkit(kit)
    assert seen == [FLAG] * 20
    assert sync_seen == [FLAG]
    assert len(standin.received("GET", FLAG)) == 21


async def test_respx_mocks_sync_and_async_calls_with_sockets_blocked() -> None:
    # No stand-in and no loopback: a call that escaped the mock could not connect at all.
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(f"https://us.posthog.com{FLAG}").respond(
            200, json={"id": 7, "key": "beta", "name": "Beta", "active": True}
        )
        kit = PostHogToolkit(personal_api_key=PERSONAL_KEY, project_id=PROJECT_ID)
        sync = kit.execute("posthog_get_feature_flag", {"id": 7})
        async_ = await kit.aexecute("posthog_get_feature_flag", {"id": 7})
        await kit.aclose()
    assert sync.successful and async_.successful, (sync.error, async_.error)
    assert route.call_count == 2


def _clear_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.allow_hosts(["127.0.0.1"])
@pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])
async def test_a_netrc_entry_for_the_host_changes_nothing(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, transport: str
) -> None:
    # Requests are authenticated by the key alone: a ~/.netrc naming the host must neither
    # replace it nor clash with it.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    _clear_proxy_variables(monkeypatch)
    kit = make_toolkit(standin, own_clients=True, transport=transport)
    try:
        tool = next(t for t in kit.get_tools() if t.name == "posthog_get_feature_flag")
        assert "(id 7)" in await tool.ainvoke({"id": 7})
    finally:
        await close_toolkit(kit)
    (request,) = standin.received("GET", FLAG)
    assert request.headers["authorization"] == f"Bearer {PERSONAL_KEY}"


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.allow_hosts(["127.0.0.1"])
@pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])
async def test_no_proxy_sends_the_host_past_the_proxy(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    _clear_proxy_variables(monkeypatch)
    # A proxy that refuses every connection: a call that went through it would fail.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    kit = make_toolkit(standin, own_clients=True, transport=transport)
    try:
        tool = next(t for t in kit.get_tools() if t.name == "posthog_get_feature_flag")
        assert "(id 7)" in await tool.ainvoke({"id": 7})
    finally:
        await close_toolkit(kit)
    assert len(standin.received("GET", FLAG)) == 1
