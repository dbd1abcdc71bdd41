"""Local calendars: periods in days counted where they run, stored as UTC instants.

A period "of 60 days" is a count of calendar days in the State where it runs, not of 24-hour
blocks: across a daylight-saving change one of those days has 23 or 25 hours, and 60 × 24 hours
from a Vienna afternoon in February ends an hour off, which near midnight is the wrong day.
So every period is computed on local dates and only the resulting instant is turned into UTC.

Counting rule (the usual one for legal periods, e.g. EU Regulation 1182/71): the day of the
event that starts the period is not counted; the period ends at the end of its last day, local
time. A 60-day period starting on 10 February therefore runs until 24:00 on 11 April, which is
stored as the instant 00:00 on 12 April local time, in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hanoix.errors import InputError


@cache
def load_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``"Europe/Vienna"``); InputError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Vienna'"
        ) from exc


def require_utc(at: datetime, *, what: str = "time") -> datetime:
    """``at`` converted to UTC; InputError if it is naive (a naive time has no meaning here)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InputError(f"the {what} must be timezone-aware (UTC), got {at.isoformat()}")
    return at.astimezone(UTC)


def local_date(at: datetime, zone: str) -> date:
    """The calendar date of instant ``at`` in ``zone``."""
    return require_utc(at).astimezone(load_zone(zone)).date()


def local_time(at: datetime, zone: str) -> datetime:
    """Instant ``at`` shown in ``zone`` (for display; store the UTC value)."""
    return require_utc(at).astimezone(load_zone(zone))


def end_of_local_day(day: date, zone: str) -> datetime:
    """The instant (UTC) at which local day ``day`` ends in ``zone``: next local midnight.

    Midnight exists on every day in the zones we serve; where a zone skips midnight itself
    (a few historic transitions), ``zoneinfo`` resolves the gap forward, which still ends the
    day no earlier than its last local minute.
    """
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=load_zone(zone))
    return next_midnight.astimezone(UTC)


def period_end(start: date, days: int, zone: str) -> datetime:
    """The UTC instant at which a period of ``days`` days starting on local ``start`` ends.

    The start day is not counted; the period ends at the end of local day ``start + days``.
    """
    if days < 0:
        raise InputError(f"a period cannot be negative, got {days} days")
    return end_of_local_day(start + timedelta(days=days), zone)


def period_end_from(at: datetime, days: int, zone: str) -> datetime:
    """Like :func:`period_end`, for a period started by the event at instant ``at``."""
    return period_end(local_date(at, zone), days, zone)
