"""The one HTTP client a toolkit uses to talk to PostHog.

Actions describe their requests as :class:`Call` objects yielded from a generator (a *plan*); the
client turns each call into an :class:`httpx.Request`, sends it, retries it when that is safe, and
sends the parsed :class:`Reply` back into the plan. Sync and async share every step except the
send itself, so they cannot drift apart.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import json
import logging
import random
import re
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from http.cookiejar import Cookie, CookieJar
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal, TypeVar
from urllib.request import getproxies

import httpx

from langchain_posthog.deadline import read_within
from langchain_posthog.errors import (
    PostHogAPIError,
    PostHogConfigError,
    PostHogError,
    PostHogReadOnlyError,
    PostHogTransportError,
)
from langchain_posthog.redaction import SENSITIVE_KEYS, mask_text, redact

logger = logging.getLogger("langchain_posthog")

try:
    __version__ = version("langchain-posthog")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

USER_AGENT = f"langchain-posthog/{__version__}"

CLOUD_HOSTS = {
    "us": ("https://us.posthog.com", "https://us.i.posthog.com"),
    "eu": ("https://eu.posthog.com", "https://eu.i.posthog.com"),
}
# App hosts a user may paste, mapped to their cloud region (the Python SDK does the same).
_CLOUD_ALIASES = {
    "app.posthog.com": "us",
    "us.posthog.com": "us",
    "us.i.posthog.com": "us",
    "eu.posthog.com": "eu",
    "eu.i.posthog.com": "eu",
}

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# POST endpoints that only read. Everything else that is not GET is a write, and a read-only
# client refuses it whatever the caller says.
_READ_POSTS = re.compile(
    r"^/api/(projects|environments)/[^/]+/(query/|surveys/[^/]+/summarize_responses/)$"
)
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_@:.\-]+$")
_THROTTLE_SECONDS = re.compile(r"available in (\d+(?:\.\d+)?) seconds?")

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """One HTTP request an action wants made.

    Attributes:
        method: HTTP method.
        path: URL path (build it with :func:`api_path`, which refuses unsafe ids).
        params: query parameters; ``None`` values are dropped, order is kept.
        json: JSON body.
        host: ``"app"`` for the private API, ``"ingest"`` for event capture.
        idempotent: whether sending it twice is harmless; by default, true for every method
            but POST.
        with_project_key: add the project API key to the JSON body as ``api_key`` (capture).
        gzip: gzip the JSON body.
        text: read the answer as text (CSV exports) instead of JSON.
    """

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    host: Literal["app", "ingest"] = "app"
    idempotent: bool | None = None
    with_project_key: bool = False
    gzip: bool = False
    text: bool = False


@dataclass(frozen=True)
class Sleep:
    """A pause a plan asks for between calls (polling a running query)."""

    seconds: float


@dataclass(frozen=True)
class Reply:
    """PostHog's answer to a :class:`Call`: status, parsed body (secrets removed) and headers."""

    status: int
    data: Any
    headers: Mapping[str, str] = field(default_factory=dict)


Plan = Generator[Call | Sleep, Reply, T]
"""A generator that yields calls (and pauses), receives replies, and returns the action's data.

PostHog errors are thrown into the plan at the ``yield``, so a plan can catch a 404 and fall back.
"""

# What the client itself yields to its driver: a request to send, or seconds to wait.
_Step = httpx.Request | float
_Program = Generator[_Step, httpx.Response, T]


def api_path(template: str, **values: object) -> str:
    """Fill a path template, refusing any value that could change the path's shape.

    >>> api_path("/api/projects/{project_id}/feature_flags/{id}/", project_id="@current", id=12)
    '/api/projects/@current/feature_flags/12/'
    """
    safe: dict[str, str] = {}
    for name, value in values.items():
        text = str(value)
        if not _SAFE_SEGMENT.match(text) or text in {".", ".."}:
            raise PostHogConfigError(
                f"{name} {text!r} is not a valid id: use only letters, digits, '-', '_' or '@'."
            )
        safe[name] = text  # every character the pattern allows is one a URL path keeps as is
    return template.format(**safe)


