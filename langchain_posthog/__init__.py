"""LangChain tools for PostHog."""

from langchain_posthog.about import __version__
from langchain_posthog.api.client import PostHogClient
from langchain_posthog.api.errors import (
    PostHogAPIError,
    PostHogClosedError,
    PostHogConfigError,
    PostHogError,
    PostHogReadOnlyError,
    PostHogTransportError,
)
from langchain_posthog.tool import PostHogTool
from langchain_posthog.toolkit import ActionResult, PostHogToolkit

__all__ = [
    "ActionResult",
    "PostHogAPIError",
    "PostHogClient",
    "PostHogClosedError",
    "PostHogConfigError",
    "PostHogError",
    "PostHogReadOnlyError",
    "PostHogTool",
    "PostHogToolkit",
    "PostHogTransportError",
    "__version__",
]
