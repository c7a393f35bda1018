"""Exceptions raised by the PostHog client.

Every message here is written for two readers: a developer reading a log, and a model deciding
what to do next. None of them ever holds an API key, a query string or a raw response body.
"""

from __future__ import annotations


class PostHogError(Exception):
    """Base class for everything this package raises on purpose."""


class PostHogConfigError(PostHogError, ValueError):
    """The toolkit's settings are wrong or incomplete (a key in the wrong place, a bad host)."""


class PostHogClosedError(PostHogError, RuntimeError):
    """A call was made through a toolkit (or client) after it was closed."""


class PostHogReadOnlyError(PostHogError):
    """A write was attempted through a toolkit built with ``read_only=True``."""


class PostHogTransportError(PostHogError):
    """The request never got an HTTP answer: no such host, refused, TLS failure, timeout, drop.

    Attributes:
        kind: ``"dns"``, ``"refused"``, ``"tls_certificate"`` or ``"tls_protocol"`` (a wrong
            setting, never retried); ``"connect"`` (another failure to connect), ``"timeout"``,
            ``"dropped"`` or ``"bad_response"``.
        method: HTTP method of the request.
        path: URL path of the request, without host or query.
        host: the origin the request went to (``https://us.posthog.com``), or ``""``.
        reason: the underlying error's own words, for the TLS and other connect failures.
        attempts: how many times the request was sent.
        safe_to_retry: whether sending it again cannot create a duplicate.
        transient: whether trying again later may succeed (false for a wrong setting).
    """

    def __init__(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        attempts: int,
        safe_to_retry: bool,
        host: str = "",
        reason: str = "",
    ) -> None:
        self.kind = kind
        self.method = method
        self.path = path
        self.host = host
        self.reason = reason
        self.attempts = attempts
        self.safe_to_retry = safe_to_retry
        self.transient = kind not in _SETTINGS
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        if kind in _SETTINGS:
            happened, fix = _SETTINGS[kind]
            cause = happened.format(host=_hostname(host) or "the host", reason=reason or "unknown")
            where = f" at {host}" if host else ""
            text = (
                f"could not reach PostHog{where}: {cause}{tries}. {fix} This is a setting, not a "
                "passing fault: retrying will not help."
            )
        else:
            what = {
                "connect": "could not connect to PostHog",
                "timeout": "timed out",
                "dropped": "the connection was dropped before PostHog answered",
                "bad_response": "got an answer that could not be read (invalid or truncated JSON)",
            }.get(kind, kind)
            where = f" ({host})" if host else ""
            advice = (
                "This is usually transient; it is safe to try again."
                if safe_to_retry
                else "PostHog may or may not have applied it: check before trying again."
            )
            text = f"{what}{tries}{where}. {advice}"
        super().__init__(f"{method} {path} {text}")


# Each failure that comes from a wrong setting: what happened, and what to fix.
_SETTINGS = {
    "dns": (
        "no such host ({host} does not resolve)",
        "Check the host (POSTHOG_HOST or host=): 'us', 'eu', or your PostHog's URL.",
    ),
    "refused": (
        "connection refused (nothing listens on that port)",
        "Check the host's URL and port (POSTHOG_HOST or host=).",
    ),
    "tls_certificate": (
        "its TLS certificate was not accepted ({reason})",
        "For a self-hosted PostHog with its own certificate authority, point SSL_CERT_FILE at "
        "its certificate; otherwise check the host.",
    ),
    "tls_protocol": (
        "the TLS handshake failed ({reason})",
        "If this port speaks plain HTTP, write the host as http://...; otherwise check the host "
        "and port.",
    ),
}


def _hostname(origin: str) -> str:
    rest = origin.split("://", 1)[-1]
    return rest.split("/", 1)[0].rsplit(":", 1)[0] if rest else ""


class PostHogAPIError(PostHogError):
    """PostHog answered with an error status.

    Attributes mirror PostHog's error body (``type``, ``code``, ``detail``, ``attr``), plus the
    HTTP ``status``, the request's ``method`` and ``path``, how many ``attempts`` were made and
    how many seconds were spent ``waited`` between them, the server's ``retry_after`` hint, and
    whether sending the request again is ``safe_to_retry`` (false for a create, which PostHog
    may have carried out before failing).
    """

    def __init__(
        self,
        status: int,
        *,
        method: str,
        path: str,
        type: str | None = None,
        code: str | None = None,
        detail: str | None = None,
        attr: str | None = None,
        retry_after: float | None = None,
        attempts: int = 1,
        waited: float = 0.0,
        safe_to_retry: bool = True,
    ) -> None:
        self.status = status
        self.safe_to_retry = safe_to_retry
        self.method = method
        self.path = path
        self.type = type
        self.code = code
        self.detail = detail
        self.attr = attr
        self.retry_after = retry_after
        self.attempts = attempts
        self.waited = waited
        text = f"PostHog answered {status} to {method} {path}"
        if attr:
            text += f" (field {attr!r})"
        if detail:
            text += f": {detail}"
        super().__init__(text)
