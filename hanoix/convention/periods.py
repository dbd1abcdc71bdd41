"""Periods the Convention sets (days, months, years) and the date arithmetic they need.

A :class:`Period` is data: a name, an amount, a unit, whether the Convention sets a floor, a
ceiling or a fixed delay, and the article and basis it rests on. Counting is done here once, so
that the treaty and requests modules never add months by hand.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from hanoix.convention.refs import Art, Basis


class TimeUnit(StrEnum):
    """The unit a period is counted in."""

    DAYS = "days"
    MONTHS = "months"
    YEARS = "years"


class Bound(StrEnum):
    """How the Convention uses the amount."""

    MINIMUM = "minimum"  # "at least": the period may be longer
    MAXIMUM = "maximum"  # "up to", "not later than": the period may be shorter
    EXACT = "exact"  # a fixed delay: "on the ninetieth day after", "one year after"


@dataclass(frozen=True)
class Period:
    """A period set by the Convention, with the article and the basis it rests on.

    ``renewable`` says the period may be renewed (Art. 25 preservation orders); ``note`` says
    what the amount alone cannot (e.g. that preservation continues until a decision).
    """

    name: str
    description: str
    amount: int
    unit: TimeUnit
    bound: Bound
    art: Art
    basis: Basis
    renewable: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError(f"period {self.name!r} needs a positive amount, got {self.amount}")

    def __str__(self) -> str:
        word = {Bound.MINIMUM: "at least ", Bound.MAXIMUM: "at most ", Bound.EXACT: ""}[self.bound]
        unit = self.unit.value if self.amount != 1 else self.unit.value.removesuffix("s")
        return f"{word}{self.amount} {unit}"

    def add_to(self, start: date) -> date:
        """The date ``amount`` units after ``start`` (month ends are clamped: 31 Jan + 1 month
        is 28 or 29 Feb, because the Convention's periods never run past a month's end)."""
        if self.unit is TimeUnit.DAYS:
            return start + timedelta(days=self.amount)
        months = self.amount * 12 if self.unit is TimeUnit.YEARS else self.amount
        return add_months(start, months)

    def in_months(self) -> int:
        """The period in whole months; days cannot be converted exactly, so they raise."""
        if self.unit is TimeUnit.DAYS:
            raise ValueError(f"period {self.name!r} is counted in days, not months")
        return self.amount * 12 if self.unit is TimeUnit.YEARS else self.amount

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "amount": self.amount,
            "unit": self.unit.value,
            "bound": self.bound.value,
            "renewable": self.renewable,
            "article": str(self.art),
            "basis": self.basis.value,
            "note": self.note,
        }


def add_months(start: date, months: int) -> date:
    """``start`` moved by ``months`` calendar months, clamped to the last day of the month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)
