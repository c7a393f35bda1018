"""The package's logger: silent until the application configures logging."""

from __future__ import annotations

import subprocess
import sys

from tests.standin import LOOPBACK_ONLY

pytestmark = LOOPBACK_ONLY


def test_the_library_logs_nothing_where_logging_is_not_configured() -> None:
    script = (
        "import logging\n"
        "from langchain_posthog.about import logger\n"
        "logger.warning('PostHog GET /x: 503; retrying')\n"
        "assert any(isinstance(h, logging.NullHandler) for h in logger.handlers)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
