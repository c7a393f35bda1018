"""The async client's connection pool: HTTP/1.1 on asyncio, one request at a time per connection.

Under every ``httpx.AsyncClient``, httpx's transport hands each request to httpcore's pool,
which runs every read, write and lock through anyio's cancel scopes and rescans all its
connections whenever a request starts or ends (encode/httpcore#1035): more than a millisecond
of CPU per request on a 2-core machine, so past a few dozen calls at once the client, not the
server, sets the pace (``benchmarks/overlap.py``).

This pool does the same job with less: each connection is an asyncio protocol
(``langchain_posthog.protocol``) that reads answers as they arrive
(``langchain_posthog.http11``), and each wait is one future with one timer.
``PooledTransport`` is the httpx transport in front of it: it hands over httpx's requests,
hands back httpx's responses and errors, and steps aside while a tool that records or mocks
httpx's requests is installed.

No proxy and no HTTP/2: the client keeps httpx's own transport when the environment names a
proxy.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import ssl
import time
from collections import deque

import httpcore
import httpx

from langchain_posthog.http11 import Head
from langchain_posthog.protocol import Body, Origin, Request, Socket, Timeouts, connect

# Idle connections older than this are reopened rather than reused: servers and load balancers
# drop idle connections, some without a word (httpx's default).
KEEPALIVE_SECONDS = 5.0


class PooledTransport(httpx.AsyncBaseTransport):
    """An httpx transport over :class:`Pool`: at most ``connections`` at once.

    HTTPS is verified with ``ssl_context``, by default httpx's (certifi's certificates), made
    when first needed and shared: loading certificates takes tens of milliseconds.

    A request goes straight to the pool, and an answer whose body has already arrived (a small
    one, as most of PostHog's are) comes back read: httpx's own mapping through httpcore's
    request and response types, and its chain of body streams, cost more than the pool.

    Tools that record or mock requests replace httpx's transport method (vcrpy,
    pytest-httpx) or httpcore's pool method (respx), and would never see a request sent here.
    While one of those methods is replaced, requests go through an ``httpx.AsyncHTTPTransport``
    instead, so the tool sees each one where it expects to.
    """

    def __init__(self, connections: int, ssl_context: ssl.SSLContext | None = None) -> None:
        self._pool = Pool(connections, ssl_context)
        self._connections = connections
        self._httpx_own: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on the pool; the answer's body is read already if it has arrived."""
        if _intercepted():
            return await self._httpx_transport().handle_async_request(request)
        return await self._pool.send(request)

    @property
    def in_flight(self) -> int:
        """Requests sent whose answers are not yet read and closed."""
        return self._pool.in_flight

    async def aclose(self) -> None:
        """Close every connection."""
        await self._pool.aclose()
        if self._httpx_own is not None:
            await self._httpx_own.aclose()

    def _httpx_transport(self) -> httpx.AsyncHTTPTransport:
        if self._httpx_own is None:
            limits = httpx.Limits(
                max_connections=self._connections,
                max_keepalive_connections=self._connections,
                keepalive_expiry=KEEPALIVE_SECONDS,
            )
            self._httpx_own = httpx.AsyncHTTPTransport(
                verify=self._pool.ssl_context(), limits=limits
            )
        return self._httpx_own


def _intercepted() -> bool:
    """Whether something has replaced httpx's transport method or httpcore's pool method."""
    return (
        httpx.AsyncHTTPTransport.handle_async_request is not _HTTPX_OWN
        or httpcore.AsyncConnectionPool.handle_async_request is not _HTTPCORE_OWN
    )


# The libraries' own methods, even if this module is imported while one is wrapped.
_HTTPX_OWN = inspect.unwrap(httpx.AsyncHTTPTransport.handle_async_request)
_HTTPCORE_OWN = inspect.unwrap(httpcore.AsyncConnectionPool.handle_async_request)


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """The default TLS context, httpx's, made once and shared by every pool.

    It holds certificates only: certifi's, or those ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` name
    when it is made.
    """
    return httpx.create_ssl_context()


