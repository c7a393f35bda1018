"""PostHog's rate limits, kept before PostHog enforces them, and shared through Redis if asked.

PostHog counts a personal key's requests in buckets (:func:`langchain_posthog.api.calls.bucket` says
which one a call spends), each with a sliding window per minute and per hour (per day for AI), as
Django REST framework's ``SimpleRateThrottle`` keeps them. Before the client sends a call, it
spends one unit of the call's bucket here. When a window is full, the call waits until a unit
frees (in async code without blocking the event loop), and fails without sending anything when
that would take longer than ``max_wait``. A 429 from PostHog pauses its bucket until the
``Retry-After`` for every caller sharing the budget.

The counting is a library's sliding-window log: pyrate-limiter's ``InMemoryBucket`` in this
process, or, when a storage is given, the ``limits`` library's moving window in Redis
(:mod:`langchain_posthog.api.ratelimit_redis`). A Redis that stops answering leaves the process on
its own budgets, with one warning, until it answers again.

The client drives it: :meth:`RateLimiter.admit` and :meth:`RateLimiter.record_429` are
generators that yield :class:`Spend` and :class:`Pause` steps (and seconds to wait); the sync
driver hands the steps to :meth:`RateLimiter.handle`, the async one to :meth:`RateLimiter.ahandle`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_posthog.api.calls import Call, bucket
from langchain_posthog.api.errors import PostHogConfigError, PostHogError

if TYPE_CHECKING:
    from pyrate_limiter import InMemoryBucket, Rate

logger = logging.getLogger("langchain_posthog")

# PostHog's numbers (ENDPOINTS.md 1.8; posthog/rate_limit.py: BurstRateThrottle and
# SustainedRateThrottle, the ClickHouse pair, APIQueriesBurst/SustainedThrottle, the AI pair).
DEFAULT_BUDGETS: Mapping[str, str] = {
    "crud": "480/minute; 4800/hour",
    "analytics": "240/minute; 1200/hour",
    "query": "240/minute; 2400/hour",
    "ai": "10/minute; 100/day",
}
DEFAULT_MAX_WAIT = 65.0  # a full minute window frees within 61 s

_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_WINDOW = re.compile(
    r"^\s*(\d+)\s*(?:/|per)\s*(\d+(?:\.\d+)?)?\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE
)
_LEAK_EVERY = 256  # puts between trims of an in-memory log


@dataclass(frozen=True)
class Window:
    """One budget of a bucket: at most ``limit`` calls in any ``seconds``."""

    limit: int
    seconds: float

    @property
    def kept_ms(self) -> int:
        """The window as counted here, a little longer than PostHog's.

        PostHog stamps a request when it arrives, a moment after it was counted here; the
        margin (a second, or a quarter of a window shorter than four seconds) keeps two
        requests that were a full window apart here from arriving less than one apart.
        """
        return round((self.seconds + min(1.0, self.seconds / 4)) * 1000)

    @property
    def kept_seconds(self) -> int:
        """:attr:`kept_ms` in whole seconds, as Redis keeps it."""
        return math.ceil(self.kept_ms / 1000)

    def __str__(self) -> str:
        for unit, size in reversed(_UNITS.items()):
            if self.seconds == size:
                return f"{self.limit} per {unit}"
            if self.seconds % size == 0:
                return f"{self.limit} per {self.seconds / size:g} {unit}s"
        return f"{self.limit} per {self.seconds:g} seconds"


def parse_budget(text: str) -> tuple[Window, ...]:
    """``"240/minute; 1200/hour"`` (or ``"20 per 2 seconds"``) as windows.

    >>> parse_budget("240/minute; 1200/hour")
    (Window(limit=240, seconds=60.0), Window(limit=1200, seconds=3600.0))
    """
    windows = []
    for part in re.split(r"[;,]", text):
        if not part.strip():
            continue
        match = _WINDOW.match(part)
        if not match or int(match.group(1)) < 1 or float(match.group(2) or 1) <= 0:
            raise PostHogConfigError(
                f"Rate limit {part.strip()!r} is not a budget: write it as '240/minute', "
                "'1200/hour' or '20 per 2 seconds', several joined by ';'."
            )
        count, size, unit = match.groups()
        windows.append(Window(int(count), float(size or 1) * _UNITS[unit.lower()]))
    if not windows:
        raise PostHogConfigError(f"Rate limit {text!r} names no budget, such as '240/minute'.")
    return tuple(sorted(windows, key=lambda w: w.seconds))


def resolve_budgets(overrides: Mapping[str, str | None] | None) -> dict[str, tuple[Window, ...]]:
    """PostHog's budgets with ``overrides`` applied; a bucket set to ``None`` is not limited."""
    merged: dict[str, str | None] = dict(DEFAULT_BUDGETS)
    for name, text in (overrides or {}).items():
        if name not in DEFAULT_BUDGETS:
            raise PostHogConfigError(
                f"rate_limits names an unknown bucket {name!r}; PostHog's buckets are "
                f"{', '.join(DEFAULT_BUDGETS)}."
            )
        merged[name] = text
    return {name: parse_budget(text) for name, text in merged.items() if text is not None}


