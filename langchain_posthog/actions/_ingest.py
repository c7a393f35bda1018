"""Sending events through PostHog's ingestion API, and reading its plain-text refusals.

Event capture and a person's property removal both send events this way.
"""

from __future__ import annotations

from typing import Any

from langchain_posthog.actions._row import Context
from langchain_posthog.api.calls import Call
from langchain_posthog.api.errors import PostHogAPIError

CAPTURE_PATHS = ("/i/v0/e/", "/batch/")


def capture_call(path: str, body: dict[str, Any], *, gzip: bool = False) -> Call:
    """Build the request that sends events: ingestion host, project key added by the client.

    It is idempotent because every event carries its uuid, so retrying cannot double count.
    """
    return Call(
        "POST", path, json=body, host="ingest", with_project_key=True, idempotent=True, gzip=gzip
    )


def explain_capture(error: PostHogAPIError, args: Any, ctx: Context) -> str | None:
    """Wording for errors of PostHog's capture service, which speaks plain text, not JSON."""
    if error.path not in CAPTURE_PATHS:
        return None
    detail = (error.detail or "").rstrip(".")
    if error.status == 401:
        return (
            f"PostHog's capture service rejected the project API key (401: {detail}). Check "
            "POSTHOG_PROJECT_API_KEY (phc_..., from Project settings). Retrying will not help."
        )
    if error.status == 413:
        return (
            f"PostHog refused the events as too large (413: {detail}). Send fewer or smaller "
            "properties, or split the batch."
        )
    if error.status == 400:
        return f"PostHog's capture service refused the event(s) (400): {detail}. Fix and retry."
    return None
