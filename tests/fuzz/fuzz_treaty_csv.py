"""Fuzz target: the treaty-status CSV, as ``hanoix treaty import`` reads it: the bytes decoded
as UTF-8 (any other file is refused before the parser: it is read as Latin-1 here so that
every byte string reaches the parser), ``parse_csv``, then ``validate`` of what was read.

Documented outcomes: :class:`FileFormatError` from the parser and :class:`InputError` (and its
:class:`ConflictError`) from the validation.
"""

from __future__ import annotations

from datetime import date

from hanoix.convention.notifications import NotificationKind
from hanoix.errors import InputError
from hanoix.treaty.actions import ActionKind, Declaration, SourceBasis, TreatyAction
from hanoix.treaty.csv_format import format_csv, parse_csv
from hanoix.treaty.shipped import shipped_csv
from hanoix.treaty.status import validate
from tests.fuzz.harness import Parse, Target


def seeds() -> dict[str, bytes]:
    actions = [
        TreatyAction("AUT", ActionKind.SIGNATURE, date(2025, 10, 25), SourceBasis.VERIFIED),
        TreatyAction("AUT", ActionKind.RATIFICATION, date(2026, 2, 2), SourceBasis.REPORTED),
        TreatyAction("EUU", ActionKind.SIGNATURE, date(2025, 10, 25), None, 'press, "quoted"'),
    ]
    declarations = [
        Declaration(
            "AUT",
            NotificationKind.CENTRAL_AUTHORITY,
            date(2026, 2, 2),
            "Federal Ministry of Justice,\nVienna",
            SourceBasis.VERIFIED,
            "notification",
        )
    ]
    return {
        "shipped": shipped_csv().encode(),
        "declarations": format_csv(actions, declarations).encode(),
    }


def prepare() -> Parse:
    def parse(data: bytes) -> object:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        actions, declarations = parse_csv(text, source_name="fuzz.csv")
        validate(actions, declarations)
        return actions

    return parse


TARGET = Target(
    name="treaty_csv",
    reads="treaty-status CSV files (hanoix/treaty/csv_format.py) on import",
    documented=(InputError,),
    seeds=seeds,
    prepare=prepare,
)
