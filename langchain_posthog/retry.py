"""When a request is sent again, and after how long."""

from __future__ import annotations

import email.utils
import random
import re
import time
from dataclasses import dataclass

import httpx

from langchain_posthog.calls import Call, is_idempotent

_THROTTLE_SECONDS = re.compile(r"available in (\d+(?:\.\d+)?) seconds?")


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a request again.

    Reads and idempotent writes retry 429, 502, 503, 504, timeouts and dropped connections.
    A POST retries only when PostHog provably did not act on it: a 429, or a connection that was
    never made. Waits grow exponentially with jitter, and a ``Retry-After`` is honoured up to
    ``max_retry_after`` seconds.
    """

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0

    def delay(
        self,
        call: Call,
        attempt: int,
        *,
        status: int | None = None,
        failure: str | None = None,
        retry_after: float | None = None,
    ) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to stop."""
        if attempt > self.max_retries:
            return None
        if status == 429 or failure == "connect":
            retryable = True
        elif status in {502, 503, 504} or failure in {"timeout", "dropped"}:
            retryable = is_idempotent(call)
        else:
            retryable = False
        if not retryable:
            return None
        if retry_after is not None:
            return float(max(0.0, min(retry_after, self.max_retry_after)))
        base: float = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)


def parse_retry_after(value: str | None, detail: str | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date) or a throttle detail."""
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(0.0, when.timestamp() - time.time())
    if detail:
        match = _THROTTLE_SECONDS.search(detail)
        if match:
            return float(match.group(1))
    return None


def failure_kind(exc: httpx.TransportError) -> str:
    """``"connect"``, ``"timeout"`` or ``"dropped"``: what :meth:`RetryPolicy.delay` weighs."""
    # A connection that was never made (refused, DNS, pool exhausted) cannot have been acted on.
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return "connect"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    return "dropped"
