"""A fault-injecting PostHog stand-in: a real HTTP server on 127.0.0.1, for tests.

It answers PostHog's endpoints with the success bodies of the hand-written cassettes
(:mod:`tests.standin.responses`), and can be told to answer a path with faults first: a 429 (with
``Retry-After`` in seconds, as an HTTP date, or absent), a 5xx, a delay past the client's timeout,
a dropped connection, an HTML error page, truncated JSON, or a hostile answer that repeats every
secret the request carried. It records every request it receives, and can hold requests until
a given number are in flight at once.

Tests that use it need the loopback interface, and nothing else: mark them with
:data:`LOOPBACK_ONLY`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email.utils
import gc
import gzip
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.api.redaction import SENSITIVE_KEYS
from tests.conftest import PERSONAL_KEY, PROJECT_ID, PROJECT_KEY
from tests.standin import responses

# pytest-socket (--disable-socket) and pytest-recording (--block-network) each guard connect();
# both are opened for 127.0.0.1 only, so a test that strays off the loopback still fails.
LOOPBACK_ONLY = [
    pytest.mark.allow_hosts(["127.0.0.1"]),
    pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"]),
]

FaultKind = Literal[
    "status", "slow", "trickle", "drop", "html", "truncated", "short_body", "raw", "echo"
]

# What PostHogClient uses for the clients it makes.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

# The async transport of the toolkits make_toolkit builds: set from ``pytest --transport``.
TRANSPORT = "httpx"

THROTTLED = "Request was throttled. Expected available in {} seconds."


@dataclass(frozen=True)
class Fault:
    """One bad answer. Build them with the functions below."""

    kind: FaultKind
    status: int = 200
    retry_after: str | None = None
    detail: str | None = None
    seconds: float = 0.0
    content: bytes = b""

    def __str__(self) -> str:
        return (
            f"{self.kind}:{self.status}" if self.kind in {"status", "html", "echo"} else self.kind
        )


def throttle(
    retry_after: float | None = None, *, date: bool = False, detail_seconds: int | None = None
) -> Fault:
    """A 429; ``Retry-After`` in seconds, as an HTTP date that far ahead, or absent."""
    header = None
    if retry_after is not None:
        if date:
            header = email.utils.formatdate(time.time() + retry_after, usegmt=True)
        else:
            header = f"{retry_after:g}"
    detail = (
        THROTTLED.format(detail_seconds) if detail_seconds is not None else "Request was throttled."
    )
    return Fault("status", 429, retry_after=header, detail=detail)


def error(status: int) -> Fault:
    """PostHog's JSON error body with ``status``."""
    return Fault("status", status, detail=f"Simulated error {status}.")


def slow(seconds: float) -> Fault:
    """Answer normally, but only after ``seconds`` (past the client's timeout)."""
    return Fault("slow", seconds=seconds)


def drop() -> Fault:
    """Read the request, then close the connection without answering."""
    return Fault("drop")


def html(status: int = 502) -> Fault:
    """A proxy's HTML error page instead of PostHog's JSON."""
    return Fault("html", status)


def truncated() -> Fault:
    """A 200 whose JSON body is cut in half (Content-Length matches what is sent)."""
    return Fault("truncated")


def short_body() -> Fault:
    """A 200 that promises the whole body, sends half of it and closes the connection."""
    return Fault("short_body")


def trickle(seconds: float) -> Fault:
    """A 200 whose body arrives a few bytes at a time over ``seconds`` (each read is quick)."""
    return Fault("trickle", seconds=seconds)


def raw(status: int, content: bytes, content_type: str = "application/json") -> Fault:
    """Exactly this answer: an empty 200, a JSON ``null`` where an object belongs..."""
    return Fault("raw", status, detail=content_type, content=content)


def echo(status: int = 400, *, into: str = "detail") -> Fault:
    """A hostile answer repeating every key and credential the request carried.

    An error puts them in its ``into`` field (``detail``, or ``attr``); a success puts them in
    a name, a detail and credential-named fields of the normal answer.
    """
    return Fault("echo", status, detail=into)


FAULT_KINDS: dict[str, Callable[[], Fault]] = {
    "429": lambda: throttle(0),
    "500": lambda: error(500),
    "502": lambda: error(502),
    "503": lambda: error(503),
    "504": lambda: error(504),
    "timeout": lambda: slow(5.0),
    "drop": drop,
    "html": lambda: html(502),
    "truncated": truncated,
    "short_body": short_body,
}


