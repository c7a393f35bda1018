"""Budgets shared through Redis (the ``redis`` extra), for many processes on one PostHog key.

Each window of a bucket's budget is counted by the ``limits`` library's moving window in Redis:
a list of call times per window, checked and extended by one Lua script, so spending a unit
costs one round trip per window (PostHog's buckets have two). A unit is granted when the entry
``limit`` places back in the list is older than the window: the count goes by order of arrival
at Redis, so processes whose clocks read a little apart cannot both take the last unit.
A pause after a 429 is a key per bucket holding the time it ends (for processes that start
during it), announced on a channel every process subscribes to: a process reads pauses from its
subscription's socket, which needs no round trip, before each spend.

When Redis fails (down, restarted, too slow), the call is counted in the process's own budgets
instead, one warning is logged, and Redis is tried again after :data:`RETRY_AFTER` seconds.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import math
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from langchain_posthog.api.errors import PostHogConfigError
from langchain_posthog.api.ratelimit import LimitStep, Spend, Wait

if TYPE_CHECKING:
    from limits import RateLimitItem

    from langchain_posthog.api.ratelimit import RateLimiter, Window

logger = logging.getLogger("langchain_posthog")

RETRY_AFTER = 5.0  # seconds on this process's own budgets before Redis is tried again
TIMEOUT = 1.0  # seconds for connecting to Redis and for each answer
_SCHEMES = ("redis", "rediss", "unix")


def check_storage(storage: Any) -> None:
    """Refuse a storage this toolkit cannot use, before anything is sent."""
    if importlib.util.find_spec("redis") is None or importlib.util.find_spec("limits") is None:
        raise PostHogConfigError(
            "rate_limit_storage needs the redis extra: pip install 'langchain-posthog[redis]'."
        )
    if isinstance(storage, str):
        if urlsplit(storage).scheme not in _SCHEMES:
            raise PostHogConfigError(
                "rate_limit_storage must be a redis://, rediss:// or unix:// URL, or a "
                "redis.Redis client."
            )
        return
    import redis

    if not isinstance(storage, redis.Redis):
        raise PostHogConfigError(
            f"rate_limit_storage must be a Redis URL or a redis.Redis client, not "
            f"{type(storage).__name__}."
        )


def where(storage: Any) -> str:
    """Redis's address for a log line, without a password."""
    if isinstance(storage, str):
        parts = urlsplit(storage)
        return (
            f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
            + (parts.path if parts.scheme == "unix" else "")
        )
    kwargs = storage.connection_pool.connection_kwargs
    return str(kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}")


def _failures() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError, OSError)


