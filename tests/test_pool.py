"""The async client's connection pool (pool.py, protocol.py) against a scripted server.

Each test's server runs in the test's own event loop and answers each request with the next
raw answer of its script, so chunked bodies, ``Connection: close``, bytes between answers,
dropped connections and TLS can each be shown to do what HTTP/1.1 says.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import re
import shutil
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import respx

from langchain_posthog import PostHogToolkit, pool
from langchain_posthog.pool import PooledTransport
from tests.conftest import PERSONAL_KEY, PROJECT_ID
from tests.standin import LOOPBACK_ONLY, until

pytestmark = LOOPBACK_ONLY

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"
)
CLOSING = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n" + OK

# What the server does with a request: bytes to answer with, or a function of the connection.
Answer = bytes | Callable[[asyncio.StreamWriter], None]


class Scripted:
    """A loopback HTTP/1.1 server that answers requests in order from ``script``, then ``OK``."""

    def __init__(self, *script: Answer, tls: ssl.SSLContext | None = None) -> None:
        self.script = list(script)
        self.tls = tls
        self.connections = 0
        self.ended = 0  # connections over: closed by either side
        self.requests: list[bytes] = []
        self.bodies: list[int] = []  # the length of each request's body
        self.read_bodies = True  # False: leave bodies unread, as a stalled server does
        self.url = ""

    async def __aenter__(self) -> Scripted:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                self.requests.append(head.split(b"\r\n", 1)[0])
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                if length and not self.read_bodies:
                    await asyncio.sleep(60)
                if length:
                    self.bodies.append(len(await reader.readexactly(int(length.group(1)))))
                elif re.search(rb"(?i)transfer-encoding: *chunked", head):
                    self.bodies.append(await _chunked_length(reader))
                answer = self.script.pop(0) if self.script else OK
                if callable(answer):
                    answer(writer)
                else:
                    writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self.ended += 1


async def _chunked_length(reader: asyncio.StreamReader) -> int:
    """Read a chunked body (no trailers); its length."""
    total = 0
    while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
        total += len(await reader.readexactly(size + 2)) - 2
    await reader.readexactly(2)
    return total


def answer_when(
    released: asyncio.Event, answer: bytes = OK
) -> Callable[[asyncio.StreamWriter], None]:
    """``answer``, once ``released`` is set (or after 10 s, far more than any test waits)."""
    tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    async def later(writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(released.wait(), 10)
        writer.write(answer)

    def start(writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(later(writer))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return start


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # A timeout no answer comes near; the tests of timeouts set their own.
    async with httpx.AsyncClient(transport=PooledTransport(4), timeout=10.0) as c:
        yield c


async def test_a_chunked_answer_is_read_whole_and_the_connection_kept(
    client: httpx.AsyncClient,
) -> None:
    async with Scripted(CHUNKED, CONTINUE) as server:
        assert (await client.get(server.url + "/a")).text == "hello world"
        assert (await client.get(server.url + "/b")).text == "ok"  # after a 100 Continue
        assert (await client.get(server.url + "/c")).text == "ok"
    assert server.connections == 1
    assert server.requests == [b"GET /a HTTP/1.1", b"GET /b HTTP/1.1", b"GET /c HTTP/1.1"]


async def test_connection_close_and_a_server_closing_an_idle_connection_reopen_it(
    client: httpx.AsyncClient,
) -> None:
    def answer_and_hang_up(writer: asyncio.StreamWriter) -> None:
        writer.write(OK)
        writer.close()

    async with Scripted(CLOSING, answer_and_hang_up) as server:
        assert (await client.get(server.url)).text == "ok"
        await until(lambda: server.ended == 1)  # the client closed it, as the answer said
        assert (await client.get(server.url)).text == "ok"
        await until(lambda: server.ended == 2)  # the server hung up
        # The pool learns of it when the loop next reads the socket: a wait lets it run first.
        await asyncio.sleep(0.01)
        assert (await client.get(server.url)).text == "ok"
    assert server.connections == 3


async def test_an_answer_that_ends_when_the_connection_closes_is_read_whole(
    client: httpx.AsyncClient,
) -> None:
    def until_closed(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nno length, ")
        writer.write(b"read to the end")
        writer.close()

    async with Scripted(until_closed) as server:
        assert (await client.get(server.url)).text == "no length, read to the end"
        assert (await client.get(server.url)).text == "ok"
    assert server.connections == 2


async def test_bytes_between_answers_cost_the_connection_not_the_next_answer(
    client: httpx.AsyncClient,
) -> None:
    def stray_bytes_later(writer: asyncio.StreamWriter) -> None:
        writer.write(OK)
        asyncio.get_running_loop().call_later(0.02, writer.write, b"HTTP/1.1 200 OK\r\n")

    # Stray bytes in the same packet as the answer, then on an idle connection: each time the
    # client hangs up before it sends the next request.
    async with Scripted(OK + b"HTTP/1.1 200 OK\r\n", stray_bytes_later) as server:
        assert (await client.get(server.url)).text == "ok"
        await until(lambda: server.ended == 1)
        assert (await client.get(server.url)).text == "ok"
        await until(lambda: server.ended == 2)
        assert (await client.get(server.url)).text == "ok"
    assert server.connections == 3


async def test_a_dropped_answer_is_a_transport_error_and_the_pool_recovers(
    client: httpx.AsyncClient,
) -> None:
    def drop(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok")
        writer.close()

    async with Scripted(lambda writer: writer.close(), drop) as server:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(server.url)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(server.url)
        assert (await client.get(server.url)).text == "ok"
    assert client._transport.in_flight == 0  # type: ignore[attr-defined]


async def test_idle_connections_past_the_keepalive_limit_are_reopened(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Scripted() as server:
        await client.get(server.url)
        await client.get(server.url)
        monkeypatch.setattr(pool, "KEEPALIVE_SECONDS", 0.0)
        await client.get(server.url)
    assert server.connections == 2


async def test_each_origin_keeps_its_own_connection(client: httpx.AsyncClient) -> None:
    async with Scripted() as app, Scripted() as ingest:
        for _ in range(3):
            await client.get(app.url)
            await client.get(ingest.url)
    assert (app.connections, ingest.connections) == (1, 1)


async def test_requests_queue_for_a_full_pool_and_time_out_waiting() -> None:
    released = asyncio.Event()
    transport = PooledTransport(1)
    async with (
        Scripted(answer_when(released)) as server,
        httpx.AsyncClient(transport=transport) as client,
    ):
        first = asyncio.create_task(client.get(server.url))
        await until(lambda: len(server.requests) == 1)  # the one connection is taken
        queued = asyncio.create_task(client.get(server.url))
        await until(lambda: transport.in_flight == 2)  # and one request waits for it
        with pytest.raises(httpx.PoolTimeout):
            await client.get(server.url, timeout=httpx.Timeout(2.0, pool=0.05))
        released.set()
        assert (await first).text == "ok" and (await queued).text == "ok"
    assert server.connections == 1 and transport.in_flight == 0


async def test_a_waiting_request_takes_the_first_connection_to_come_free() -> None:
    finished: list[str] = []
    queued_done = asyncio.Event()
    async with (
        Scripted(answer_when(queued_done)) as server,
        httpx.AsyncClient(transport=PooledTransport(2)) as client,
    ):

        async def get(name: str) -> None:
            assert (await client.get(f"{server.url}/{name}")).text == "ok"
            finished.append(name)
            if name == "queued":
                queued_done.set()

        slow = asyncio.create_task(get("slow"))
        await until(lambda: server.requests == [b"GET /slow HTTP/1.1"])
        # Both connections are taken when "queued" starts: it waits for the first to come free.
        # "slow" is answered only once "queued" is done: had "queued" waited for slow's
        # connection, neither would finish before a timeout.
        await asyncio.gather(slow, get("fast"), get("queued"))
    assert finished == ["fast", "queued", "slow"]
    assert server.connections == 2


async def test_the_timeout_bounds_an_answer_whose_headers_trickle_in() -> None:
    # Each read is quick, so httpx's read timeout never fires; the whole answer's deadline does.
    async def trickle(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n")
        while not writer.is_closing():
            await asyncio.sleep(0.05)
            writer.write(b"X-Slow: 1\r\n")

    def trickling(writer: asyncio.StreamWriter) -> None:
        asyncio.get_running_loop().create_task(trickle(writer))

    async with Scripted(trickling) as server:
        toolkit = PostHogToolkit(
            personal_api_key=PERSONAL_KEY,
            host=server.url,
            project_id=PROJECT_ID,
            timeout=0.3,
            max_retries=0,
        )
        async with toolkit:
            tool = next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")
            started = time.monotonic()
            content = await asyncio.wait_for(tool.ainvoke({"id": 7}), 10)
            elapsed = time.monotonic() - started
    assert "timed out" in content, content
    # The headers never end: only the timeout ends the call (with seconds of room for a slow
    # machine, and still far short of the 10 s above).
    assert elapsed < 3.0, f"a 0.3 s timeout took {elapsed:.1f} s"


async def test_a_large_body_is_sent_whole_and_one_that_cannot_be_sent_times_out(
    client: httpx.AsyncClient,
) -> None:
    # 8 MB is far past asyncio's write buffer limit: sending waits for the server to read.
    async def parts() -> AsyncIterator[bytes]:  # a body streamed by the caller goes chunked
        for size in (1000, 0, 2500):
            yield b"y" * size

    async with Scripted() as server:
        assert (await client.post(server.url, content=b"x" * 8_000_000)).text == "ok"
        assert (await client.post(server.url, content=parts())).text == "ok"
        assert (await client.get(server.url)).text == "ok"
        assert server.bodies == [8_000_000, 3500] and server.connections == 1
        server.read_bodies = False
        with pytest.raises(httpx.WriteTimeout):
            await client.post(server.url, content=b"x" * 64_000_000, timeout=0.3)
    assert client._transport.in_flight == 0  # type: ignore[attr-defined]


async def test_an_answer_that_has_arrived_is_read_at_once_and_one_still_arriving_streams(
    client: httpx.AsyncClient,
) -> None:
    text = b'{"results": [' + b",".join(b'{"id": %d}' % i for i in range(2000)) + b"]}"
    packed = gzip.compress(text)
    zipped = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(
        packed
    )

    rest = asyncio.Event()
    send_rest = answer_when(rest, packed[100:])

    def in_two_parts(writer: asyncio.StreamWriter) -> None:
        writer.write(zipped + packed[:100])
        send_rest(writer)  # once the test has looked

    async with Scripted(zipped + packed, in_two_parts) as server:
        # The first has arrived whole: read at once, its connection free before it is read.
        async with client.stream("GET", server.url) as response:
            assert client._transport.in_flight == 0  # type: ignore[attr-defined]
            assert await response.aread() == text
        # The second is still arriving: its connection stays taken until it is read.
        async with client.stream("GET", server.url) as response:
            assert client._transport.in_flight == 1  # type: ignore[attr-defined]
            rest.set()
            assert await response.aread() == text
        assert (await client.get(server.url)).text == "ok"
    assert server.connections == 1 and client._transport.in_flight == 0  # type: ignore[attr-defined]


async def test_tools_that_intercept_httpxs_transport_see_every_request(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # vcrpy and pytest-httpx record and mock by wrapping httpx's transport method.
    seen: list[str] = []
    original = httpx.AsyncHTTPTransport.handle_async_request

    @functools.wraps(original)
    async def recording(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return await original(self, request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", recording)
    async with Scripted(CHUNKED, CONTINUE) as server:
        assert (await client.get(server.url + "/a")).text == "hello world"
        assert (await client.get(server.url + "/b")).text == "ok"
        monkeypatch.undo()
        assert (await client.get(server.url + "/c")).text == "ok"
    assert seen == ["/a", "/b"]
    # /a and /b on one connection of httpx's own pool, then /c on this pool's.
    assert server.connections == 2


async def test_a_respx_mock_answers_the_toolkits_calls_sync_and_async() -> None:
    # respx, the usual way to mock httpx, replaces httpcore's pool method by default. Sockets
    # to anywhere but loopback are blocked here: a call that slipped past it would fail.
    flag = {"id": 1234, "key": "new-onboarding", "name": "New onboarding", "active": True}
    url = f"https://us.posthog.com/api/projects/{PROJECT_ID}/feature_flags/1234/"
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(url).respond(json=flag)
        async with PostHogToolkit(
            personal_api_key=PERSONAL_KEY, project_id=PROJECT_ID, max_retries=0
        ) as toolkit:
            tool = next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag")
            assert "new-onboarding (id 1234)" in await tool.ainvoke({"id": 1234})
            assert "new-onboarding (id 1234)" in await asyncio.to_thread(tool.invoke, {"id": 1234})
    assert route.call_count == 2
    # respx undoes its patch on leaving the context: requests go straight to the pool again.
    assert not pool._intercepted()


async def test_nothing_listening_is_a_connect_error(client: httpx.AsyncClient) -> None:
    async with Scripted() as server:
        url = server.url
    with pytest.raises(httpx.ConnectError):
        await client.get(url)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
    command += " -addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem"
    subprocess.run(
        command.split(),
        cwd=folder,
        check=True,
        capture_output=True,
    )
    return folder


async def test_https_is_verified_against_the_clients_certificates(certificate: Path) -> None:
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    trusting = ssl.create_default_context(cafile=str(certificate / "cert.pem"))
    async with Scripted(tls=served) as server:
        async with httpx.AsyncClient(transport=PooledTransport(2, trusting)) as client:
            assert (await client.get(server.url)).text == "ok"
            assert (await client.get(server.url)).text == "ok"
        # By default, httpx's certificates: a self-signed one is refused.
        async with httpx.AsyncClient(transport=PooledTransport(2)) as client:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(server.url)
    assert server.requests == [b"GET / HTTP/1.1", b"GET / HTTP/1.1"]
