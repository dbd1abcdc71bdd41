"""Builders of synthetic treaty actions for tests: valid by default, dates exact."""

from __future__ import annotations

from datetime import date

from hanoix.treaty.actions import ActionKind, TreatyAction
from hanoix.treaty.participants import REIO_MEMBERS, all_participants

OPENING = date(2025, 10, 25)
EU_MEMBERS = sorted(REIO_MEMBERS["EUU"])
# States that are not EU members, in a fixed order, for counts that must not involve the EU.
OTHERS = [p.code for p in all_participants() if not p.is_reio and p.code not in EU_MEMBERS]


def sign(code: str, day: date = OPENING) -> TreatyAction:
    return TreatyAction(code, ActionKind.SIGNATURE, day)


def ratify(code: str, day: date) -> TreatyAction:
    return TreatyAction(code, ActionKind.RATIFICATION, day)


def accede(code: str, day: date) -> TreatyAction:
    return TreatyAction(code, ActionKind.ACCESSION, day)


def denounce(code: str, day: date) -> TreatyAction:
    return TreatyAction(code, ActionKind.DENUNCIATION, day)


def signed_and_ratified(codes: list[str], day: date) -> list[TreatyAction]:
    """Each of ``codes`` signs at the opening and ratifies on ``day``."""
    return [action for code in codes for action in (sign(code), ratify(code, day))]
