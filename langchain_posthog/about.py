"""The package's version and its logger, which both sides of the toolkit use."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

logger = logging.getLogger("langchain_posthog")
# A library's logger stays silent until the application configures logging.
logger.addHandler(logging.NullHandler())

try:
    __version__ = version("langchain-posthog")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
