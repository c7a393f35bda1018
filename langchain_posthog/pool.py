"""An async transport that gives each connection an httpx connection pool of its own.

httpcore's pool (under every ``httpx.AsyncClient``) rescans all its connections for every
queued request each time a request starts or ends, and while it holds more connections than
its keep-alive limit it closes each connection that falls idle, so queued requests reconnect
(encode/httpcore#1035). Past a few dozen concurrent calls the client's own bookkeeping, not
the server, sets the pace: through one pool of 50 connections, 100 concurrent calls took 15
times one call's latency once the pool was warm (benchmarks/overlap.py). A pool of one
connection has nothing to rescan and never outgrows its keep-alive limit (pools of two to five
measured alike).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable

import httpx


class ShardedTransport(httpx.AsyncBaseTransport):
    """At most ``connections`` kept-alive connections, each in a pool of its own.

    Each request goes to the least busy pool, the first on a tie, so that calls made one at a
    time keep reusing one connection.
    """

    _LIMITS = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    def __init__(self, connections: int, ssl_context: ssl.SSLContext) -> None:
        self._ssl_context = ssl_context
        # Made when first needed: calls made one at a time only ever need the first.
        self._pools: list[httpx.AsyncHTTPTransport | None] = [None] * connections
        self._busy = [0] * connections

    @property
    def in_flight(self) -> int:
        """Requests sent whose answers are not yet read and closed."""
        return sum(self._busy)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the least busy pool; it stays busy until the body closes."""
        busy = self._busy
        shard = busy.index(min(busy))
        busy[shard] += 1

        def done() -> None:
            busy[shard] -= 1

        pool = self._pools[shard]
        if pool is None:
            pool = self._pools[shard] = httpx.AsyncHTTPTransport(
                verify=self._ssl_context, limits=self._LIMITS
            )
        try:
            response = await pool.handle_async_request(request)
        except BaseException:
            done()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Counted(response.stream, done)
        return response

    async def aclose(self) -> None:
        """Close every pool's connections."""
        for pool in self._pools:
            if pool is not None:
                await pool.aclose()


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its shard when it is closed, once."""

    def __init__(self, stream: httpx.AsyncByteStream, done: Callable[[], None]) -> None:
        self._stream = stream
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        """Close the body and free its shard."""
        try:
            await self._stream.aclose()
        finally:
            if self._done is not None:
                self._done()
                self._done = None
