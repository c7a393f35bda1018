"""The one HTTP client a toolkit uses to talk to PostHog.

Actions describe their requests as :class:`~langchain_posthog.api.calls.Call` objects yielded
from a generator (a *plan*); the client turns each call into an :class:`httpx.Request`, sends
it, retries it when the policy allows (``retry``), and sends the parsed reply back into the plan
(``answers``). Sync and async share every step except the send itself, so they cannot drift
apart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Generator
from typing import Any, Generic, TypeVar

import httpx

from langchain_posthog.about import logger
from langchain_posthog.api.answers import api_error, reply
from langchain_posthog.api.calls import Call, Plan, Reply, Sleep, is_idempotent, is_read
from langchain_posthog.api.deadline import aanswer_within, answer_within
from langchain_posthog.api.errors import (
    PostHogClosedError,
    PostHogError,
    PostHogReadOnlyError,
    PostHogTransportError,
)
from langchain_posthog.api.hosts import resolve_hosts
from langchain_posthog.api.ratelimit import Pause, RateLimiter, Spend
from langchain_posthog.api.retry import NEVER_SENT, RetryPolicy, failure_kind, failure_reason
from langchain_posthog.api.transports import async_transport, check_transport
from langchain_posthog.api.wire import AsyncClient, Client, Wire, closing_with_loop

T = TypeVar("T")

# What the client itself yields to its driver: a request to send, seconds to wait, or a step
# of the rate limiter (spend a unit of a budget, pause a bucket) that needs its storage.
_Step = httpx.Request | float | Spend | Pause
_Program = Generator[_Step, Any, T]


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
        async_backend: ``"httpx"`` (httpx's own transport) or ``"aiohttp"`` (aiohttp's, through
            the ``aiohttp`` extra) for the async client this client makes.
        rate_limiter: PostHog's budgets, kept before each call is sent
            (langchain_posthog.api.ratelimit); ``None`` sends without counting.

    Copies share this client: ``copy.deepcopy`` returns it as is. A pickled client carries its
    settings and keys but no connection or injected httpx client: the unpickled one opens its
    own when first used.
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
        async_backend: str = "httpx",
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self._personal_key = personal_api_key or None
        self._project_key = project_api_key or None
        self._secrets = tuple(k for k in (self._personal_key, self._project_key) if k)
        self.app_url, self.ingest_url = resolve_hosts(host, ingest_host)
        self.retry = retry or RetryPolicy()
        self.read_only = read_only
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._wire = Wire(
            self.app_url, self.ingest_url, self._personal_key, self._project_key, self._timeout
        )
        self._answer_seconds = timeout  # for a whole answer, from sending to the last byte
        self.async_backend = check_transport(async_backend)
        # httpx's default limits.
        self._limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._owns_sync = http_client is None
        self._sync = http_client
        self._transport = transport
        self._injected_async = async_http_client
        self._async_transport = async_transport
        self._async: httpx.AsyncClient | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._keeper: AsyncGenerator[None, None] | None = None
        self._closed = False
        self.rate_limiter = rate_limiter

    def __repr__(self) -> str:
        return (
            f"PostHogClient(app_url={self.app_url!r}, ingest_url={self.ingest_url!r}, "
            f"personal_api_key={'set' if self._personal_key else None}, "
            f"project_api_key={'set' if self._project_key else None}, read_only={self.read_only}, "
            f"transport={self.async_backend!r}{', closed' if self._closed else ''})"
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> PostHogClient:
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        # Connections, event loops and locks do not cross a process boundary.
        state.update(
            _sync=None,
            _owns_sync=True,
            _transport=None,
            _injected_async=None,
            _async_transport=None,
            _async=None,
            _async_loop=None,
            _keeper=None,
        )
        return state

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` or :meth:`aclose` was called: no request is sent after it."""
        return self._closed

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
        steps, client = _Steps(self._program(plan)), self._sync_client()
        for step in steps:
            steps.answer(self._carry_out(client, step))
        return steps.result

    async def arun(self, plan: Plan[T]) -> T:
        """Run a plan to its end with the async client and return its result."""
        steps, client = _Steps(self._program(plan)), await self._async_client()
        for step in steps:
            steps.answer(await self._acarry_out(client, step))
        return steps.result

    def _carry_out(self, client: httpx.Client, step: _Step) -> Any:
        """Do one step of a program; a transport failure is returned, to be thrown back in."""
        if isinstance(step, float):
            return time.sleep(step)
        if isinstance(step, Spend | Pause):
            return self.rate_limiter.handle(step)  # type: ignore[union-attr]
        try:
            return answer_within(client, step, self._answer_seconds)
        except httpx.TransportError as exc:
            return exc

    async def _acarry_out(self, client: httpx.AsyncClient, step: _Step) -> Any:
        if isinstance(step, float):
            return await asyncio.sleep(step)
        if isinstance(step, Spend | Pause):
            return await self.rate_limiter.ahandle(step)  # type: ignore[union-attr]
        try:
            return await aanswer_within(client, step, self._answer_seconds)
        except httpx.TransportError as exc:
            return exc

    def request(self, call: Call) -> Reply:
        """Make one call (with retries) and return PostHog's reply."""
        return self.run(_single(call))

    async def arequest(self, call: Call) -> Reply:
        """Async :meth:`request`."""
        return await self.arun(_single(call))

    def close(self) -> None:
        """Close the httpx clients this client made (not the ones it was given).

        Works from any thread, whichever event loop the async client was used on: a loop
        running in another thread closes it there. After it, every call is refused.
        """
        self._closed = True
        self._close_sync()
        if self.rate_limiter is not None:
            self.rate_limiter.close()
        client, loop = self._async, self._async_loop
        self._async = self._async_loop = None
        if client is None or loop is None or loop.is_closed():
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            # Sync code inside the client's own loop cannot wait for it: close it there next.
            self._closing = loop.create_task(client.aclose())
        elif loop.is_running():
            asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(self._answer_seconds)
        elif running is None:
            loop.run_until_complete(client.aclose())

    async def aclose(self) -> None:
        """Close both clients from async code, whichever loop the async client was used on."""
        self._closed = True
        client, loop = self._async, self._async_loop
        self._async = self._async_loop = None
        if client is not None and loop is not None and not loop.is_closed():
            if loop is asyncio.get_running_loop() or not loop.is_running():
                await client.aclose()
            else:
                closing = asyncio.run_coroutine_threadsafe(client.aclose(), loop)
                await asyncio.wrap_future(closing)
        self._close_sync()
        if self.rate_limiter is not None:
            await self.rate_limiter.aclose()

    def _close_sync(self) -> None:
        sync, self._sync = self._sync, None
        if self._owns_sync and sync is not None:
            sync.close()

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise PostHogClosedError(
                "This toolkit was closed, so its tools send nothing more: build a new "
                "PostHogToolkit, or close this one only when its agent is done."
            )

    def _sync_client(self) -> httpx.Client:
        # Made on first use: building an SSL context costs tens of milliseconds, and a toolkit
        # that only lists its tools, or only runs async, never needs it.
        self._refuse_if_closed()
        if self._sync is None:
            self._sync = Client(
                timeout=self._timeout, limits=self._limits, transport=self._transport
            )
        return self._sync

    async def _async_client(self) -> httpx.AsyncClient:
        self._refuse_if_closed()
        if self._injected_async is not None:
            return self._injected_async
        # One per event loop (scripts that call asyncio.run twice, test runners), closed with it.
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:
            self._async = AsyncClient(
                timeout=self._timeout,
                limits=self._limits,
                transport=self._async_transport
                or async_transport(self.async_backend, self._limits),
            )
            self._async_loop = loop
            self._keeper = closing_with_loop(self._async)
            await anext(self._keeper)
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

    def _exchange(self, call: Call) -> Generator[_Step, Any, Reply]:
        """Send one call, retrying as the policy allows; return the reply or raise."""
        request = self._build(call)
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            if self.rate_limiter is not None:
                # Every attempt is one request PostHog counts: each spends its bucket's budget.
                yield from self.rate_limiter.admit(call)
            started = time.perf_counter()
            try:
                response = yield request
            except httpx.TransportError as exc:
                kind = failure_kind(exc)
                delay = self.retry.delay(call, attempt, failure=kind)
                logger.debug("%s %s failed: %s", call.method, call.path, type(exc).__name__)
                if delay is None:
                    raise PostHogTransportError(
                        kind,
                        call.method,
                        call.path,
                        attempts=attempt,
                        safe_to_retry=is_idempotent(call) or kind in NEVER_SENT,
                        host=self._origin(call),
                        reason=failure_reason(exc),
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
                    return reply(call, response, attempt, self.secrets)
                error = api_error(call, response, attempt, waited, self.secrets)
                if response.status_code == 429 and error.retry_after and self.rate_limiter:
                    # Honoured for every caller of the bucket, up to the cap the retries keep.
                    pause = min(error.retry_after, self.retry.max_retry_after)
                    yield from self.rate_limiter.record_429(call, pause)
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

    def _origin(self, call: Call) -> str:
        return self.ingest_url if call.host == "ingest" else self.app_url

    def _build(self, call: Call) -> httpx.Request:
        if self.read_only and not is_read(call):
            raise PostHogReadOnlyError(
                f"This toolkit is read-only: {call.method.upper()} {call.path} would change data "
                "and was not sent."
            )
        return self._wire.request(call)


class _Steps(Generic[T]):
    """A program's steps, one at a time; what each step gave is sent (or thrown) back in."""

    def __init__(self, program: _Program[T]) -> None:
        self._program = program
        self._answer: Any = None
        self.result: T

    def __iter__(self) -> _Steps[T]:
        return self

    def __next__(self) -> _Step:
        answer, self._answer = self._answer, None
        try:
            if isinstance(answer, BaseException):
                return self._program.throw(answer)
            return self._program.send(answer)
        except StopIteration as done:
            self.result = done.value
            raise

    def answer(self, outcome: Any) -> None:
        """What the last step gave: a reply, a transport failure, or nothing."""
        self._answer = outcome


def _single(call: Call) -> Plan[Reply]:
    return (yield call)
