"""A real redis-server on a free loopback port, for the tests that share budgets through Redis.

No fake: the budgets' Lua script, the pause channel and a server that goes away mid-run are the
things under test. Where no redis-server can be started, the test fails with the line that
installs one.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

INSTALL = (
    "apt-get install -y redis-server (Debian, Ubuntu; the README's test command does this), "
    "or brew install redis (macOS)"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """``redis-server`` started on 127.0.0.1, without persistence; ``url`` reaches it."""

    def __init__(self) -> None:
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail(f"redis-server is not on PATH; install it: {INSTALL}", pytrace=False)
        for _ in range(3):  # another process may take the free port first
            self.port = _free_port()
            self.process = subprocess.Popen(
                [
                    executable,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--loglevel",
                    "warning",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.process.poll() is None:
                if _answers(self.port):
                    return self
                time.sleep(0.02)
            self.stop()
        pytest.fail(f"redis-server did not start on 127.0.0.1 ({INSTALL})", pytrace=False)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextlib.contextmanager
def running() -> Iterator[RedisServer]:
    """A started server, stopped after the block."""
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()
