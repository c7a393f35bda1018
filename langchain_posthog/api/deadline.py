"""Reading a whole answer, headers and body, within the timeout.

httpx's timeouts bound connecting and each read, not a whole answer: a server or proxy that
sends a few bytes at a time keeps every read short and the call alive for as long as it likes.
The sync client reads each body through a stream that gives up between two chunks once the
answer's deadline has passed, as httpx would on a read that took too long; the async client
bounds the whole exchange with ``asyncio.timeout``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx

_TOO_LONG = "the whole answer took longer than the timeout"


def answer_within(client: httpx.Client, request: httpx.Request, seconds: float) -> httpx.Response:
    """Send ``request`` and read its whole answer within ``seconds``, or raise ReadTimeout."""
    deadline = time.monotonic() + seconds
    response = client.send(request, stream=True)
    assert isinstance(response.stream, httpx.SyncByteStream)
    response.stream = _Sync(response.stream, deadline, response.request)
    try:
        response.read()
    except BaseException:
        response.close()
        raise
    return response


async def aanswer_within(
    client: httpx.AsyncClient, request: httpx.Request, seconds: float
) -> httpx.Response:
    """Async :func:`answer_within`."""
    response: httpx.Response | None = None
    try:
        async with asyncio.timeout(seconds):
            response = await client.send(request, stream=True)
            await response.aread()
    except BaseException as exc:
        if response is not None:
            await response.aclose()
        if isinstance(exc, TimeoutError):
            raise httpx.ReadTimeout(_TOO_LONG, request=request) from None
        raise
    return response


class _Sync(httpx.SyncByteStream):
    def __init__(
        self, stream: httpx.SyncByteStream, deadline: float, request: httpx.Request
    ) -> None:
        self._stream, self._deadline, self._request = stream, deadline, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            if time.monotonic() > self._deadline:
                raise httpx.ReadTimeout(_TOO_LONG, request=self._request)
            yield chunk

    def close(self) -> None:
        self._stream.close()
