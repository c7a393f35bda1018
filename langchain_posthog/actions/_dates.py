"""PostHog's date strings (relative like ``-7d``, ``mStart``, or ISO), checked before sending."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

_RELATIVE = re.compile(r"^-(\d{1,4})([hdwmqy])$")
_PERIOD_START = re.compile(r"^([dwmqy])Start$")
_UNIT_DAYS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30, "q": 91, "y": 365}
DATE_HELP = "Relative like -7d, -24h, -1m, mStart, yStart, or an ISO date (2026-01-31)."


def parse_date(value: str, now: datetime | None = None) -> datetime:
    """The moment a PostHog date string stands for (relative ones approximately).

    Raises:
        ValueError: with a message saying which forms are accepted.
    """
    now = now or datetime.now(UTC)
    text = value.strip()
    if text == "all":
        return datetime(2000, 1, 1, tzinfo=UTC)
    match = _RELATIVE.match(text)
    if match:
        return now - timedelta(days=int(match.group(1)) * _UNIT_DAYS[match.group(2)])
    match = _PERIOD_START.match(text)
    if match:
        unit = match.group(1)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if unit == "d":
            return day
        if unit == "w":
            return day - timedelta(days=day.weekday())
        if unit == "m":
            return day.replace(day=1)
        if unit == "q":
            return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        return day.replace(month=1, day=1)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a date PostHog understands. {DATE_HELP}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _check(value: str) -> str:
    parse_date(value)
    return value.strip()


PostHogDate = Annotated[str, AfterValidator(_check), Field(description=DATE_HELP)]


def check_order(date_from: str | None, date_to: str | None) -> None:
    """Refuse a range whose end comes before its start."""
    if date_from and date_to and parse_date(date_from) > parse_date(date_to):
        raise ValueError(f"date_from {date_from!r} is after date_to {date_to!r}")


# -- moments: a point in time an object is set to start or end, 'now' included --------------


def _now(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.lower() == "now":
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        # The value is not quoted: errors never echo input (it could be a pasted key).
        raise ValueError("not a date-time: use ISO (2026-11-21T09:00:00Z) or 'now'") from None


def _aware(value: datetime) -> datetime:
    # PostHog stores UTC; a naive time would be read in the server's zone, so make it explicit.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# An ISO date-time, or "now" (models rarely know the time, and launching means now).
# A string in the schema, not a date-time: 'now' is a Moment too (strict mode would refuse it).
Moment = Annotated[
    datetime, BeforeValidator(_now), AfterValidator(_aware), WithJsonSchema({"type": "string"})
]


def iso(moment: datetime) -> str:
    """Write a moment as PostHog does (``2026-11-21T09:00:00Z``)."""
    return moment.isoformat().replace("+00:00", "Z")


def check_dates(start: datetime | None, end: datetime | None) -> None:
    """Refuse an end that is not after the start."""
    if start is not None and end is not None and end <= start:
        raise ValueError(f"end_date {iso(end)} must be after start_date {iso(start)}")