# -- what the client's drivers carry out ------------------------------------------------------


@dataclass(frozen=True)
class Spend:
    """Spend one unit of ``bucket``; the driver sends back ``None`` or a :class:`Wait`."""

    bucket: str


@dataclass(frozen=True)
class Pause:
    """Pause ``bucket`` for every sharer until ``until`` (seconds since the epoch)."""

    bucket: str
    until: float


LimitStep = Spend | Pause


@dataclass(frozen=True)
class Wait:
    """Why a call may not go yet, and for how many seconds."""

    bucket: str
    seconds: float
    limit: str  # the window that is full ("240 per minute"), or "" for a pause after a 429


class PostHogRateLimitError(PostHogError):
    """A call was not sent: its budget frees later than the toolkit waits.

    Attributes:
        bucket: the PostHog bucket (``crud``, ``analytics``, ``query``, ``ai``).
        limit: the full window ("240 per minute"), or ``""`` when PostHog asked for a pause.
        retry_after: seconds until the call could go.
    """

    def __init__(self, wait: Wait, max_wait: float, waited: float) -> None:
        self.bucket = wait.bucket
        self.limit = wait.limit
        self.retry_after = wait.seconds
        what = (
            f"the {wait.bucket} budget of this key ({wait.limit}) is spent"
            if wait.limit
            else f"PostHog answered 429 and asked every caller of this key to pause {wait.bucket} "
            "calls"
        )
        already = f" after waiting {_seconds(waited)} s" if waited else ""
        super().__init__(
            f"Not sent: {what}; it frees in {_seconds(wait.seconds)} s, longer than this toolkit "
            f"waits ({max_wait:g} s, rate_limit_max_wait){already}. Nothing was sent to PostHog. "
            "Call again after that, or do other work meanwhile."
        )


