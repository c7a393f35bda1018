"""Exceptions raised by the PostHog client.

Every message here is written for two readers: a developer reading a log, and a model deciding
what to do next. None of them ever holds an API key, a query string or a raw response body.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar


class PostHogError(Exception):
    """Base class for everything this package raises on purpose."""


class PostHogConfigError(PostHogError, ValueError):
    """The toolkit's settings are wrong or incomplete (a key in the wrong place, a bad host)."""


class PostHogClosedError(PostHogError, RuntimeError):
    """A call was made through a toolkit (or client) after it was closed."""


class PostHogReadOnlyError(PostHogError):
    """A write was attempted through a toolkit built with ``read_only=True``."""


class _Fixed(PostHogError):
    """An error whose fields are set once: change one with ``dataclasses.replace``.

    A copy made that way keeps every other field, so code that rewords an error (masking a
    secret in its detail, say) cannot drop one. Python's own attributes of an exception
    (``__traceback__``, ``__cause__``, notes) stay writable, as raising and ``with`` need.
    """

    def __post_init__(self) -> None:
        PostHogError.__init__(self, self._text())

    def _text(self) -> str:
        raise NotImplementedError

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dataclass_fields__ and name in self.__dict__:  # type: ignore[attr-defined]
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if name in self.__dataclass_fields__:  # type: ignore[attr-defined]
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super().__delattr__(name)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own pickling passes the message to __init__ and sets fields afterwards.
        return (_rebuild, (type(self), dataclasses.asdict(self)))  # type: ignore[call-overload]


E = TypeVar("E", bound=_Fixed)


def _rebuild(cls: type[E], fields: dict[str, Any]) -> E:
    return cls(**fields)


@dataclasses.dataclass(eq=False, repr=False)
class PostHogTransportError(_Fixed):
    """The request never got an HTTP answer: no such host, refused, TLS failure, timeout, drop.

    Attributes:
        kind: ``"dns"``, ``"refused"``, ``"tls_certificate"`` or ``"tls_protocol"`` (a wrong
            setting, never retried); ``"connect"`` (another failure to connect), ``"timeout"``,
            ``"dropped"`` or ``"bad_response"``.
        method: HTTP method of the request.
        path: URL path of the request, without host or query.
        attempts: how many times the request was sent.
        safe_to_retry: whether sending it again cannot create a duplicate.
        host: the origin the request went to (``https://us.posthog.com``), or ``""``.
        reason: the underlying error's own words, for the TLS and other connect failures.
    """

    kind: str
    method: str
    path: str
    _: dataclasses.KW_ONLY
    attempts: int
    safe_to_retry: bool
    host: str = ""
    reason: str = ""

    @property
    def transient(self) -> bool:
        """Whether trying again later may succeed (false for a wrong setting)."""
        return self.kind not in _SETTINGS

    def _text(self) -> str:
        kind, host = self.kind, self.host
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        if kind == "dns" and _is_cloud_name(_hostname(host)):
            # PostHog Cloud's names always resolve: this machine is the one that is cut off.
            text = (
                f"could not reach PostHog at {host}: {_hostname(host)} does not resolve{tries}, "
                "and PostHog Cloud's hosts always do, so this machine has no working DNS or "
                "network. Check its connection (and HTTPS_PROXY if it reaches the internet "
                "through a proxy), then call again: this call is not retried."
            )
        elif kind in _SETTINGS:
            happened, fix = _SETTINGS[kind]
            cause = happened.format(
                host=_hostname(host) or "the host", reason=self.reason or "unknown"
            )
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
                if self.safe_to_retry
                else "PostHog may or may not have applied it: check before trying again."
            )
            text = f"{what}{tries}{where}. {advice}"
        return f"{self.method} {self.path} {text}"


# Each failure that comes from a wrong setting: what happened, and what to fix.
_SETTINGS = {
    "dns": (
        "no such host ({host} does not resolve)",
        "Check the host (POSTHOG_HOST or host=): 'us', 'eu', or your PostHog's URL; if it is "
        "right, check this machine's network and DNS.",
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


def _is_cloud_name(hostname: str) -> bool:
    """Whether ``hostname`` is PostHog Cloud's own: those resolve wherever there is a network."""
    from langchain_posthog.api.hosts import CLOUD_NAMES  # hosts imports this module

    return hostname in CLOUD_NAMES


def _hostname(origin: str) -> str:
    rest = origin.split("://", 1)[-1]
    return rest.split("/", 1)[0].rsplit(":", 1)[0] if rest else ""


@dataclasses.dataclass(eq=False, repr=False)
class PostHogAPIError(_Fixed):
    """PostHog answered with an error status.

    Attributes mirror PostHog's error body (``type``, ``code``, ``detail``, ``attr``), plus the
    HTTP ``status``, the request's ``method`` and ``path``, how many ``attempts`` were made and
    how many seconds were spent ``waited`` between them, the server's ``retry_after`` hint,
    whether sending the request again is ``safe_to_retry`` (false for a create, which PostHog
    may have carried out before failing), and whether the body was a JSON object at all
    (``json_body``: false for an empty answer, which a few PostHog endpoints give for a missing
    object, or for a page from something other than PostHog). Fields are set once: reword an
    error with
    ``dataclasses.replace(error, detail=...)``, which keeps the others.
    """

    status: int
    _: dataclasses.KW_ONLY
    method: str
    path: str
    type: str | None = None
    code: str | None = None
    detail: str | None = None
    attr: str | None = None
    retry_after: float | None = None
    attempts: int = 1
    waited: float = 0.0
    safe_to_retry: bool = True
    json_body: bool = True

    def _text(self) -> str:
        text = f"PostHog answered {self.status} to {self.method} {self.path}"
        if self.attr:
            text += f" (field {self.attr!r})"
        if self.detail:
            text += f": {self.detail}"
        return text
