"""What an action asks of PostHog: calls and pauses, yielded by a plan, and the replies.

An action never sends anything itself. Its plan, a generator, yields a :class:`Call` for each
request (or a :class:`Sleep` between polls) and receives a :class:`Reply` for each call; the
client (langchain_posthog.api.client) sends, retries and parses. Whether a call is a read, whether
it may be sent twice, and which of PostHog's rate-limit buckets it spends, is decided here from
the call alone.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, TypeVar

from langchain_posthog.api.errors import PostHogConfigError

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# POST endpoints that only read. Everything else that is not GET is a write, and a read-only
# client refuses it whatever the caller says.
_READ_POSTS = re.compile(
    r"^/api/(projects|environments)/[^/]+/(query/|surveys/[^/]+/summarize_responses/)$"
)
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_@:.\-]+$")

# PostHog's rate-limit buckets (ENDPOINTS.md 1.8). "crud": every endpoint without throttles of
# its own; "analytics": the ClickHouse-backed ones; "query": the query API; "ai": AI features.
Bucket = Literal["crud", "analytics", "query", "ai"]

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
        bucket: the rate-limit bucket it spends, when :func:`bucket` cannot tell from its path.
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
    bucket: Bucket | None = None


@dataclass(frozen=True, slots=True)
class Sleep:
    """A pause a plan asks for between calls (polling a running query)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Reply:
    """PostHog's answer to a :class:`Call`: status, parsed body (secrets removed) and headers."""

    status: int
    data: Any
    headers: Mapping[str, str] = field(default_factory=dict)


Plan = Generator[Call | Sleep, Reply, T]
"""A generator that yields calls (and pauses), receives replies, and returns the action's data.

PostHog errors are thrown into the plan at the ``yield``, so a plan can catch a 404 and fall back.
"""


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


# Which throttle classes PostHog applies, from its source (posthog/rate_limit.py and the viewsets
# that name them): QueryViewSet.get_throttles gives the query API its own pair
# (APIQueriesBurst/SustainedThrottle) and draft_sql the AI pair; InsightViewSet,
# SessionRecordingViewSet and SessionRecordingPlaylistViewSet set the ClickHouse pair, and
# PersonViewSet the ClickHouse burst throttle for personal-API-key calls (counted here against
# the whole analytics bucket, minute and hour, so that every call of a bucket spends the same
# windows; person calls then stop at 1,200 an hour, where PostHog would allow more). Every other
# endpoint keeps DRF's default pair (BurstRateThrottle 480/minute, SustainedRateThrottle
# 4,800/hour). Capture on the ingest host is not rate limited.
_PROJECT = r"^/api/(?:projects|environments)/[^/]+/"
_BUCKETS: tuple[tuple[re.Pattern[str], Bucket], ...] = (
    (re.compile(_PROJECT + r"query/draft_sql/"), "ai"),
    (re.compile(_PROJECT + r"query/"), "query"),
    (
        re.compile(
            _PROJECT + r"(?:insights|persons|session_recordings|session_recording_playlists)/"
        ),
        "analytics",
    ),
)


def bucket(call: Call) -> Bucket | None:
    """The PostHog rate-limit bucket ``call`` spends, or ``None`` when PostHog counts it nowhere.

    >>> bucket(Call("POST", "/api/projects/2/query/"))
    'query'
    >>> bucket(Call("GET", "/api/projects/2/feature_flags/"))
    'crud'
    """
    if call.host == "ingest":
        return None
    if call.bucket is not None:
        return call.bucket
    return _bucket_of(call.path)


@lru_cache(maxsize=512)
def _bucket_of(path: str) -> Bucket:
    # Paths repeat (the same flag, the same query endpoint): matched once each.
    for pattern, name in _BUCKETS:
        if pattern.match(path):
            return name
    return "crud"