def resolve_hosts(host: str | None, ingest_host: str | None = None) -> tuple[str, str]:
    """Turn the ``host`` setting (``us``, ``eu`` or a URL) into the app and ingestion origins."""
    raw = (host or "us").strip()
    region = raw.lower() if raw.lower() in CLOUD_HOSTS else None
    if region is None:
        url = _url(raw, "host")
        if url.scheme not in {"http", "https"} or not url.host:
            raise PostHogConfigError(
                f"host must be 'us', 'eu' or an http(s) URL of a self-hosted PostHog, not {raw!r}."
            )
        region = _CLOUD_ALIASES.get(url.host)
        origin = f"{url.scheme}://{url.netloc.decode()}"
    app, ingest = CLOUD_HOSTS[region] if region else (origin, origin)
    if ingest_host:
        ingest_raw = ingest_host.strip()
        ingest_url = _url(ingest_raw, "ingest_host")
        if ingest_url.scheme not in {"http", "https"} or not ingest_url.host:
            raise PostHogConfigError(f"ingest_host must be an http(s) URL, not {ingest_raw!r}.")
        alias = _CLOUD_ALIASES.get(ingest_url.host)
        ingest = (
            CLOUD_HOSTS[alias][1]
            if alias
            else f"{ingest_url.scheme}://{ingest_url.netloc.decode()}"
        )
    return app, ingest


def _url(raw: str, setting: str) -> httpx.URL:
    try:
        return httpx.URL(raw if "://" in raw else f"https://{raw}")
    except httpx.InvalidURL:
        raise PostHogConfigError(f"{setting} {raw!r} is not a URL.") from None


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


def is_idempotent(call: Call) -> bool:
    """Whether sending ``call`` twice has the same effect as sending it once."""
    if call.idempotent is not None:
        return call.idempotent
    return call.method.upper() in IDEMPOTENT_METHODS


def is_read(call: Call) -> bool:
    """Whether ``call`` only reads. Decided by the client from method and path alone."""
    method = call.method.upper()
    if method in {"GET", "HEAD", "OPTIONS"}:
        return True
    return method == "POST" and call.host == "app" and bool(_READ_POSTS.match(call.path))


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


