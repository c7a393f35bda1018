"""A minimal HTTP/1.1 server on 127.0.0.1 for the overhead and overlap benchmarks.

It runs in its own process (so it never competes with the measured client for the GIL), speaks
just enough HTTP/1.1 for httpx (keep-alive, Content-Length bodies), and answers every request
with the same JSON body, at once or after a fixed delay. Asyncio with a raw protocol keeps the
server far from being the bottleneck.

    python benchmarks/loopback.py [DELAY_SECONDS]    # prints the port, serves until killed
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# PostHog's answer to GET /api/projects/2/feature_flags/1234/ (as in the tool's cassette).
FLAG = (
    b'{"id": 1234, "name": "New onboarding flow", "key": "new-onboarding", "filters": {"groups": '
    b'[{"properties": [], "rollout_percentage": 0, "variant": null}], "payloads": {}, '
    b'"multivariate": null}, "deleted": false, "active": true, "created_by": {"id": 1, "uuid": '
    b'"01900000-0000-7000-8000-0000000000aa", "distinct_id": "abc123", "first_name": "Ada", '
    b'"email": "user@example.com", "hedgehog_config": null}, "created_at": "2026-11-20T10:20:00Z", '
    b'"updated_at": "2026-11-20T10:20:00Z", "version": 1, "last_modified_by": {"id": 1, "uuid": '
    b'"01900000-0000-7000-8000-0000000000aa", "distinct_id": "abc123", "first_name": "Ada", '
    b'"email": "user@example.com", "hedgehog_config": null}, "is_simple_flag": true, '
    b'"rollout_percentage": 0, "ensure_experience_continuity": false, "experiment_set": [], '
    b'"surveys": {}, "features": {}, "can_edit": true, "tags": [], "usage_dashboard": 88, '
    b'"analytics_dashboards": [], "user_access_level": "editor", "status": "ACTIVE", '
    b'"evaluation_runtime": "all", "last_called_at": null}'
)
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
    b"Content-Length: " + str(len(FLAG)).encode() + b"\r\n\r\n" + FLAG
)


class _Http(asyncio.Protocol):
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            length = 0
            marker = head.find(b"content-length:")
            if marker >= 0:
                length = int(head[marker + 15 :].split(b"\r\n", 1)[0])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            if self.delay:
                asyncio.get_running_loop().call_later(self.delay, self._answer)
            else:
                self._answer()

    def _answer(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(RESPONSE)


async def _serve(delay: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Http(delay), "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


@contextlib.contextmanager
def serving(delay: float = 0.0) -> Iterator[str]:
    """Run the server in a child process; yield its origin (``http://127.0.0.1:PORT``)."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), str(delay)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0))
