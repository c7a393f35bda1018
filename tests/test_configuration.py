"""Settings refused early and named, and failures to reach PostHog that say what happened."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest

from langchain_posthog import PostHogConfigError, PostHogToolkit
from tests.conftest import PERSONAL_KEY, PROJECT_KEY
from tests.standin import close_toolkit, make_toolkit

# -- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "closest"),
    [("readonly", "read_only"), ("read_onyl", "read_only"), ("includes", "include")],
)
def test_a_misspelt_setting_is_refused_naming_the_closest(name: str, closest: str) -> None:
    with pytest.raises(PostHogConfigError) as caught:
        PostHogToolkit(personal_api_key=PERSONAL_KEY, **{name: True})
    message = str(caught.value)
    assert f"no setting {name!r}" in message and f"Did you mean {closest!r}?" in message
    assert PERSONAL_KEY not in message


def test_an_unknown_setting_with_no_close_name_lists_the_settings() -> None:
    with pytest.raises(PostHogConfigError, match="no setting 'colour'") as caught:
        PostHogToolkit(personal_api_key=PERSONAL_KEY, colour="blue")
    assert "Did you mean" not in str(caught.value) and "read_only" in str(caught.value)


@pytest.mark.parametrize("setting", ["personal_api_key", "project_api_key", "host", "ingest_host"])
@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_a_blank_setting_is_refused_by_name(setting: str, value: str) -> None:
    with pytest.raises(PostHogConfigError, match=f"^{setting} is blank"):
        PostHogToolkit(**{setting: value})


def test_a_blank_key_given_explicitly_never_falls_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PERSONAL_KEY)
    with pytest.raises(PostHogConfigError) as caught:
        PostHogToolkit(personal_api_key="")
    message = str(caught.value)
    assert message.startswith("personal_api_key is blank")
    assert "set POSTHOG_PERSONAL_API_KEY" not in message  # it is set: say nothing of the kind


@pytest.mark.parametrize(
    "variable", ["POSTHOG_PERSONAL_API_KEY", "POSTHOG_PROJECT_API_KEY", "POSTHOG_HOST"]
)
def test_a_blank_environment_variable_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "  ")
    with pytest.raises(PostHogConfigError, match=f"^{variable} is set but blank"):
        PostHogToolkit()


def test_an_explicit_key_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", "phx_FROMENVIRONMENT000000000000000000000000")
    seen: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={"uuid": "u", "email": "a@example.com"})

    kit = PostHogToolkit(
        personal_api_key=f"  {PERSONAL_KEY} ",
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
    )
    assert kit.execute("posthog_get_current_user").successful
    assert seen == [f"Bearer {PERSONAL_KEY}"]


def recording_server(seen: list[str]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"id": 7, "key": "beta", "name": "Beta", "active": True})

    return httpx.MockTransport(answer)


@pytest.mark.parametrize(
    "host",
    ["https://corp.example/posthog", "https://corp.example/posthog/", "corp.example/posthog/api/"],
)
async def test_a_host_with_a_path_prefix_is_honoured_for_every_request(host: str) -> None:
    seen: list[str] = []
    kit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_api_key=PROJECT_KEY,
        host=host,
        project_id=2,
        http_client=httpx.Client(transport=recording_server(seen)),
        async_http_client=httpx.AsyncClient(transport=recording_server(seen)),
    )
    sync = kit.execute("posthog_get_feature_flag", {"id": 7})
    async_ = await kit.aexecute("posthog_get_feature_flag", {"id": 7})
    capture = kit.execute("posthog_capture_event", {"event": "x", "distinct_id": "u"})
    assert sync.successful and async_.successful and capture.successful, capture.error
    assert seen[:2] == ["https://corp.example/posthog/api/projects/2/feature_flags/7/"] * 2
    assert seen[2].startswith("https://corp.example/posthog/")
    assert "https://corp.example/posthog/project/2/feature_flags/7" in (sync.content or "")


def test_a_host_with_a_query_is_refused() -> None:
    with pytest.raises(PostHogConfigError, match="query or fragment"):
        PostHogToolkit(personal_api_key=PERSONAL_KEY, host="https://corp.example/?x=1")


@pytest.mark.parametrize("setting", ["host", "ingest_host"])
def test_a_host_with_credentials_is_refused_without_quoting_them(setting: str) -> None:
    with pytest.raises(PostHogConfigError, match="user name or password") as caught:
        PostHogToolkit(
            personal_api_key=PERSONAL_KEY, **{setting: "https://ada:s3cret@corp.example"}
        )
    assert "s3cret" not in str(caught.value)


# -- 403: advice from PostHog's own words ---------------------------------------------------


@pytest.mark.parametrize(
    ("detail", "advice", "wrong"),
    [
        (
            "You don't have access to the project.",
            "not a member of this project",
            "scope",
        ),
        (
            "API key missing required scope 'feature_flag:read'",
            "lacks the 'feature_flag:read' scope",
            "member",
        ),
        (
            "API key does not have access to the requested project: ID 2.",
            "limited to other projects",
            "scope",
        ),
        (
            "Organization 'Acme' does not allow using personal API keys. Contact an admin to "
            "enable personal API keys for this organization.",
            "does not allow personal API keys for members",
            "scope",
        ),
        (
            "You don't have sufficient permissions in the project.",
            "too low a role",
            "scope",
        ),
    ],
)
def test_a_403_is_explained_from_its_body(detail: str, advice: str, wrong: str) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"type": "authentication_error", "detail": detail})

    kit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_id=2,
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
    )
    result = kit.execute("posthog_get_feature_flag", {"id": 7})
    assert not result.successful and result.error
    assert detail.rstrip(".") in result.error and advice in result.error
    assert wrong not in result.error.split(detail.rstrip("."))[1]


# -- failures to reach PostHog ----------------------------------------------------------------


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
        "'us', 'eu', or your PostHog's URL. This is a setting, not a passing fault: retrying "
        "will not help."
    )
    assert looked_up == ["posthog.example.invalid"]
