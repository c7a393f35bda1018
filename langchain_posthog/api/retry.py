"""When a request is sent again, and after how long."""

from __future__ import annotations

import email.utils
import random
import re
import socket
import ssl
import time
from dataclasses import dataclass

import httpx

from langchain_posthog.api.calls import Call, is_idempotent

_THROTTLE_SECONDS = re.compile(r"available in (\d+(?:\.\d+)?) seconds?")


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a request again.

    Reads and idempotent writes retry 429, 502, 503, 504, timeouts and dropped connections.
    A POST retries only when PostHog provably did not act on it: a 429, or a connection that was
    never made. A host that does not resolve, refuses connections or fails the TLS handshake is
    a wrong setting, and nothing retries it. Waits grow exponentially with jitter, and a
    ``Retry-After`` is honoured up to ``max_retry_after`` seconds.
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
        if failure in CONFIGURATION_FAILURES:
            retryable = False
        elif status == 429 or failure == "connect":
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


# Connection failures that say the setting is wrong, not that the network hiccuped: sending again
# gives the same answer, so they are not retried.
CONFIGURATION_FAILURES = frozenset({"dns", "refused", "tls_certificate", "tls_protocol"})
# Failures where the request never left this machine: sending again cannot create a duplicate.
NEVER_SENT = CONFIGURATION_FAILURES | {"connect"}


def failure_kind(exc: httpx.TransportError) -> str:
    """What kind of failure ``exc`` is, the first thing :meth:`RetryPolicy.delay` weighs.

    ``"dns"`` (no such host), ``"refused"``, ``"tls_certificate"`` and ``"tls_protocol"`` are
    read from the OS or TLS error underneath httpx's; ``"connect"`` is any other failure to
    connect (a connect timeout, a full pool); then ``"timeout"`` and ``"dropped"``.
    """
    if isinstance(exc, httpx.ConnectError):
        return _connect_cause(exc) or "connect"
    # A connection that was never made cannot have been acted on.
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return "connect"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    return "dropped"


def failure_reason(exc: httpx.TransportError) -> str:
    """The underlying error's own words, for a message (``certificate has expired``)."""
    cause = _root(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return cause.verify_message or cause.reason or str(cause)
    if isinstance(cause, ssl.SSLError):
        if cause.reason in {"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE"}:
            return "the server does not speak TLS on that port"
        return cause.reason or str(cause)
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return str(cause) if cause is not exc else str(exc)


def _connect_cause(exc: BaseException) -> str | None:
    for cause in _chain(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "tls_certificate"
        if isinstance(cause, ssl.SSLError):
            return "tls_protocol"
        if isinstance(cause, socket.gaierror):
            return "dns"
        if isinstance(cause, ConnectionRefusedError):
            return "refused"
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the errors it was raised from, outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _root(exc: BaseException) -> BaseException:
    return _chain(exc)[-1]
