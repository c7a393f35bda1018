"""Reading an answer within a deadline, for the sync client.

httpx's timeouts bound connecting and each read, not a whole answer: a server or proxy that
sends a few bytes at a time keeps every read short and the call alive for as long as it likes.
The sync client reads each body through one of these streams, which give up between two chunks
once the answer's deadline has passed, as httpx would on a read that took too long. (The async
client bounds the whole exchange, headers included, with ``asyncio.timeout``.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator

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


class _Sync(httpx.SyncByteStream):
    def __init__(
        self, stream: httpx.SyncByteStream, deadline: float, request: httpx.Request
    ) -> None:
        self._stream, self._deadline, self._request = stream, deadline, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            if time.monotonic() > self._deadline:
                raise httpx.ReadTimeout(
                    "the whole answer took longer than the timeout", request=self._request
                )
            yield chunk

    def close(self) -> None:
        self._stream.close()