class SharedBudgets:
    """Redis when it answers, the process's own budgets when it does not."""

    def __init__(self, limiter: RateLimiter, storage: Any) -> None:
        check_storage(storage)
        self._limiter = limiter
        self._storage = storage
        self._sync: _SyncRedis | None = None
        self._async: _AsyncRedis | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._down_until = 0.0
        self._down = False
        self._lock = threading.Lock()

    # -- sync ------------------------------------------------------------------------------

    def handle(self, step: LimitStep) -> Wait | None:
        """Carry out ``step`` in Redis, or in memory while Redis does not answer."""
        if not isinstance(step, Spend):
            # Kept in memory too: a pause must hold if Redis goes away during it.
            self._limiter.memory_handle(step)
        if time.monotonic() >= self._down_until:
            try:
                store = self._sync_store()
                result = store.spend(step.bucket) if isinstance(step, Spend) else None
                if not isinstance(step, Spend):
                    store.pause(step.bucket, step.until)
                self._back()
                return result
            except _failures() as exc:
                self._lost(exc)
        return self._limiter.memory_handle(step) if isinstance(step, Spend) else None

    def _sync_store(self) -> _SyncRedis:
        with self._lock:
            if self._sync is None:
                self._sync = _SyncRedis(self._limiter, self._sync_client())
            return self._sync

    def _sync_client(self) -> Any:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        if not isinstance(self._storage, str):
            return self._storage
        # No retries inside redis-py: a Redis that does not answer costs a call one timeout,
        # then the process's own budgets take over.
        return redis.Redis.from_url(
            self._storage,
            socket_connect_timeout=TIMEOUT,
            socket_timeout=TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )

    # -- async -----------------------------------------------------------------------------

    async def ahandle(self, step: LimitStep) -> Wait | None:
        """:meth:`handle` from async code, through redis-py's asyncio client."""
        if not isinstance(self._storage, str):
            # A sync client handed in: used from a worker thread, the event loop runs on.
            return await asyncio.to_thread(self.handle, step)
        if not isinstance(step, Spend):
            self._limiter.memory_handle(step)
        if time.monotonic() >= self._down_until:
            try:
                store = await self._async_store()
                result = await store.spend(step.bucket) if isinstance(step, Spend) else None
                if not isinstance(step, Spend):
                    await store.pause(step.bucket, step.until)
                self._back()
                return result
            except _failures() as exc:
                self._lost(exc)
        return self._limiter.memory_handle(step) if isinstance(step, Spend) else None

    async def _async_store(self) -> _AsyncRedis:
        # redis-py's asyncio connections belong to the loop that opened them: one store per loop.
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:
            self._async, self._async_loop = _AsyncRedis(self._limiter, self._storage), loop
        await self._async.start()
        return self._async

    # -- failures and closing --------------------------------------------------------------

    def _lost(self, exc: BaseException) -> None:
        with self._lock:
            self._down_until = time.monotonic() + RETRY_AFTER
            stores, self._sync, self._async = (self._sync, self._async), None, None
            first = not self._down
            self._down = True
        for store in stores:
            if store is not None:
                store.abandon()
        if first:
            logger.warning(
                "Redis for rate limits (%s) is not answering (%s): this process keeps its own "
                "budgets until it answers again.",
                where(self._storage),
                type(exc).__name__,
            )

    def _back(self) -> None:
        if self._down:
            self._down = False
            logger.warning("Redis for rate limits (%s) answers again.", where(self._storage))

    def close(self) -> None:
        """Close the connections this process opened (never a client that was handed in)."""
        with self._lock:
            sync, self._sync = self._sync, None
            self._async = None  # closed by aclose on its own loop, or dropped
        if sync is not None:
            sync.close(owned=isinstance(self._storage, str))

    async def aclose(self) -> None:
        """Close the connections this process opened, from async code."""
        store, loop = self._async, self._async_loop
        self._async = None
        if store is not None and loop is asyncio.get_running_loop():
            await store.close()
        self.close()


class _SyncRedis:
    """One process's view of the shared budgets through a sync client."""

    def __init__(self, limiter: RateLimiter, client: Any) -> None:
        from limits.storage import RedisStorage
        from limits.strategies import MovingWindowRateLimiter

        self._budgets = limiter.budgets
        self._namespace = limiter.namespace
        self._items = _items(limiter)
        self._client = client
        self._counter = MovingWindowRateLimiter(
            RedisStorage("redis://", connection_pool=client.connection_pool)
        )
        self._channel = f"{limiter.namespace}:pauses"
        self._pubsub = client.pubsub()
        self._pubsub.subscribe(self._channel)
        # Confirmed before the stored pauses are read, so any pause set from then on is heard.
        if self._pubsub.get_message(ignore_subscribe_messages=False, timeout=TIMEOUT) is None:
            raise TimeoutError("Redis did not confirm the subscription")
        names = list(self._budgets)
        self._pauses: dict[str, float] = {
            name: float(value)
            for name, value in zip(
                names, client.mget([_pause_key(self, n) for n in names]), strict=True
            )
            if value is not None
        }
        self._drain_lock = threading.Lock()

    def spend(self, name: str) -> Wait | None:
        with self._drain_lock:
            while message := self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.0):
                _heard(self._pauses, message)
        paused = self._pauses.get(name, 0.0) - time.time()
        if paused > 0:
            return Wait(name, paused, "")
        # Shortest window first: a refusal there, the usual one, leaves the longer ones alone.
        for window, item in self._items[name]:
            if not self._counter.hit(item, name):
                reset = self._counter.get_window_stats(item, name).reset_time
                return Wait(name, max(0.0, reset - time.time()), str(window))
        return None

    def pause(self, name: str, until: float) -> None:
        left = math.ceil((until - time.time()) * 1000)
        if left <= 0:
            return
        with self._client.pipeline(transaction=True) as pipe:
            pipe.set(_pause_key(self, name), repr(until), px=left)
            pipe.publish(self._channel, f"{name} {until!r}")
            pipe.execute()
        self._pauses[name] = max(self._pauses.get(name, 0.0), until)

    def abandon(self) -> None:
        with self._drain_lock:  # not while another thread reads from it
            try:
                self._pubsub.close()
            except _failures():
                logger.debug("closing the pause subscription failed", exc_info=True)

    def close(self, *, owned: bool) -> None:
        self.abandon()
        if owned:
            self._client.close()


