"""Running a query node: POST it, and poll PostHog while it runs the query in the background.

The query, insight and funnel tools all run their questions through here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_posthog.actions._render import said
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import Area
from langchain_posthog.api.calls import Call, Plan, Sleep
from langchain_posthog.api.errors import PostHogAPIError

QUERIES = Area("query", "query", "query")
# Waits between polls of a query PostHog runs in the background: about 20 s in all.
POLL_WAITS = (0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0)
RESUME_WAITS = (0.0, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0)
SLOW_WORDS = ("timeout", "timed out", "too long", "memory limit", "estimated")


def run_query(
    ctx: Context, query: dict[str, Any], name: str, waits: Sequence[float] = POLL_WAITS
) -> Plan[dict[str, Any]]:
    """POST a query node and return its result, polling if PostHog runs it in the background.

    ``waits`` are the pauses between polls; with none, a query still running is not polled.
    """
    body = {"query": query, "refresh": "blocking", "name": f"langchain-posthog: {name}"}
    path = QUERIES.at(ctx)
    # A query creates nothing, so sending it again after a timeout is safe.
    reply = yield Call("POST", path, json=body, idempotent=True)
    data = reply.data if isinstance(reply.data, dict) else {}
    if reply.status == 202 or _running(data):
        query_id = (data.get("query_status") or {}).get("id")
        if isinstance(query_id, str):
            return (yield from poll_query(ctx, query_id, waits))
    return data


def poll_query(ctx: Context, query_id: str, waits: Sequence[float]) -> Plan[dict[str, Any]]:
    """Check a background query until it completes or ``waits`` run out."""
    path = QUERIES.at(ctx, query_id)
    status: dict[str, Any] = {"id": query_id, "complete": False}
    for wait in waits:
        if wait:
            yield Sleep(wait)
        reply = yield Call("GET", path)
        answer = reply.data if isinstance(reply.data, dict) else {}
        status = answer.get("query_status") or status
        if status.get("error"):
            raise PostHogAPIError(
                400,
                method="GET",
                path=path,
                type="query_error",
                detail=status.get("error_message") or "the query failed",
            )
        if status.get("complete"):
            results = status.get("results")
            return results if isinstance(results, dict) else {"results": results}
    return {"query_status": status}


def period(data: dict[str, Any]) -> str:
    """Describe the resolved date range of a result: `` 2026-11-13 to 2026-11-20``."""
    dates = data.get("resolved_date_range") or {}
    start, end = str(dates.get("date_from") or "")[:10], str(dates.get("date_to") or "")[:10]
    return f" {start} to {end}" if start and end else ""


def _running(data: dict[str, Any]) -> bool:
    status = data.get("query_status")
    return "results" not in data and isinstance(status, dict) and not status.get("complete")


def pending_text(data: dict[str, Any], again: str) -> str | None:
    """Say that a query is still running, or ``None`` when it has its result."""
    if not _running(data):
        return None
    query_id = (data.get("query_status") or {}).get("id")
    return (
        f"PostHog is still running this query{said(' (id {})', query_id)} after about 20 s. {again}"
    )


def query_explainer(
    fix: str, narrow: str = "Shorten the date range or filter more"
) -> Callable[[PostHogAPIError, Any, Context], str | None]:
    """Explain query errors with PostHog's message and what to change.

    ``fix``: what to change after a 400; ``narrow``: how to make a query too slow for PostHog
    smaller, in the words of the tool's own arguments.
    """

    def explain(error: PostHogAPIError, args: Any, ctx: Context) -> str | None:
        detail = (error.detail or "").rstrip(".")
        slow = error.status in {504, 512} or (
            error.status >= 500 and any(w in detail.lower() for w in SLOW_WORDS)
        )
        if slow:
            return (
                f"The query was too slow for PostHog ({error.status}: {detail or 'timed out'}). "
                f"{narrow}, then call again."
            )
        if error.status == 400:
            return f"PostHog could not run the query (400): {detail or 'invalid query'}. {fix}"
        return None

    return explain