class Pool:
    """Up to ``size`` kept-alive connections, made when first needed, one request on each.

    A request takes an idle connection already open to its origin, else a closed or new one,
    else an idle one open elsewhere, so calls made one at a time keep reusing one connection.
    When all are taken, requests wait in one queue and each takes the first to come free.
    """

    def __init__(self, size: int, ssl_context: ssl.SSLContext | None = None) -> None:
        self._size = size
        self._ssl_context = ssl_context
        self._connections: list[_Connection] = []
        self._waiting: deque[asyncio.Future[_Connection]] = deque()

    def ssl_context(self) -> ssl.SSLContext:
        """The context HTTPS connections are verified with, made on first use."""
        return self._ssl_context or _default_ssl_context()

    @property
    def in_flight(self) -> int:
        """Requests holding or waiting for a connection."""
        return sum(c.taken for c in self._connections) + len(self._waiting)

    async def send(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on a connection, taken until the answer's body is read or closed.

        An answer whose body has all arrived comes back read, and its connection free.
        """
        url = request.url
        origin = (url.raw_scheme, url.raw_host, url.port)
        timeouts = request.extensions.get("timeout", {})
        body = await request.aread()  # whole, before a connection is taken for it
        connection = self._take(origin) or await self._wait(timeouts.get("pool"))
        sent = (request.method.encode(), url.raw_path, request.headers.raw, body)
        head, answer = await connection.exchange(sent, origin, timeouts)
        # What httpx keeps of a status line beside the status itself.
        extensions = {"http_version": b"HTTP/" + head.version, "reason_phrase": head.reason}
        stream = answer if isinstance(answer, Body) else httpx.ByteStream(answer)
        response = httpx.Response(
            head.status, headers=head.headers, stream=stream, extensions=extensions
        )
        if not isinstance(answer, Body):
            response.read()  # decodes the body as reading the stream would
        return response

    def free(self, connection: _Connection) -> None:
        """Hand a connection whose request is over to the longest waiting request, if any."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        connection.taken = False

    async def aclose(self) -> None:
        """Close every connection."""
        for connection in self._connections:
            connection.close()

    def _take(self, origin: Origin) -> _Connection | None:
        """A free connection for ``origin``, now taken; ``None`` if every one is taken."""
        now = time.monotonic()
        closed: _Connection | None = None  # nothing to close before reopening
        elsewhere: _Connection | None = None  # open to another origin
        for connection in self._connections:
            if connection.taken:
                continue
            if connection.ready_for(origin, now):
                connection.taken = True
                return connection
            if connection.is_open and connection.expired(now):
                connection.close()
            if not connection.is_open:
                closed = closed or connection
            else:
                elsewhere = elsewhere or connection
        if closed is None and len(self._connections) < self._size:
            closed = _Connection(self)
            self._connections.append(closed)
        chosen = closed or elsewhere
        if chosen is not None:
            chosen.taken = True
        return chosen

    async def _wait(self, timeout: float | None) -> _Connection:
        waiter: asyncio.Future[_Connection] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                self.free(waiter.result())  # handed over just as the wait ended
            else:
                waiter.cancel()
            if isinstance(exc, TimeoutError):
                raise httpx.PoolTimeout("no connection came free in time") from None
            raise


class _Connection:
    """One connection slot: one request at a time on its socket, reopened when needed."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._socket: Socket | None = None
        self._origin: Origin | None = None
        self._idle_since = 0.0
        self.taken = False

    @property
    def is_open(self) -> bool:
        return self._socket is not None and not self._socket.lost

    def expired(self, now: float) -> bool:
        return now - self._idle_since >= KEEPALIVE_SECONDS

    def ready_for(self, origin: Origin, now: float) -> bool:
        """Whether the socket can take a request for ``origin`` without reopening."""
        return self.is_open and self._origin == origin and not self.expired(now)

    async def exchange(
        self, request: Request, origin: Origin, timeouts: Timeouts
    ) -> tuple[Head, bytes | Body]:
        """Send ``request`` (this slot is taken); the answer's head, and its body.

        The body is its bytes if all have arrived (the slot is then free), else a stream to
        read them as they come.
        """
        try:
            if not self.ready_for(origin, time.monotonic()):
                self.close()
                self._socket = await connect(
                    origin, self._pool.ssl_context, timeouts.get("connect")
                )
                self._origin = origin
            socket = self._socket
            assert socket is not None
            head = await socket.send(request, timeouts)
            data, complete = socket.arrived()
        except BaseException:
            self.release(reuse=False)
            raise
        if complete:
            self.release(reuse=True)
            return head, data
        return head, Body(socket, timeouts.get("read"), self.release, first=data)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def release(self, reuse: bool) -> None:
        """End a request; keep the socket only if both sides finished cleanly."""
        socket = self._socket
        if reuse and socket is not None and socket.next_cycle():
            self._idle_since = time.monotonic()
        else:
            self.close()
        self._pool.free(self)