class _AsyncRedis:
    """One event loop's view of the shared budgets through redis-py's asyncio client."""

    def __init__(self, limiter: RateLimiter, url: str) -> None:
        import redis.asyncio
        from limits.aio.storage import RedisStorage
        from limits.aio.strategies import MovingWindowRateLimiter
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self._budgets = limiter.budgets
        self._namespace = limiter.namespace
        self._items = _items(limiter)
        self._channel = f"{limiter.namespace}:pauses"
        self._client = redis.asyncio.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT, retry=Retry(NoBackoff(), 0)
        )
        self._counter = MovingWindowRateLimiter(
            RedisStorage(
                "async+redis://",
                implementation="redispy",
                # limits hands it to redis.asyncio.Redis; its hint names only scalar options.
                connection_pool=self._client.connection_pool,  # type: ignore[arg-type]
            )
        )
        self._pubsub: Any = None
        self._pauses: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        if self._pubsub is not None:
            return
        async with self._lock:
            if self._pubsub is not None:
                return
            pubsub = self._client.pubsub()
            await pubsub.subscribe(self._channel)
            confirmed = await pubsub.get_message(ignore_subscribe_messages=False, timeout=TIMEOUT)
            if confirmed is None:
                await pubsub.aclose()
                raise TimeoutError("Redis did not confirm the subscription")
            names = list(self._budgets)
            values = await self._client.mget([_pause_key(self, n) for n in names])
            for name, value in zip(names, values, strict=True):
                if value is not None:
                    self._pauses[name] = float(value)
            self._pubsub = pubsub

    async def spend(self, name: str) -> Wait | None:
        async with self._lock:
            while message := await self._pubsub.get_message(
                ignore_subscribe_messages=True, timeout=0.0
            ):
                _heard(self._pauses, message)
        paused = self._pauses.get(name, 0.0) - time.time()
        if paused > 0:
            return Wait(name, paused, "")
        for window, item in self._items[name]:
            if not await self._counter.hit(item, name):
                reset = (await self._counter.get_window_stats(item, name)).reset_time
                return Wait(name, max(0.0, reset - time.time()), str(window))
        return None

    async def pause(self, name: str, until: float) -> None:
        left = math.ceil((until - time.time()) * 1000)
        if left <= 0:
            return
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.set(_pause_key(self, name), repr(until), px=left)
            pipe.publish(self._channel, f"{name} {until!r}")
            await pipe.execute()
        self._pauses[name] = max(self._pauses.get(name, 0.0), until)

    def abandon(self) -> None:
        # Its connections may belong to a loop that is gone, and other calls may be using them:
        # they close when collected.
        return None

    async def close(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        try:
            if pubsub is not None:
                await pubsub.aclose()
            await self._client.aclose()
        except _failures():
            logger.debug("closing the Redis connections failed", exc_info=True)


def _items(limiter: RateLimiter) -> dict[str, list[tuple[Window, RateLimitItem]]]:
    """Each bucket's windows as ``limits`` items, keyed apart by the PostHog key's namespace."""
    from limits import RateLimitItemPerSecond

    return {
        name: [
            (w, RateLimitItemPerSecond(w.limit, w.kept_seconds, namespace=limiter.namespace))
            for w in windows
        ]
        for name, windows in limiter.budgets.items()
    }


def _pause_key(store: _SyncRedis | _AsyncRedis, name: str) -> str:
    return f"{store._namespace}:{name}:paused-until"


def _heard(pauses: dict[str, float], message: Any) -> None:
    data = message.get("data")
    text = data.decode() if isinstance(data, bytes) else str(data)
    name, _, until = text.partition(" ")
    try:
        pauses[name] = max(pauses.get(name, 0.0), float(until))
    except ValueError:
        logger.debug("ignored a pause message %r", text)
