"""Readable references of cooperation requests: ``AUT-2026-000123``.

A reference names the requesting State (ISO 3166-1 alpha-3), the year in that State's local
calendar and a sequence number. The sequence is supplied by the caller (the store keeps one
counter per State and year); this module only shapes, parses and checks the reference, so that
both nodes of a request print and read it the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hanoix.errors import InputError

# Six digits keep references aligned in lists; a busier year simply grows a seventh digit.
SEQUENCE_WIDTH = 6

_STATE = re.compile(r"^[A-Z]{3}$")
_REFERENCE = re.compile(
    # ASCII digits only (Python's \d also takes other scripts' digits), as the OpenAPI
    # document's pattern says.
    r"^(?P<state>[A-Z]{3})-(?P<year>[0-9]{4})-(?P<sequence>[0-9]{" + str(SEQUENCE_WIDTH) + r",})$"
)


def check_state_code(code: str, *, what: str = "State") -> str:
    """Return ``code`` if it has the shape of an ISO 3166-1 alpha-3 code, else raise InputError.

    Only the shape is checked here: whether the State exists and is a Party is the treaty
    module's business, and the core must not need a country list to build a reference.
    """
    if not _STATE.match(code):
        raise InputError(
            f"{what} {code!r} is not an ISO 3166-1 alpha-3 code: write three capital letters, "
            "like 'AUT' or 'VNM'"
        )
    return code


@dataclass(frozen=True, order=True)
class RequestReference:
    """The reference a request carries on both nodes, e.g. ``AUT-2026-000123``."""

    state: str
    year: int
    sequence: int

    def __post_init__(self) -> None:
        check_state_code(self.state, what="requesting State")
        if not 1000 <= self.year <= 9999:
            raise InputError(f"a reference year has four digits, got {self.year}")
        if self.sequence < 1:
            raise InputError(f"a reference sequence starts at 1, got {self.sequence}")

    def __str__(self) -> str:
        return f"{self.state}-{self.year:04d}-{self.sequence:0{SEQUENCE_WIDTH}d}"

    @classmethod
    def parse(cls, text: str) -> RequestReference:
        """Read ``"AUT-2026-000123"``; raise InputError saying the expected shape otherwise."""
        match = _REFERENCE.match(text.strip())
        if match is None:
            raise InputError(
                f"not a request reference: {text!r} (write it like 'AUT-2026-000123': State, "
                f"year, and a sequence of at least {SEQUENCE_WIDTH} digits)"
            )
        return cls(
            state=match.group("state"),
            year=int(match.group("year")),
            sequence=int(match.group("sequence")),
        )


def reference_year(at: datetime, zone: str) -> int:
    """The year of ``at`` in the requesting State's local calendar.

    A request drafted in Vienna at 00:30 on 1 January belongs to the new year even though it is
    still 31 December in UTC; the store needs this year before it allocates the sequence.
    """
    if at.tzinfo is None:
        raise InputError("a request time must be timezone-aware (UTC)")
    return at.astimezone(ZoneInfo(zone)).year


def make_reference(state: str, at: datetime, zone: str, sequence: int) -> RequestReference:
    """Build the reference of a request drafted at ``at`` by ``state`` (local zone ``zone``)."""
    return RequestReference(state=state, year=reference_year(at, zone), sequence=sequence)