def _seconds(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


# -- where budgets live ------------------------------------------------------------------------


def rates(windows: tuple[Window, ...]) -> list[Rate]:
    """The windows as pyrate-limiter's rates."""
    from pyrate_limiter import Rate

    return [Rate(w.limit, w.kept_ms) for w in windows]


def describe(windows: tuple[Window, ...], rate: Rate | None) -> str:
    """The window behind a pyrate-limiter rate, for messages."""
    for window in windows:
        if rate is not None and rate.limit == window.limit and rate.interval == window.kept_ms:
            return str(window)
    return "; ".join(str(w) for w in windows)


class MemoryStore:
    """Budgets in this process: pyrate-limiter's in-memory log, one per bucket.

    Nothing here waits on I/O, so sync and async callers share it.
    """

    def __init__(self, budgets: Mapping[str, tuple[Window, ...]]) -> None:
        self._budgets = budgets
        self._logs: dict[str, InMemoryBucket] = {}
        self._pauses: dict[str, float] = {}
        self._puts = 0
        self._item: Any = None  # pyrate-limiter's RateItem, imported with the first log
        # A bucket records why a put failed on itself, so a put and the reading of its
        # outcome must not interleave with another thread's.
        self._lock = threading.Lock()

    def spend(self, name: str) -> Wait | None:
        """Spend one unit of ``name``, or say how long until one frees."""
        with self._lock:
            if self._pauses:
                paused = self._pauses.get(name, 0.0) - time.time()
                if paused > 0:
                    return Wait(name, paused, "")
            log = self._logs.get(name) or self._new_log(name)
            item = self._item(name, log.now())  # type: ignore[no-untyped-call]
            if log.put(item):
                self._puts += 1
                if self._puts % _LEAK_EVERY == 0:
                    for each in self._logs.values():
                        each.leak(item.timestamp)
                return None
            wait_ms = log.waiting(item)
            rate = log.failing_rate
        assert isinstance(wait_ms, int)  # an in-memory bucket answers at once
        return Wait(name, max(0, wait_ms) / 1000, describe(self._budgets[name], rate))

    def _new_log(self, name: str) -> InMemoryBucket:
        # Imported on first use, not with the package: a toolkit that is only built, or
        # never calls PostHog, does not pay for it.
        from pyrate_limiter import InMemoryBucket, RateItem

        self._item = RateItem
        log = self._logs[name] = InMemoryBucket(rates(self._budgets[name]))
        return log

    def pause(self, name: str, until: float) -> None:
        """Hold back ``name`` until ``until`` (seconds since the epoch)."""
        with self._lock:
            self._pauses[name] = max(self._pauses.get(name, 0.0), until)

    def close(self) -> None:
        """Nothing to release."""


# -- the limiter -------------------------------------------------------------------------------


class RateLimiter:
    """One PostHog key's budgets, in this process or shared through Redis.

    Args:
        budgets: per bucket, windows such as ``"240/minute; 1200/hour"``; ``None`` for a bucket
            turns its limit off. Unnamed buckets keep PostHog's numbers.
        storage: ``None`` (this process), a ``redis://``, ``rediss://`` or ``unix://`` URL, or a
            ``redis.Redis`` client (async calls then use it from a worker thread).
        max_wait: the longest a call waits for its budget before failing unsent.
        namespace: what tells this key's budgets from another's in shared storage.
    """

    def __init__(
        self,
        budgets: Mapping[str, str | None] | None = None,
        storage: Any = None,
        *,
        max_wait: float = DEFAULT_MAX_WAIT,
        namespace: str = "",
    ) -> None:
        self.budgets = resolve_budgets(budgets)
        self._overrides = dict(budgets or {})
        self.max_wait = max_wait
        self.namespace = namespace
        self.memory = MemoryStore(self.budgets)
        self._spends = {name: Spend(name) for name in self.budgets}
        self._storage = storage
        self._shared: Any = None
        if storage is not None:
            from langchain_posthog.api.ratelimit_redis import SharedBudgets

            self._shared = SharedBudgets(self, storage)

    @staticmethod
    def namespace_for(origin: str, key: str | None) -> str:
        """A name for one key's budgets at one PostHog that does not reveal the key."""
        digest = hashlib.sha256(f"{origin}\n{key or ''}".encode()).hexdigest()[:24]
        return f"langchain-posthog:{digest}"

    @property
    def shared(self) -> bool:
        """Whether the budgets are kept in Redis (when it answers)."""
        return self._shared is not None

    def __repr__(self) -> str:
        where = "redis" if self._shared is not None else "process"
        return f"RateLimiter(buckets={sorted(self.budgets)}, storage={where!r})"

    def __getstate__(self) -> dict[str, Any]:
        storage = self._storage if isinstance(self._storage, str) else None
        if self._storage is not None and storage is None:
            logger.warning(
                "A Redis client object does not cross a process boundary: this copy keeps its "
                "rate limits in its own process. Pass rate_limit_storage as a URL to share them."
            )
        return {
            "budgets": self._overrides,
            "storage": storage,
            "max_wait": self.max_wait,
            "namespace": self.namespace,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["budgets"],
            state["storage"],
            max_wait=state["max_wait"],
            namespace=state["namespace"],
        )

    # -- what the client's exchange yields -------------------------------------------------

    def admit(self, call: Call) -> Generator[LimitStep | float, Wait | None, None]:
        """Spend a unit of ``call``'s bucket, waiting for one to free up to ``max_wait``."""
        name = bucket(call)
        spend = self._spends.get(name) if name is not None else None
        if spend is None:
            return
        waited = 0.0
        while True:
            wait = yield spend
            if wait is None:
                return
            if waited + wait.seconds > self.max_wait:
                raise PostHogRateLimitError(wait, self.max_wait, waited)
            logger.debug(
                "%s %s waits %.2f s for the %s budget", call.method, call.path, wait.seconds, name
            )
            # A little past the moment the window frees, so the next try finds it free.
            seconds = wait.seconds + 0.005
            yield seconds
            waited += seconds

    def record_429(self, call: Call, retry_after: float) -> Generator[LimitStep, Any, None]:
        """Pause ``call``'s bucket for everyone sharing it, as PostHog's 429 asked."""
        name = bucket(call)
        if name is None or retry_after <= 0:
            return
        yield Pause(name, time.time() + retry_after)

    # -- the drivers' side -----------------------------------------------------------------

    def handle(self, step: LimitStep) -> Wait | None:
        """Carry out ``step`` from sync code."""
        if self._shared is not None:
            return self._shared.handle(step)  # type: ignore[no-any-return]
        if type(step) is Spend:
            return self.memory.spend(step.bucket)
        return self.memory_handle(step)

    async def ahandle(self, step: LimitStep) -> Wait | None:
        """Carry out ``step`` from async code: Redis through its async client."""
        if self._shared is not None:
            return await self._shared.ahandle(step)  # type: ignore[no-any-return]
        if type(step) is Spend:
            return self.memory.spend(step.bucket)
        return self.memory_handle(step)

    def memory_handle(self, step: LimitStep) -> Wait | None:
        """Carry out ``step`` on this process's budgets."""
        if isinstance(step, Spend):
            return self.memory.spend(step.bucket)
        self.memory.pause(step.bucket, step.until)
        return None

    def close(self) -> None:
        """Close the Redis connections this limiter opened."""
        if self._shared is not None:
            self._shared.close()

    async def aclose(self) -> None:
        """Close the Redis connections this limiter opened, from async code."""
        if self._shared is not None:
            await self._shared.aclose()