@dataclass
class Received:
    """One request as the stand-in saw it, and what it answered."""

    method: str
    raw_path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any
    raw_body: bytes
    answer: str = ""

    @property
    def path(self) -> str:
        return self.raw_path

    @property
    def segments(self) -> list[str]:
        return self.raw_path.strip("/").split("/")

    @property
    def status(self) -> int | None:
        return int(self.answer) if self.answer.isdigit() else None

    def interaction(self, host: str | None = None) -> dict[str, Any]:
        """This request as a cassette interaction for ``tests.contract.check``."""
        origin = host or (
            "https://us.i.posthog.com"
            if self.raw_path in responses.INGEST_PATHS
            else "https://us.posthog.com"
        )
        query = "&".join(f"{k}={v}" for k, v in self.query)
        uri = f"{origin}{self.raw_path}" + (f"?{query}" if query else "")
        return {
            "request": {"method": self.method, "uri": uri, "body": self.raw_body or None},
            "response": {"status": {"code": 200}, "body": None},
        }


Route = Callable[[Received], tuple[int, Any]]


class StandIn:
    """The server. Use as a context manager; ``url`` is its origin."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[tuple[str | None, str | None], deque[Fault]] = {}
        self._always: Fault | None = None
        self._routes: list[tuple[str, Callable[[str], bool], Route]] = []
        self.requests: list[Received] = []
        self.errors: list[str] = []  # the stand-in's own bugs: a test must not pass on them
        # Requests read and not yet answered: at most one per client connection, so the peak is
        # a lower bound of how many connections the client had open at once.
        self.in_flight = 0
        self.peak_in_flight = 0
        self.connections = 0  # connections accepted
        self.closed_connections = 0  # connections the client closed (or that timed out)
        self.latency = 0.0  # seconds before every answer, to keep many requests in flight
        self._hold_until = 0  # see hold()
        self._hold_seconds = 0.0
        self._enough = threading.Event()
        self.set_cookie: str | None = None  # a Set-Cookie header on every answer
        self.closing = threading.Event()
        responses.routes()  # parse the cassettes now, not while a client waits for an answer
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close()
        if kind is None and self.errors:
            raise AssertionError(f"the stand-in failed to answer: {self.errors}")

    def close(self) -> None:
        self.closing.set()
        self._enough.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- telling it what to do -------------------------------------------------------------

    def fail(self, path: str | None, *faults: Fault, method: str | None = None) -> None:
        """Answer the next requests to ``path`` (``None``: any path) with ``faults``, in order."""
        with self._lock:
            self._faults.setdefault((method, path), deque()).extend(faults)

    def wait_for_closed_connections(self, seconds: float = 10.0) -> bool:
        """Wait until every connection accepted so far has been closed; whether they were."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self._lock:
                if self.closed_connections >= self.connections:
                    return True
            time.sleep(0.01)
        return False

    def fail_always(self, fault: Fault | None) -> None:
        """Answer every request with ``fault`` until told otherwise (``None``)."""
        with self._lock:
            self._always = fault

    def hold(self, count: int, *, seconds: float = 10.0) -> None:
        """Keep each request unanswered, counted in flight, until ``count`` are in flight at once.

        From then on no request is held. A test that needs many requests in flight together asks
        for it this way, not with a delay that a slow machine could outlast. If the client never
        has ``count`` in flight, each held request is let go ``seconds`` after it arrived, and
        :attr:`peak_in_flight` shows how many there were.
        """
        with self._lock:
            self._enough.clear()
            self._hold_until, self._hold_seconds = count, seconds

    def route(self, method: str, matches: Callable[[str], bool], answer: Route) -> None:
        """Answer ``method`` on paths that ``matches`` with ``answer(received)``."""
        self._routes.insert(0, (method, matches, answer))

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._faults.clear()
            self._always = None

    # -- what it saw -----------------------------------------------------------------------

    def received(self, method: str | None = None, path: str | None = None) -> list[Received]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (path is None or r.raw_path == path)
            ]

    # -- serving ---------------------------------------------------------------------------

    def _next_fault(self, request: Received) -> Fault | None:
        with self._lock:
            keys = [(request.method, request.raw_path), (None, request.raw_path)]
            for key in [*keys, (request.method, None), (None, None)]:
                queue = self._faults.get(key)
                if queue:
                    return queue.popleft()
            return self._always

    def _normal(self, request: Received) -> tuple[int, Any, str]:
        for method, matches, route in self._routes:
            if method == request.method and matches(request.raw_path):
                status, body = route(request)
                return status, body, "application/json"
        found = responses.answer(request.method, request.raw_path, request.body)
        if found is None:
            return 404, responses.NOT_FOUND, "application/json"
        return found.status, found.body, found.content_type


