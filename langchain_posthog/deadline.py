"""Reading an answer within a deadline.

httpx's timeouts bound connecting and each read, not a whole answer: a server or proxy that
sends a few bytes at a time keeps every read short and the call alive for as long as it likes.
The client reads each body through one of these streams, which give up between two chunks once
the answer's deadline has passed, as httpx would on a read that took too long.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import httpx


def read_within(response: httpx.Response, deadline: float) -> httpx.Response:
    """Read ``response``'s body (sent with ``stream=True``) by ``deadline`` (``time.monotonic``)."""
    assert isinstance(response.stream, httpx.SyncByteStream)
    response.stream = _Sync(response.stream, deadline, response.request)
    try:
        response.read()
    except BaseException:
        response.close()
        raise
    return response


async def aread_within(response: httpx.Response, deadline: float) -> httpx.Response:
    """Async :func:`read_within`."""
    assert isinstance(response.stream, httpx.AsyncByteStream)
    response.stream = _Async(response.stream, deadline, response.request)
    try:
        await response.aread()
    except BaseException:
        await response.aclose()
        raise
    return response


def _check(deadline: float, request: httpx.Request) -> None:
    if time.monotonic() > deadline:
        raise httpx.ReadTimeout("the whole answer took longer than the timeout", request=request)


class _Sync(httpx.SyncByteStream):
    def __init__(
        self, stream: httpx.SyncByteStream, deadline: float, request: httpx.Request
    ) -> None:
        self._stream, self._deadline, self._request = stream, deadline, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            _check(self._deadline, self._request)
            yield chunk

    def close(self) -> None:
        self._stream.close()


class _Async(httpx.AsyncByteStream):
    def __init__(
        self, stream: httpx.AsyncByteStream, deadline: float, request: httpx.Request
    ) -> None:
        self._stream, self._deadline, self._request = stream, deadline, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            _check(self._deadline, self._request)
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()
