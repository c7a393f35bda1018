"""Reading PostHog's answers: a success into a :class:`Reply`, a failure into an error.

Secrets are taken out of both before anything else sees them: a key PostHog echoes back, in a
body or an error's fields, is masked, and values under credential names are redacted.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from langchain_posthog.api.calls import Call, Reply, is_idempotent
from langchain_posthog.api.errors import PostHogAPIError, PostHogTransportError
from langchain_posthog.api.redaction import mask_text, may_hold_secrets, redact
from langchain_posthog.api.retry import parse_retry_after


def reply(call: Call, response: httpx.Response, attempt: int, secrets: tuple[str, ...]) -> Reply:
    """A successful answer to ``call``, parsed, with ``secrets`` masked and credentials redacted.

    A body that is not JSON is a transport failure: an answer PostHog never gave whole.
    """
    data: Any = None
    if call.text:
        data = mask_text(response.text, secrets)
    elif response.content.strip():
        try:
            data = response.json()
        except ValueError:
            raise PostHogTransportError(
                "bad_response",
                call.method,
                call.path,
                attempts=attempt,
                safe_to_retry=is_idempotent(call),
            ) from None
        if may_hold_secrets(response.content, secrets):
            data = redact(data, secrets)
    return Reply(response.status_code, data, response.headers)


def api_error(
    call: Call, response: httpx.Response, attempt: int, waited: float, secrets: tuple[str, ...]
) -> PostHogAPIError:
    """The error for an answer that is not a success, from PostHog's JSON error if it sent one.

    ``attempt`` is how many times ``call`` was sent, and ``waited`` the seconds spent between.
    """
    fields: dict[str, Any] = {}
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        if body.get("type") == "multiple" and isinstance(body.get("list"), list):
            parts = [
                f"{item.get('attr')}: {item.get('detail')}"
                if item.get("attr")
                else str(item.get("detail"))
                for item in body["list"]
                if isinstance(item, dict)
            ]
            fields = {
                "type": "validation_error",
                "code": "multiple",
                "detail": "; ".join(parts),
            }
        else:
            detail = body.get("detail") or body.get("error") or body.get("error_message")
            fields = {
                "type": _text(body.get("type")),
                "code": _text(body.get("code")),
                "detail": _text(detail),
                "attr": _text(body.get("attr")),
            }
    else:
        fields = {"detail": _summarize_body(response), "json_body": False}
    # PostHog may echo what it was sent in any of these fields, keys included.
    fields = {k: mask_text(v, secrets) if isinstance(v, str) else v for k, v in fields.items()}
    retry_after = parse_retry_after(response.headers.get("Retry-After"), fields.get("detail"))
    return PostHogAPIError(
        response.status_code,
        method=call.method,
        path=call.path,
        retry_after=retry_after,
        attempts=attempt,
        waited=waited,
        safe_to_retry=is_idempotent(call),
        **fields,
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value)[:500]


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _summarize_body(response: httpx.Response) -> str:
    """One line about a body that is not PostHog's JSON error format (a proxy's HTML page)."""
    text = response.text.strip()
    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
    if "html" in kind or text.lower().startswith(("<!doctype", "<html")):
        match = _TITLE.search(text)
        title = " ".join(match.group(1).split())[:120] if match else ""
        return f"an HTML error page{f' ({title!r})' if title else ''}, not PostHog's JSON"
    if not text:
        return f"an empty {response.reason_phrase or 'error'} response"
    line = " ".join(text.split())
    return line[:200] + ("..." if len(line) > 200 else "")