class _Server(ThreadingHTTPServer):
    server_address: tuple[str, int]  # bound to an IPv4 address: getsockname() gives (host, port)
    daemon_threads = True
    request_queue_size = 128  # 200 concurrent clients must not wait on a full accept backlog

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or was dropped on purpose resets its connection: expected here.
        pass


def _secrets_in(request: Received) -> list[str]:
    """Every credential a request carried: the bearer key, and values under sensitive keys."""
    found = []
    auth = request.headers.get("authorization", "")
    if auth.startswith("Bearer "):
        found.append(auth.removeprefix("Bearer "))

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key.lower() in SENSITIVE_KEYS and isinstance(item, str) and item:
                    found.append(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(request.body)
    return found


def _echo_body(request: Received, status: int, normal: Any, into: str) -> Any:
    told = " and ".join(_secrets_in(request)) or "nothing"
    if status < 300:
        body = dict(normal) if isinstance(normal, dict) else {"results": normal}
        body.update(name=f"echo {told}", api_token=told, token=told, detail=f"saw {told}")
        return body
    error = {"type": "validation_error", "code": "invalid", "detail": "Invalid.", "attr": None}
    error[into] = f"bad request with {told}"
    return error


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stalls
        timeout = 10  # a client that vanishes does not keep a thread forever

        def setup(self) -> None:
            super().setup()
            with standin._lock:
                standin.connections += 1

        def finish(self) -> None:
            with contextlib.suppress(OSError):
                super().finish()
            with standin._lock:
                standin.closed_connections += 1

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve()

        do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_GET

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            decoded = (
                gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw
            )
            try:
                body = json.loads(decoded) if decoded else None
            except ValueError:
                body = decoded.decode(errors="replace")
            request = Received(
                method=self.command,
                raw_path=url.path,
                query=parse_qsl(url.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                raw_body=raw,
            )
            with standin._lock:
                standin.requests.append(request)
                standin.in_flight += 1
                standin.peak_in_flight = max(standin.peak_in_flight, standin.in_flight)
                if standin._hold_until and standin.in_flight >= standin._hold_until:
                    standin._enough.set()
            fault = standin._next_fault(request)
            if standin._hold_until:
                standin._enough.wait(standin._hold_seconds)
            with standin._lock:
                standin.in_flight -= 1  # before any byte of the answer leaves
            try:
                self._answer(request, fault)
            except OSError:
                self.close_connection = True  # the client gave up first (timeouts)
            except Exception as bug:
                standin.errors.append(f"{request.method} {request.raw_path}: {bug!r}")
                raise

        def _answer(self, request: Received, fault: Fault | None) -> None:
            status, normal, kind = standin._normal(request)
            if fault is None:
                request.answer = str(status)
                self._send(status, _encode(normal, kind), kind)
                return
            request.answer = str(fault)
            if fault.kind == "drop":
                self.close_connection = True
                return
            if fault.kind == "slow":
                standin.closing.wait(fault.seconds)
                request.answer = f"{status}"
                self._send(status, _encode(normal, kind), kind)
                return
            if fault.kind == "status":
                body = {
                    "type": "server_error",
                    "code": "error",
                    "detail": fault.detail,
                    "attr": None,
                }
                if fault.status == 429:
                    body.update(type="throttled_error", code="throttled")
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                self._send(fault.status, json.dumps(body).encode(), "application/json", headers)
                return
            if fault.kind == "html":
                page = (
                    f"<!DOCTYPE html>\n<html><head><title>{fault.status} Bad Gateway</title></head>"
                    f"\n<body><h1>{fault.status} Bad Gateway</h1>\n<hr><p>nginx</p></body></html>\n"
                )
                self._send(fault.status, page.encode(), "text/html; charset=utf-8")
                return
            if fault.kind == "raw":
                self._send(fault.status, fault.content, fault.detail or "application/json")
                return
            full = _encode(
                normal if normal is not None else {"id": 1, "name": "x"}, "application/json"
            )
            if fault.kind == "trickle":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(full)))
                self.end_headers()
                pieces = [full[i : i + 64] for i in range(0, len(full), 64)]
                for piece in pieces:
                    self.wfile.write(piece)
                    self.wfile.flush()
                    if standin.closing.wait(fault.seconds / len(pieces)):
                        break
                return
            if fault.kind == "truncated":
                self._send(200, full[: max(1, len(full) // 2)], "application/json")
                return
            if fault.kind == "short_body":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(full)))
                self.end_headers()
                self.wfile.write(full[: len(full) // 2])
                self.close_connection = True
                return
            if fault.kind == "echo":
                body = _echo_body(request, fault.status, normal, fault.detail or "detail")
                self._send(fault.status, json.dumps(body).encode(), "application/json")
                return
            raise AssertionError(f"unknown fault {fault}")

        def _send(
            self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if standin.set_cookie:
                self.send_header("Set-Cookie", standin.set_cookie)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return Handler


def _encode(body: Any, kind: str) -> bytes:
    if isinstance(body, str) and "json" not in kind:
        return body.encode()
    return json.dumps(body).encode() if body is not None else b""


def make_toolkit(
    server: StandIn | str, *, own_clients: bool = False, **settings: Any
) -> PostHogToolkit:
    """A toolkit talking to ``server`` (or a URL) for app and ingest, with short retry waits.

    Its timeout is one no answer comes near on a loaded machine; a test of timeouts sets a short
    one, and runs what must be answered within it under :func:`no_gc_pause`.

    Unless ``own_clients``, it is handed a sync httpx client that skips loading CA certificates
    (a tenth of a second on a small machine, for a plain-http server); timeouts still come from
    the toolkit, which sets them on every request. Its async client is always its own, over
    the transport the test run names (``pytest --transport=aiohttp``; httpx's by default).
    Close it with :func:`close_toolkit`.
    """
    url = server if isinstance(server, str) else server.url
    options: dict[str, Any] = {
        "personal_api_key": PERSONAL_KEY,
        "project_api_key": PROJECT_KEY,
        "host": url,
        "ingest_host": url,
        "project_id": PROJECT_ID,
        "include_destructive": True,
        "timeout": 10.0,
        "max_retries": 2,
        "transport": TRANSPORT,
    }
    if not own_clients:
        options["http_client"] = httpx.Client(verify=False, limits=LIMITS)
    options.update(settings)
    toolkit = PostHogToolkit(**options)
    fast(toolkit)
    return toolkit


async def close_toolkit(toolkit: PostHogToolkit) -> None:
    """Close the toolkit and the httpx clients it was handed."""
    await toolkit.aclose()
    if toolkit.http_client is not None:
        toolkit.http_client.close()
    if toolkit.async_http_client is not None:
        await toolkit.async_http_client.aclose()


def fast(toolkit: PostHogToolkit, **policy: Any) -> None:
    """Short backoff (and a ``Retry-After`` cap) for ``toolkit``'s client; ``policy`` overrides."""
    settings: dict[str, Any] = {"backoff": 0.01, "max_backoff": 0.05, "max_retry_after": 1.0}
    settings.update(policy)
    toolkit.client.retry = dataclasses.replace(toolkit.client.retry, **settings)


_CALL_IDS = itertools.count(1)


async def invoke(mode: str, tool: Any, args: dict[str, Any]) -> Any:
    """Run ``tool`` as an agent does (a tool call in, a ToolMessage out), sync or async."""
    call = {"name": tool.name, "args": args, "id": f"call-{next(_CALL_IDS)}", "type": "tool_call"}
    if mode == "sync":
        return tool.invoke(call)
    return await tool.ainvoke(call)


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait until ``condition()`` holds; fail after ``seconds``, far more than it ever takes.

    A test waits for the state it needs this way, not for a time a slow machine could outlast.
    """
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)


@contextlib.contextmanager
def no_gc_pause() -> Iterator[None]:
    """No garbage collection runs inside: a call here beats a short timeout if it can at all.

    A full collection stops the whole test process, client and stand-in alike, and on a loaded
    machine it can take over half a second: longer than the timeouts the fault tests set.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def get_tool(toolkit: PostHogToolkit, name: str) -> Any:
    """The toolkit's tool called ``name`` (skips the test when no such action exists yet)."""
    found = [t for t in toolkit.get_tools() if t.name == name]
    if not found:
        pytest.skip(f"{name} is not in the action table yet")
    return found[0]


def serve() -> Iterator[StandIn]:
    """Body of a ``standin`` fixture: a running server, shut down after the test."""
    with StandIn() as server:
        yield server
