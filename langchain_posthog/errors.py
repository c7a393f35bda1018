"""Exceptions raised by the PostHog client.

Every message here is written for two readers: a developer reading a log, and a model deciding
what to do next. None of them ever holds an API key, a query string or a raw response body.
"""

from __future__ import annotations


class PostHogError(Exception):
    """Base class for everything this package raises on purpose."""


class PostHogConfigError(PostHogError, ValueError):
    """The toolkit's settings are wrong or incomplete (a key in the wrong place, a bad host)."""


class PostHogReadOnlyError(PostHogError):
    """A write was attempted through a toolkit built with ``read_only=True``."""


class PostHogTransportError(PostHogError):
    """The request never got an HTTP answer: timeout, refused or dropped connection.

    Attributes:
        kind: ``"timeout"``, ``"connect"`` or ``"dropped"``.
        method: HTTP method of the request.
        path: URL path of the request, without host or query.
        attempts: how many times the request was sent.
        safe_to_retry: whether sending it again cannot create a duplicate.
    """

    def __init__(
        self, kind: str, method: str, path: str, *, attempts: int, safe_to_retry: bool
    ) -> None:
        self.kind = kind
        self.method = method
        self.path = path
        self.attempts = attempts
        self.safe_to_retry = safe_to_retry
        what = {
            "timeout": "timed out",
            "connect": "could not connect to PostHog",
            "dropped": "the connection was dropped before PostHog answered",
            "bad_response": "got an answer that could not be read (invalid or truncated JSON)",
        }.get(kind, kind)
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        advice = (
            "This is usually transient; it is safe to try again."
            if safe_to_retry
            else "PostHog may or may not have applied it: check before trying again."
        )
        super().__init__(f"{method} {path} {what}{tries}. {advice}")


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
