"""One connection of the async pool (langchain_posthog.pool): an asyncio protocol.

Incoming bytes go from asyncio's callbacks straight to an ``http11.Reader``; each wait for
them is one future with one timer. Errors are httpx's own, as httpx raises them for its pool.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import ssl
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import httpx

from langchain_posthog.http11 import Head, Reader, encode, keeps_alive

Origin = tuple[bytes, bytes, int | None]  # scheme, host, port
# What is sent: method, target, headers and body.
Request = tuple[bytes, bytes, list[tuple[bytes, bytes]], bytes]
Timeouts = dict[str, float | None]  # httpx's "timeout" extension: connect, read, write, pool

T = TypeVar("T")


async def connect(
    origin: Origin, ssl_context: Callable[[], ssl.SSLContext], timeout: float | None
) -> Socket:
    """A connection to ``origin`` (scheme, host, port), verified with ``ssl_context()`` if TLS."""
    scheme, raw_host, port = origin
    host = raw_host.decode("ascii")
    tls = scheme == b"https"
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            _, socket = await loop.create_connection(
                Socket,
                host,
                port or (443 if tls else 80),
                ssl=ssl_context() if tls else None,
                server_hostname=host if tls else None,
                # A name's next address (IPv4 after IPv6, say) is tried after 250 ms, as anyio does
                # for httpx's own pool: a network that drops IPv6 silently would otherwise cost a
                # timeout. An address has nothing to race, and the race costs a task per connect.
                happy_eyeballs_delay=None if _is_address(host) else 0.25,
            )
    except TimeoutError:
        raise httpx.ConnectTimeout("connecting took longer than the timeout") from None
    except OSError as exc:
        raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
    return socket


@functools.lru_cache(maxsize=64)
def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Socket(asyncio.Protocol):
    """An open connection whose incoming bytes go straight to a Reader; one waiter at a time."""

    def __init__(self) -> None:
        self._reader = Reader()
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[bool] | None = None
        self._paused = False
        self._active = False  # a request is being sent or answered
        self._error: Exception | None = None
        self.lost = False

    # -- asyncio's callbacks ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to write on."""
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        """Hand the bytes to the reader and wake the request waiting for them."""
        if not self._active:
            # Bytes between answers belong to no request; this connection can't be trusted.
            self.close()
            return
        self._reader.feed(data)
        self._wake()

    def eof_received(self) -> bool:
        """The server closed its side: no more bytes will come."""
        self._closed_by_peer(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone, closed or failed (``exc``)."""
        self._closed_by_peer(exc)

    def pause_writing(self) -> None:
        """The send buffer is full: wait before writing on."""
        self._paused = True

    def resume_writing(self) -> None:
        """The send buffer has room again."""
        self._paused = False
        self._wake()

    # -- used by the pool -------------------------------------------------------------------

    async def send(self, request: Request, timeouts: Timeouts) -> Head:
        """Write ``request`` whole and wait for the head of its answer."""
        self._active = True
        method, target, headers, body = request
        assert self._transport is not None
        self._transport.write(encode(method, target, headers, body))
        while self._paused and not self.lost:
            if not await self._wait(timeouts.get("write")):
                raise httpx.WriteTimeout("sending took longer than the timeout")
        reader, keep_alive = self._reader, keeps_alive(headers)
        return await self._read(lambda: reader.head(method, keep_alive), timeouts.get("read"))

    async def read(self, timeout: float | None) -> bytes:
        """The body's next bytes, ``b""`` at its end."""
        return await self._read(self._reader.body, timeout)

    def arrived(self) -> tuple[bytes, bool]:
        """The body's bytes that have arrived, and whether they are all of it (no wait)."""
        data = self._reader.body()
        if data is None:
            return b"", False
        return data, data == b"" or self._reader.body() == b""

    def next_cycle(self) -> bool:
        """Make the socket ready for the next request, if the last one ended cleanly."""
        self._active = False
        if self.lost or not self._reader.reusable:
            return False
        self._reader.next_cycle()
        return True

    def close(self) -> None:
        """Close the connection; whoever waits on it is woken to find it gone."""
        self.lost = True
        if self._transport is not None:
            self._transport.close()
        self._wake()

    # -- internals ----------------------------------------------------------------------------

    async def _read(self, take: Callable[[], T | None], timeout: float | None) -> T:
        """What ``take`` returns once it is not ``None``; raise httpx's errors otherwise."""
        while True:
            try:
                got = take()
            except httpx.RemoteProtocolError as exc:
                raise self._failure(str(exc)) from None
            if got is not None:
                return got
            if self.lost:
                raise self._failure("the connection was closed")
            if not await self._wait(timeout):
                raise httpx.ReadTimeout("no data arrived within the timeout")

    def _failure(self, what: str) -> httpx.TransportError:
        if self._error is not None:  # the connection failed (reset, TLS error), not the server
            return httpx.ReadError(str(self._error) or type(self._error).__name__)
        return httpx.RemoteProtocolError(what)

    def _closed_by_peer(self, exc: Exception | None) -> None:
        if not self.lost:
            self.lost = True
            self._error = exc
            self._reader.feed_eof()
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


class Body(httpx.AsyncByteStream):
    """An answer's body, read as it arrives after ``first``; ``done(reuse)`` runs at its end."""

    def __init__(
        self,
        socket: Socket,
        timeout: float | None,
        done: Callable[[bool], None],
        first: bytes = b"",
    ) -> None:
        self._done: Callable[[bool], None] | None = done
        self._socket = socket
        self._timeout = timeout
        self._first = first

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            if self._first:
                yield self._first
            while data := await self._socket.read(self._timeout):
                yield data
        except BaseException:
            self._end(reuse=False)
            raise
        self._end(reuse=True)

    async def aclose(self) -> None:
        """Close the body; unread, it costs the connection."""
        self._end(reuse=False)

    def _end(self, reuse: bool) -> None:
        done, self._done = self._done, None
        if done is not None:
            done(reuse)
