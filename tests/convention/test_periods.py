from __future__ import annotations

from datetime import date

import pytest

from hanoix.convention import Art, Basis, Bound, Period, TimeUnit
from hanoix.convention.periods import add_months


def _period(amount: int, unit: TimeUnit, bound: Bound = Bound.EXACT) -> Period:
    return Period("p", "test period", amount, unit, bound, Art(42, 8), Basis.RECALLED)


def test_days_are_added_as_calendar_days() -> None:
    assert _period(90, TimeUnit.DAYS).add_to(date(2026, 1, 1)) == date(2026, 4, 1)


def test_months_clamp_to_the_end_of_a_shorter_month() -> None:
    assert _period(1, TimeUnit.MONTHS).add_to(date(2027, 1, 31)) == date(2027, 2, 28)
    assert _period(6, TimeUnit.MONTHS).add_to(date(2026, 8, 31)) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)


def test_years_from_29_february_land_on_28_february() -> None:
    assert _period(1, TimeUnit.YEARS).add_to(date(2028, 2, 29)) == date(2029, 2, 28)
    assert _period(5, TimeUnit.YEARS).add_to(date(2027, 3, 1)) == date(2032, 3, 1)


def test_a_period_needs_a_positive_amount() -> None:
    with pytest.raises(ValueError, match="positive amount"):
        _period(0, TimeUnit.DAYS)


def test_months_conversion_refuses_days() -> None:
    assert _period(4, TimeUnit.YEARS).in_months() == 48
    with pytest.raises(ValueError, match="days"):
        _period(60, TimeUnit.DAYS).in_months()


def test_a_period_reads_in_words() -> None:
    assert str(_period(60, TimeUnit.DAYS, Bound.MINIMUM)) == "at least 60 days"
    assert str(_period(1, TimeUnit.YEARS)) == "1 year"
    assert str(_period(90, TimeUnit.DAYS, Bound.MAXIMUM)) == "at most 90 days"


def test_months_stay_months_when_converted() -> None:
    # FACTS.md §9.1: Art. 63 gives 6 months to agree on arbitration, counted in months.
    assert _period(6, TimeUnit.MONTHS).in_months() == 6
