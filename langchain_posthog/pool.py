"""The async client's connection pool: HTTP/1.1 on asyncio, one request at a time per connection.

httpx keeps its client, transport and exceptions, and hands each request to a pool (httpcore's,
under every ``httpx.AsyncClient``). httpcore's async pool runs every read, write and lock
through anyio's cancel scopes and rescans all its connections whenever a request starts or
ends (encode/httpcore#1035): about 1.6 ms of CPU per request on a 2-core machine, so past a few
dozen calls at once the client, not the server, sets the pace (``benchmarks/overlap.py``).

This pool does the same job with less: each connection is an asyncio protocol that feeds h11,
the HTTP/1.1 state machine httpcore itself uses, and each wait is one future with one timer.
``PooledTransport`` is an ``httpx.AsyncHTTPTransport`` whose pool is this one, so httpx still
maps requests, responses and errors, and tools that patch that transport (vcrpy records and
replays cassettes that way) still see every request.

No proxy and no HTTP/2: the client keeps httpx's own transport when the environment names a
proxy.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator

import h11
import httpcore
import httpx

# Idle connections older than this are reopened rather than reused: servers and load balancers
# drop idle connections, some without a word (httpx's default).
KEEPALIVE_SECONDS = 5.0

_Origin = tuple[bytes, bytes, int | None]


class PooledTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` over :class:`Pool`: at most ``connections`` at once.

    HTTPS is verified with ``ssl_context``, by default httpx's (certifi's certificates), made
    when the first HTTPS connection opens: loading certificates takes tens of milliseconds.
    """

    def __init__(self, connections: int, ssl_context: ssl.SSLContext | None = None) -> None:
        # httpx's own pool, replaced below, gets a context that loads nothing and trusts nothing.
        super().__init__(verify=ssl_context or ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        # httpx's transport calls only handle_async_request, aclose and async with on its pool.
        self._own_pool = Pool(connections, ssl_context)
        self._pool = self._own_pool  # type: ignore[assignment]

    @property
    def in_flight(self) -> int:
        """Requests sent whose answers are not yet read and closed."""
        return self._own_pool.in_flight


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
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context

    @property
    def in_flight(self) -> int:
        """Requests holding or waiting for a connection."""
        return sum(c.taken for c in self._connections) + len(self._waiting)

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        """Send ``request`` on a connection; it stays taken until the body is closed."""
        url = request.url
        origin = (url.scheme, url.host, url.port)
        timeouts = request.extensions.get("timeout", {})
        connection = self._take(origin) or await self._wait(timeouts.get("pool"))
        return await connection.exchange(request, origin, timeouts)

    def release(self, connection: _Connection) -> None:
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

    async def __aenter__(self) -> Pool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _take(self, origin: _Origin) -> _Connection | None:
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
                self.release(waiter.result())  # handed over just as the wait ended
            else:
                waiter.cancel()
            if isinstance(exc, TimeoutError):
                raise httpcore.PoolTimeout("no connection came free in time") from None
            raise


class _Connection:
    """One connection slot: one request at a time on its socket, reopened when needed."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._socket: _Socket | None = None
        self._origin: _Origin | None = None
        self._idle_since = 0.0
        self.taken = False

    @property
    def is_open(self) -> bool:
        return self._socket is not None and not self._socket.lost

    def expired(self, now: float) -> bool:
        return now - self._idle_since >= KEEPALIVE_SECONDS

    def ready_for(self, origin: _Origin, now: float) -> bool:
        """Whether the socket can take a request for ``origin`` without reopening."""
        return self.is_open and self._origin == origin and not self.expired(now)

    async def exchange(
        self, request: httpcore.Request, origin: _Origin, timeouts: dict[str, float | None]
    ) -> httpcore.Response:
        """Send ``request`` (this slot is taken) and return the answer's head with its body."""
        try:
            if not self.ready_for(origin, time.monotonic()):
                self.close()
                self._socket = await _open(origin, self._pool, timeouts.get("connect"))
                self._origin = origin
            socket = self._socket
            assert socket is not None
            head = await socket.send(request, timeouts)
        except BaseException:
            self.release(reuse=False)
            raise
        return httpcore.Response(
            head.status_code,
            headers=head.headers.raw_items(),
            content=_Body(self, socket, timeouts.get("read")),
            extensions={"http_version": b"HTTP/" + head.http_version, "reason_phrase": head.reason},
        )

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
        self._pool.release(self)


class _Body:
    """An answer's body, read event by event; closing it ends the request's turn."""

    def __init__(self, connection: _Connection, socket: _Socket, timeout: float | None) -> None:
        self._connection = connection
        self._socket = socket
        self._timeout = timeout
        self._open = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            while True:
                event = await self._socket.event(self._timeout)
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    raise self._socket.failure("the server closed the connection mid-answer")
        except BaseException:
            self._end(reuse=False)
            raise
        self._end(reuse=True)

    async def aclose(self) -> None:
        """Close the body; unread, it costs the connection."""
        self._end(reuse=False)

    def _end(self, reuse: bool) -> None:
        if self._open:
            self._open = False
            self._connection.release(reuse)


async def _open(origin: _Origin, pool: Pool, timeout: float | None) -> _Socket:
    scheme, raw_host, port = origin
    host = raw_host.decode("ascii")
    tls = scheme == b"https"
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            _, socket = await loop.create_connection(
                _Socket,
                host,
                port or (443 if tls else 80),
                ssl=pool.ssl_context() if tls else None,
                server_hostname=host if tls else None,
                # A name's next address (IPv4 after IPv6, say) is tried after 250 ms, as anyio does
                # for httpx's own pool: a network that drops IPv6 silently would otherwise cost a
                # timeout. An address has nothing to race, and the race costs a task per connect.
                happy_eyeballs_delay=None if _is_address(host) else 0.25,
            )
    except TimeoutError:
        raise httpcore.ConnectTimeout("connecting took longer than the timeout") from None
    except OSError as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from None
    return socket


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class _Socket(asyncio.Protocol):
    """An open connection whose incoming bytes go straight to h11; one waiter at a time."""

    def __init__(self) -> None:
        self._h11 = h11.Connection(h11.CLIENT)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[bool] | None = None
        self._paused = False
        self._active = False  # a request is being sent or answered
        self._error: Exception | None = None
        self.lost = False

    # -- asyncio's callbacks ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        if not self._active:
            # Bytes between answers belong to no request; this connection can't be trusted.
            self.close()
            return
        self._h11.receive_data(data)
        self._wake()

    def eof_received(self) -> bool:
        self._closed_by_peer(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed_by_peer(exc)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake()

    # -- used by the pool -------------------------------------------------------------------

    async def send(
        self, request: httpcore.Request, timeouts: dict[str, float | None]
    ) -> h11.Response:
        """Write ``request`` whole and wait for the head of its answer."""
        self._active = True
        body = b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]
        h = self._h11
        try:
            data = h.send(
                h11.Request(
                    method=request.method, target=request.url.target, headers=request.headers
                )
            )
            if body:
                data += h.send(h11.Data(data=body))
            data += h.send(h11.EndOfMessage())
        except h11.ProtocolError as exc:
            raise httpcore.LocalProtocolError(str(exc)) from None
        assert data is not None and self._transport is not None
        self._transport.write(data)
        while self._paused and not self.lost:
            if not await self._wait(timeouts.get("write")):
                raise httpcore.WriteTimeout("sending took longer than the timeout")
        while True:
            event = await self.event(timeouts.get("read"))
            if isinstance(event, h11.Response):
                return event
            if not isinstance(event, h11.InformationalResponse):
                raise self.failure("the server closed the connection without answering")

    async def event(self, timeout: float | None) -> object:
        """The next event of the answer; raise httpcore's errors for a broken one."""
        h = self._h11
        while True:
            try:
                event = h.next_event()
            except h11.ProtocolError as exc:
                raise self.failure(str(exc)) from None
            if event is not h11.NEED_DATA:
                return event
            if self.lost:
                raise self.failure("the connection was closed")
            if not await self._wait(timeout):
                raise httpcore.ReadTimeout("no data arrived within the timeout")

    def next_cycle(self) -> bool:
        """Make the socket ready for the next request, if the last one ended cleanly."""
        self._active = False
        h = self._h11
        if self.lost or h.our_state is not h11.DONE or h.their_state is not h11.DONE:
            return False
        if h.trailing_data[0]:  # bytes after the answer belong to no request
            return False
        h.start_next_cycle()
        return True

    def close(self) -> None:
        self.lost = True
        if self._transport is not None:
            self._transport.close()
        self._wake()

    # -- internals ----------------------------------------------------------------------------

    def failure(self, what: str) -> httpcore.NetworkError | httpcore.ProtocolError:
        """The error for an answer cut short: ``what`` happened, or the connection failed."""
        if self._error is not None:  # the connection failed (reset, TLS error), not the server
            return httpcore.ReadError(str(self._error) or type(self._error).__name__)
        return httpcore.RemoteProtocolError(what)

    def _closed_by_peer(self, exc: Exception | None) -> None:
        if not self.lost:
            self.lost = True
            self._error = exc
            self._h11.receive_data(b"")
        self._wake()

    async def _wait(self, timeout: float | None) -> bool:
        """Wait for data, room to write or the end; ``False`` if ``timeout`` passed first."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiter = waiter
        timer = None if timeout is None else loop.call_later(timeout, _expire, waiter)
        try:
            return await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(True)


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)