class PostHogClient:
    """Authenticated access to one PostHog instance: one sync and one lazily made async client.

    Args:
        personal_api_key: the ``phx_`` key for the private API.
        project_api_key: the ``phc_`` key for event capture.
        host: ``"us"``, ``"eu"`` or a self-hosted URL.
        ingest_host: the capture origin, when it is not the one derived from ``host``.
        timeout: seconds for each attempt, from sending a request to the last byte of its answer.
        retry: the retry policy.
        read_only: refuse every call that is not a read.
        http_client / async_http_client: ready-made httpx clients (not closed by this client).
        transport / async_transport: transports for the clients this client makes (tests).
    """

    def __init__(
        self,
        *,
        personal_api_key: str | None = None,
        project_api_key: str | None = None,
        host: str | None = None,
        ingest_host: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        read_only: bool = False,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._personal_key = personal_api_key or None
        self._project_key = project_api_key or None
        self._secrets = tuple(k for k in (self._personal_key, self._project_key) if k)
        self.app_url, self.ingest_url = resolve_hosts(host, ingest_host)
        self.retry = retry or RetryPolicy()
        self.read_only = read_only
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._answer_seconds = timeout  # for a whole answer, from sending to the last byte
        # httpx's default limits; the async pool keeps all its connections alive.
        self._limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._owns_sync = http_client is None
        self._sync = http_client
        self._transport = transport
        self._injected_async = async_http_client
        self._async_transport = async_transport
        self._async: httpx.AsyncClient | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return (
            f"PostHogClient(app_url={self.app_url!r}, ingest_url={self.ingest_url!r}, "
            f"personal_api_key={'set' if self._personal_key else None}, "
            f"project_api_key={'set' if self._project_key else None}, read_only={self.read_only})"
        )

    @property
    def has_personal_key(self) -> bool:
        """Whether private API calls can be made."""
        return self._personal_key is not None

    @property
    def has_project_key(self) -> bool:
        """Whether events can be captured."""
        return self._project_key is not None

    @property
    def secrets(self) -> tuple[str, ...]:
        """The keys this client holds, for masking."""
        return self._secrets

    # -- running plans ---------------------------------------------------------------------

    def run(self, plan: Plan[T]) -> T:
        """Run a plan to its end with the sync client and return its result."""
        program = self._program(plan)
        client = self._sync_client()
        reply: httpx.Response | None = None
        failure: BaseException | None = None
        while True:
            try:
                step = program.throw(failure) if failure else program.send(reply)  # type: ignore[arg-type]
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            reply, failure = None, None
            if isinstance(step, float):
                time.sleep(step)
                continue
            deadline = time.monotonic() + self._answer_seconds
            try:
                reply = read_within(client.send(step, stream=True), deadline)
            except httpx.TransportError as exc:
                failure = exc

    async def arun(self, plan: Plan[T]) -> T:
        """Run a plan to its end with the async client and return its result."""
        program = self._program(plan)
        client = self._async_client()
        reply: httpx.Response | None = None
        failure: BaseException | None = None
        while True:
            try:
                step = program.throw(failure) if failure else program.send(reply)  # type: ignore[arg-type]
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            reply, failure = None, None
            if isinstance(step, float):
                await asyncio.sleep(step)
                continue
            try:
                reply = await self._answer(client, step)
            except httpx.TransportError as exc:
                failure = exc

    async def _answer(self, client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and read its whole answer, headers and body, within the timeout."""
        response: httpx.Response | None = None
        try:
            async with asyncio.timeout(self._answer_seconds):
                response = await client.send(request, stream=True)
                await response.aread()
        except BaseException as exc:
            if response is not None:
                await response.aclose()
            if isinstance(exc, TimeoutError):
                raise httpx.ReadTimeout(
                    "the whole answer took longer than the timeout", request=request
                ) from None
            raise
        return response

    def request(self, call: Call) -> Reply:
        """Make one call (with retries) and return PostHog's reply."""
        return self.run(_single(call))

    async def arequest(self, call: Call) -> Reply:
        """Async :meth:`request`."""
        return await self.arun(_single(call))

    def close(self) -> None:
        """Close the httpx clients this client made (not the ones it was given)."""
        if self._owns_sync and self._sync is not None:
            self._sync.close()
            self._sync = None
        if self._async is not None and self._async_loop is not None:
            if self._async_loop.is_closed():
                self._async = None
            else:
                try:
                    running = asyncio.get_running_loop()
                except RuntimeError:
                    running = None
                if running is None:
                    self._async_loop.run_until_complete(self._async.aclose())
                    self._async = None

    async def aclose(self) -> None:
        """Close both clients from async code."""
        if self._async is not None:
            await self._async.aclose()
            self._async = None
        if self._owns_sync and self._sync is not None:
            self._sync.close()
            self._sync = None

    def _sync_client(self) -> httpx.Client:
        # Made on first use: building an SSL context costs tens of milliseconds, and a toolkit
        # that only lists its tools, or only runs async, never needs it.
        if self._sync is None:
            self._sync = _Client(
                timeout=self._timeout, limits=self._limits, transport=self._transport
            )
        return self._sync

    def _async_client(self) -> httpx.AsyncClient:
        if self._injected_async is not None:
            return self._injected_async
        # An AsyncClient must not be shared across event loops (scripts that call asyncio.run
        # twice, test runners): make one per loop.
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:
            self._async = _AsyncClient(
                timeout=self._timeout,
                limits=self._limits,
                transport=self._async_transport or _pooled_transport(self._limits),
            )
            self._async_loop = loop
        return self._async

    # -- the shared machinery --------------------------------------------------------------

    def _program(self, plan: Plan[T]) -> _Program[T]:
        """Drive a plan: each call it yields becomes an exchange, each reply goes back in."""
        reply: Reply | None = None
        error: PostHogError | None = None
        while True:
            try:
                step = plan.throw(error) if error else plan.send(reply)  # type: ignore[arg-type]
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            reply, error = None, None
            if isinstance(step, Sleep):
                yield float(step.seconds)
                continue
            try:
                reply = yield from self._exchange(step)
            except PostHogError as exc:
                error = exc

    def _exchange(self, call: Call) -> Generator[_Step, httpx.Response, Reply]:
        """Send one call, retrying as the policy allows; return the reply or raise."""
        request = self._build(call)
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                response = yield request
            except httpx.TransportError as exc:
                kind = _failure_kind(exc)
                delay = self.retry.delay(call, attempt, failure=kind)
                logger.debug("%s %s failed: %s", call.method, call.path, type(exc).__name__)
                if delay is None:
                    raise PostHogTransportError(
                        kind,
                        call.method,
                        call.path,
                        attempts=attempt,
                        safe_to_retry=is_idempotent(call) or kind == "connect",
                    ) from None
                reason = kind
            else:
                logger.debug(
                    "%s %s -> %s (%.0f ms, attempt %d)",
                    call.method,
                    call.path,
                    response.status_code,
                    (time.perf_counter() - started) * 1000,
                    attempt,
                )
                if response.is_success:
                    return self._reply(call, response, attempt)
                error = self._api_error(call, response, attempt, waited)
                delay = self.retry.delay(
                    call, attempt, status=response.status_code, retry_after=error.retry_after
                )
                if delay is None:
                    raise error
                reason = str(response.status_code)
            logger.warning(
                "PostHog %s %s: %s; retrying in %.1f s (attempt %d of %d)",
                call.method,
                call.path,
                reason,
                delay,
                attempt + 1,
                self.retry.max_retries + 1,
            )
            yield float(delay)
            waited += delay

    def _build(self, call: Call) -> httpx.Request:
        method = call.method.upper()
        if self.read_only and not is_read(call):
            raise PostHogReadOnlyError(
                f"This toolkit is read-only: {method} {call.path} would change data and was not "
                "sent."
            )
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "text/csv" if call.text else "application/json",
            "Accept-Encoding": "gzip",
        }
        body = call.json
        if call.host == "ingest":
            origin = self.ingest_url
            if call.with_project_key:
                if self._project_key is None:
                    raise PostHogConfigError(
                        "No project API key: set POSTHOG_PROJECT_API_KEY or pass "
                        "project_api_key='phc_...' (Project settings -> Project API key)."
                    )
                body = {**(body or {}), "api_key": self._project_key}
        else:
            origin = self.app_url
            if self._personal_key is None:
                raise PostHogConfigError(
                    "No personal API key: set POSTHOG_PERSONAL_API_KEY or pass "
                    "personal_api_key='phx_...' (Settings -> Personal API keys)."
                )
            headers["Authorization"] = f"Bearer {self._personal_key}"
        try:
            content: bytes | None = None
            if body is not None:
                content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
                headers["Content-Type"] = "application/json"
                if call.gzip:
                    content = gzip.compress(content, mtime=0)
                    headers["Content-Encoding"] = "gzip"
            params = tuple((k, _param(v)) for k, v in (call.params or {}).items() if v is not None)
            url = _request_url(origin + call.path, params)
        except UnicodeEncodeError:
            raise PostHogConfigError(
                "An argument holds text that is not valid Unicode (a lone surrogate such as "
                "\\ud800); fix that text. Nothing was sent."
            ) from None
        except httpx.InvalidURL:
            raise PostHogConfigError(
                "The request would be too long to send (an argument that goes into the URL is "
                "huge); shorten it. Nothing was sent."
            ) from None
        return httpx.Request(
            method,
            url,
            headers=headers,
            content=content,
            extensions={"timeout": self._timeout.as_dict()},
        )

    def _reply(self, call: Call, response: httpx.Response, attempt: int) -> Reply:
        data: Any = None
        if call.text:
            data = mask_text(response.text, self.secrets)
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
            if _may_hold_secrets(response.content, self.secrets):
                data = redact(data, self.secrets)
        return Reply(response.status_code, data, response.headers)

    def _api_error(
        self, call: Call, response: httpx.Response, attempt: int, waited: float
    ) -> PostHogAPIError:
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
            fields = {"detail": _summarize_body(response)}
        # PostHog may echo what it was sent in any of these fields, keys included.
        fields = {k: mask_text(v, self.secrets) if v else v for k, v in fields.items()}
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


def _pooled_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport | None:
    """The async client's pool (see langchain_posthog.pool), or ``None``.

    ``None`` (httpx's own pool) when the environment names a proxy: httpx applies proxy
    variables only to the transport it makes itself.
    """
    if any(getproxies().get(scheme) for scheme in ("http", "https", "all")):
        return None
    from langchain_posthog.pool import PooledTransport

    return PooledTransport(limits.max_connections or 100)


class _EmptyJar(CookieJar):
    """A cookie jar that keeps nothing it is given."""

    def set_cookie(self, cookie: Cookie) -> None:
        return None

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


class _NoCookies(httpx.Cookies):
    """A cookie store that stays empty: every request is authenticated by its key alone.

    A cookie PostHog or a proxy sets (a session, a load balancer's) would otherwise ride on
    later requests, and a Django session cookie turns on CSRF checks for writes. Not reading
    ``Set-Cookie`` also saves each answer about 40 µs of httpx wrapping it for ``http.cookiejar``.
    """

    def __init__(self) -> None:
        super().__init__(_EmptyJar())

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


_NO_COOKIES = _NoCookies()


class _Cookieless:
    """The clients' cookies are :data:`_NO_COOKIES`, whatever is set."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None


class _Client(_Cookieless, httpx.Client):
    """The ``httpx.Client`` the toolkit makes for itself."""


class _AsyncClient(_Cookieless, httpx.AsyncClient):
    """The ``httpx.AsyncClient`` the toolkit makes for itself."""


def _needles(names: frozenset[str]) -> tuple[bytes, ...]:
    """The fewest names such that every name in ``names`` contains one of them."""
    kept: list[str] = []
    for name in sorted(names, key=len):
        if not any(short in name for short in kept):
            kept.append(name)
    return tuple(name.encode() for name in kept)


# A sensitive key that is in a body contains one of these (9 searches instead of 17).
_SENSITIVE_NAMES = _needles(SENSITIVE_KEYS)
_PLAIN_SECRET = re.compile(r"[A-Za-z0-9_-]+")


@cache
def _literal(secrets: tuple[str, ...]) -> tuple[bytes, ...] | None:
    """The keys as they would be spelled in plain JSON, or None if one could be escaped."""
    if not all(_PLAIN_SECRET.fullmatch(secret) for secret in secrets):
        return None
    return tuple(secret.encode() for secret in secrets)


def _may_hold_secrets(raw: bytes, secrets: tuple[str, ...]) -> bool:
    r"""Whether :func:`redact` could change the JSON parsed from ``raw``.

    Redacting walks every value and costs about as much as parsing, and most answers hold
    nothing to redact. When the body is plain ASCII without ``\u`` escapes, every key and
    string in the parsed JSON is spelled literally in the bytes, so a sensitive key name or a
    key of ours that is not there cannot be in the JSON either. Anything else is redacted.
    """
    if not raw.isascii() or b"\\u" in raw or b"\x00" in raw:
        return True
    literal = _literal(secrets)
    if literal is None or any(map(raw.__contains__, literal)):
        return True
    lowered = raw.lower()
    return any(map(lowered.__contains__, _SENSITIVE_NAMES))


def _single(call: Call) -> Plan[Reply]:
    return (yield call)


@lru_cache(maxsize=256)
def _request_url(address: str, params: tuple[tuple[str, str], ...]) -> httpx.URL:
    """``address`` with ``params``, parsed once and shared (httpx URLs are immutable).

    The busiest calls (queries, captures, lists, polling) repeat the same URL, and httpx takes
    some 40 µs to parse one.
    """
    return httpx.URL(address, params=params or None)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value)[:500]


def _failure_kind(exc: httpx.TransportError) -> str:
    # A connection that was never made (refused, DNS, pool exhausted) cannot have been acted on.
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return "connect"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    return "dropped"


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
