"""Final provisions (Arts 57, 62-68) as typed constants, for treaty status (FACTS.md §9, §13).

Each constant carries its article and basis; the small functions here are the only place the
dates are computed, so that a corrected rule changes every answer at once. Entry into force
(Art. 65(1)) and the signature window are verified; the rest is recalled. The depositary's page
cites "article 64" without a paragraph, so the signature rules cite Art. 64 as a whole: that the
dates are its paragraph 1 is recalled (FACTS.md, corrections of 2026-12-03).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from hanoix.convention.periods import Bound, Period, TimeUnit
from hanoix.convention.refs import Art, Basis
from hanoix.convention.rules import Rule

V, R = Basis.VERIFIED, Basis.RECALLED

# --- entry into force (Art. 65) -----------------------------------------------------------

ENTRY_INTO_FORCE_INSTRUMENTS: Rule[int] = Rule(
    "entry-into-force-instruments",
    40,
    "instruments of ratification, acceptance, approval or accession needed for entry into force",
    Art(65, 1),
    V,
)

ENTRY_INTO_FORCE_DELAY = Period(
    "entry-into-force",
    "the Convention enters into force on the ninetieth day after the fortieth instrument is "
    "deposited",
    90,
    TimeUnit.DAYS,
    Bound.EXACT,
    Art(65, 1),
    V,
)

REIO_INSTRUMENT_COUNTED: Rule[bool] = Rule(
    "reio-instrument-counted",
    False,
    "an instrument of a regional economic integration organization is not counted as "
    "additional to those of its member States",
    Art(65, 1),
    V,
)

# FACTS.md recommends "thirtieth day" (UNTOC 38(2)); a summary seen elsewhere said 90 days.
# Changing this one number switches the reading everywhere.
LATER_PARTY_DAYS = 30

LATER_PARTY_DELAY = Period(
    "entry-into-force-later-party",
    "for a State or organization depositing after the fortieth instrument, the Convention "
    "enters into force on this day after its own deposit, or on the general date if later",
    LATER_PARTY_DAYS,
    TimeUnit.DAYS,
    Bound.EXACT,
    Art(65, 2),
    R,
    note="Recalled and inferred from UNTOC 38(2) [UNTOC-V]; a 90-day reading is probably wrong.",
)


def entry_into_force_date(fortieth_deposit: date) -> date:
    """The general date of entry into force, given the deposit date of the 40th instrument."""
    return ENTRY_INTO_FORCE_DELAY.add_to(fortieth_deposit)


def entry_into_force_for(deposit: date, general_date: date) -> date:
    """When the Convention enters into force for a participant that deposited on ``deposit``.

    Instruments deposited before the general date take effect on it; later ones on the
    thirtieth day after their deposit (Art. 65(2)), never before the general date.
    """
    return max(general_date, LATER_PARTY_DELAY.add_to(deposit))


# --- signature and accession (Art. 64) ----------------------------------------------------

# The depositary verifies the article and the dates, not the paragraph.
SIGNATURE_PARAGRAPH_NOTE = (
    "The depositary's page cites 'article 64' and gives these dates; that they stand in "
    "paragraph 1 is recalled (UNTOC 36(1) model)."
)

SIGNATURE_HANOI_FROM: Rule[date] = Rule(
    "signature-hanoi-from",
    date(2025, 10, 25),
    "open for signature in Hanoi from",
    Art(64),
    V,
    note=SIGNATURE_PARAGRAPH_NOTE,
)
SIGNATURE_HANOI_UNTIL: Rule[date] = Rule(
    "signature-hanoi-until",
    date(2025, 10, 26),
    "open for signature in Hanoi until",
    Art(64),
    V,
    note=SIGNATURE_PARAGRAPH_NOTE,
)
SIGNATURE_NEW_YORK_UNTIL: Rule[date] = Rule(
    "signature-new-york-until",
    date(2026, 12, 31),
    "then open for signature at United Nations Headquarters in New York until",
    Art(64),
    V,
    note=SIGNATURE_PARAGRAPH_NOTE,
)
ACCESSION_OPEN: Rule[bool] = Rule(
    "accession-open",
    True,
    "accession is open to any State or regional economic integration organization; it is the "
    "way to join once signature has closed",
    Art(64, 4),
    R,
    note="Paragraph recalled from the UNTOC 36(4) model.",
)


def signature_open(on: date) -> bool:
    """Whether the Convention is open for signature on ``on`` (Hanoi, then New York)."""
    return SIGNATURE_HANOI_FROM.value <= on <= SIGNATURE_NEW_YORK_UNTIL.value


# --- amendment, protocols, denunciation, Conference ----------------------------------------

AMENDMENT_WAIT = Period(
    "amendment-proposals-open",
    "amendments may be proposed only after this time from entry into force",
    5,
    TimeUnit.YEARS,
    Bound.MINIMUM,
    Art(66, 1),
    R,
)
AMENDMENT_MAJORITY: Rule[Fraction] = Rule(
    "amendment-majority",
    Fraction(2, 3),
    "if consensus fails, an amendment is adopted by this majority of States Parties present "
    "and voting",
    Art(66, 2),
    R,
)
AMENDMENT_IN_FORCE_DELAY = Period(
    "amendment-in-force",
    "an amendment enters into force for a State Party this long after it deposits its "
    "instrument accepting it",
    90,
    TimeUnit.DAYS,
    Bound.EXACT,
    Art(66, 4),
    R,
)
PROTOCOL_MINIMUM_PARTIES: Rule[int] = Rule(
    "protocol-minimum-parties",
    60,
    "States Parties needed before the Conference considers a supplementary protocol for adoption",
    Art(62),
    R,
)
PROTOCOL_MAJORITY: Rule[Fraction] = Rule(
    "protocol-majority",
    Fraction(2, 3),
    "if consensus fails, a protocol is adopted by this majority of States Parties present and "
    "voting",
    Art(62),
    R,
)
DENUNCIATION_DELAY = Period(
    "denunciation",
    "a denunciation takes effect this long after the Secretary-General receives it",
    1,
    TimeUnit.YEARS,
    Bound.EXACT,
    Art(67, 1),
    R,
    note="Denouncing the Convention also denounces its protocols.",
)
COSP_FIRST_SESSION = Period(
    "cosp-first-session",
    "the Secretary-General convenes the Conference of the States Parties not later than this "
    "after entry into force",
    1,
    TimeUnit.YEARS,
    Bound.MAXIMUM,
    Art(57),
    R,
    note="UNTOC 32(2) model [UNTOC-V].",
)
ARBITRATION_WAIT = Period(
    "arbitration-to-icj",
    "if the parties cannot agree on arbitration within this time, a dispute may go to the "
    "International Court of Justice",
    6,
    TimeUnit.MONTHS,
    Bound.EXACT,
    Art(63, 2),
    R,
    note="UNTOC 35(2) model [UNTOC-V]. Indirect support for the paragraph number: Azerbaijan "
    "lodged a reservation 'under Article 63(3)' [V-2], the opt-out from this paragraph.",
)
AUTHENTIC_LANGUAGES: Rule[tuple[str, ...]] = Rule(
    "authentic-languages",
    ("ar", "zh", "en", "fr", "ru", "es"),
    "texts equally authentic (ISO 639-1)",
    Art(68),
    R,
)
DEPOSITARY: Rule[str] = Rule(
    "depositary",
    "Secretary-General of the United Nations",
    "depositary of the Convention",
    Art(68),
    R,
)


def amendments_open_from(entry_into_force: date) -> date:
    """The first day an amendment may be proposed (Art. 66(1))."""
    return AMENDMENT_WAIT.add_to(entry_into_force)


def denunciation_effective(received: date) -> date:
    """The day a denunciation received by the Secretary-General on ``received`` takes effect."""
    return DENUNCIATION_DELAY.add_to(received)


def cosp_first_session_due(entry_into_force: date) -> date:
    """The last day for the first session of the Conference (Art. 57)."""
    return COSP_FIRST_SESSION.add_to(entry_into_force)


FINAL_PROVISIONS: tuple[Rule[Any] | Period, ...] = (
    ENTRY_INTO_FORCE_INSTRUMENTS,
    ENTRY_INTO_FORCE_DELAY,
    REIO_INSTRUMENT_COUNTED,
    LATER_PARTY_DELAY,
    SIGNATURE_HANOI_FROM,
    SIGNATURE_HANOI_UNTIL,
    SIGNATURE_NEW_YORK_UNTIL,
    ACCESSION_OPEN,
    AMENDMENT_WAIT,
    AMENDMENT_MAJORITY,
    AMENDMENT_IN_FORCE_DELAY,
    PROTOCOL_MINIMUM_PARTIES,
    PROTOCOL_MAJORITY,
    DENUNCIATION_DELAY,
    COSP_FIRST_SESSION,
    ARBITRATION_WAIT,
    AUTHENTIC_LANGUAGES,
    DEPOSITARY,
)
