"""Periods in days on local calendars, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hanoix.errors import InputError
from hanoix.requests.localtime import (
    end_of_local_day,
    load_zone,
    local_date,
    period_end,
    period_end_from,
    require_utc,
)

ZONES = ["Europe/Vienna", "Asia/Ho_Chi_Minh", "Africa/Johannesburg"]


def test_sixty_days_from_vienna_winter_end_on_the_right_local_day_in_summer_time() -> None:
    # Preserved on 10 February 2026 (CET, UTC+1); Vienna moves to CEST on 29 March 2026.
    start = datetime(2026, 2, 10, 15, 0, tzinfo=ZoneInfo("Europe/Vienna"))
    end = period_end_from(start, 60, "Europe/Vienna")
    # Day 60 is 11 April; the period ends at local midnight starting 12 April, CEST (UTC+2).
    assert end == datetime(2026, 4, 11, 22, 0, tzinfo=UTC)
    assert end.astimezone(ZoneInfo("Europe/Vienna")) == datetime(
        2026, 4, 12, 0, 0, tzinfo=ZoneInfo("Europe/Vienna")
    )
    # Counting 60 blocks of 24 hours from the end of the start day lands an hour late.
    end_of_start_day = datetime(2026, 2, 10, 23, 0, tzinfo=UTC)
    assert end_of_start_day + timedelta(days=60) == end + timedelta(hours=1)


def test_period_across_the_autumn_change_in_vienna() -> None:
    # 25 October 2026 has 25 hours in Vienna.
    end = period_end(date(2026, 10, 1), 60, "Europe/Vienna")
    assert end.astimezone(ZoneInfo("Europe/Vienna")).replace(tzinfo=None) == datetime(
        2026, 12, 1, 0, 0
    )
    assert end == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


def test_zones_without_dst_end_at_their_own_midnight() -> None:
    assert period_end(date(2026, 2, 10), 60, "Asia/Ho_Chi_Minh") == datetime(
        2026, 4, 11, 17, 0, tzinfo=UTC
    )
    assert period_end(date(2026, 2, 10), 60, "Africa/Johannesburg") == datetime(
        2026, 4, 11, 22, 0, tzinfo=UTC
    )


def test_the_same_instant_starts_on_different_local_days() -> None:
    # 20:00 UTC on 10 February is already 11 February in Ho Chi Minh City (UTC+7).
    at = datetime(2026, 2, 10, 20, 0, tzinfo=UTC)
    assert local_date(at, "Europe/Vienna") == date(2026, 2, 10)
    assert local_date(at, "Asia/Ho_Chi_Minh") == date(2026, 2, 11)
    assert local_date(at, "Africa/Johannesburg") == date(2026, 2, 10)


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    days=st.integers(0, 400),
    zone=st.sampled_from(ZONES),
)
def test_a_period_always_ends_at_local_midnight_after_its_last_day(
    start: date, days: int, zone: str
) -> None:
    end = period_end(start, days, zone).astimezone(load_zone(zone))
    assert (end.hour, end.minute) == (0, 0)
    assert end.date() == start + timedelta(days=days + 1)


def test_unknown_zone_is_an_input_error() -> None:
    with pytest.raises(InputError, match="IANA"):
        end_of_local_day(date(2026, 1, 1), "Europe/Atlantis")


def test_negative_period_is_refused() -> None:
    with pytest.raises(InputError, match=r"^a period cannot be negative, got -1 days$"):
        period_end(date(2026, 1, 1), -1, "UTC")


def test_a_time_is_converted_to_utc_and_a_naive_one_refused_naming_what_it_is() -> None:
    vienna = datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/Vienna"))
    converted = require_utc(vienna)
    assert converted == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert converted.tzinfo is UTC
    with pytest.raises(
        InputError, match=r"^the time must be timezone-aware \(UTC\), got 2026-07-01T12:00:00$"
    ):
        require_utc(datetime(2026, 7, 1, 12, 0))
    with pytest.raises(InputError, match=r"^the step's time must be timezone-aware"):
        require_utc(datetime(2026, 7, 1, 12, 0), what="step's time")
