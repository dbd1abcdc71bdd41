"""The depositary's status table as the UN Treaty Collection publishes it (MTDSG XML).

The file behind the status page of chapter XVIII-16 is declared ISO-8859-1. Participant rows are
at ``Treaty/Participants/Table/TGroup/Tbody/Rows/Row``; each has ``Entry`` children: the
participant's UN name, the date of signature, and the date of the instrument of ratification,
acceptance, approval or accession, which may end with a type mark (`` A`` acceptance, `` AA``
approval, `` a`` accession, `` d`` succession; none: ratification). Dates read like
``25 Oct 2025``, sometimes with a tab inside; a date in brackets marks a special case explained in
the depositary's footnotes; names may carry footnote marks as ``<superscript>`` elements.

The parser is tolerant of anything else in the document (headers, footnotes, the declarations
section, extra attributes and elements) but refuses, naming the row, any row it cannot read, so
that a partial table is never imported. Declarations and reservations are published as free text
in other sections and are not read.

Entity declarations are refused outright (no DTD is needed to read the table), which closes the
door to entity-expansion attacks.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

from hanoix.errors import FileFormatError, UnknownStateError
from hanoix.treaty.actions import ActionKind, SourceBasis, TreatyAction
from hanoix.treaty.participants import lookup_name

ROWS_PATH = "Participants/Table/TGroup/Tbody/Rows/Row"
SOURCE_LABEL = "UN Treaty Collection XVIII-16 status (XML)"

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_FULL_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "sept",
}  # fmt: skip
_DATE = re.compile(
    r"^(?P<open>\[)?\s*(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\.?\s+(?P<year>\d{4})"
    r"\s*(?P<inner>AA|A|a|d)?\s*(?P<close>\])?\s*(?P<mark>AA|A|a|d)?$"
)
_MARKS = {
    None: ActionKind.RATIFICATION,
    "A": ActionKind.ACCEPTANCE,
    "AA": ActionKind.APPROVAL,
    "a": ActionKind.ACCESSION,
    "d": ActionKind.SUCCESSION,
}
_HEADER_NAMES = {"participant", "participants"}


class _RowError(Exception):
    """A cell that cannot be read; turned into a FileFormatError naming the row."""


# The depositary's entries hold text and footnote marks, one level deep; a file nesting far
# deeper is not its table (and would exhaust the recursion below).
MAX_ENTRY_DEPTH = 16


def _text(element: ET.Element, depth: int = 0) -> str:
    """An entry's text without its footnote marks (``<superscript>``), whitespace collapsed."""
    if depth > MAX_ENTRY_DEPTH:
        raise _RowError(f"the entry nests elements more than {MAX_ENTRY_DEPTH} deep")
    parts = [element.text or ""]
    for child in element:
        if child.tag.lower() not in {"superscript", "sup"}:
            parts.append(_text(child, depth + 1))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def parse_un_date(text: str) -> tuple[date, str | None, bool]:
    """``"25 Oct\\t 2025 a"`` → (date, type mark or None, whether the date is bracketed)."""
    match = _DATE.match(" ".join(text.split()))
    if match is None:
        raise _RowError(f"{text!r} is not a date like '25 Oct 2025' (with an optional A, AA, a, d)")
    if bool(match.group("open")) != bool(match.group("close")):
        raise _RowError(f"unbalanced bracket in {text!r}")
    word = match.group("month").lower()
    if word not in _MONTHS and word not in _FULL_MONTHS:
        raise _RowError(f"unknown month {match.group('month')!r} in {text!r}")
    try:
        when = date(int(match.group("year")), _MONTHS[word[:3]], int(match.group("day")))
    except ValueError as exc:
        raise _RowError(f"{text!r} is not a calendar date ({exc})") from None
    if match.group("inner") and match.group("mark"):
        raise _RowError(f"two type marks in {text!r}")
    return when, match.group("inner") or match.group("mark"), bool(match.group("open"))


def _refuse_entities(data: bytes) -> None:
    head = data.lower()
    for encoded in (head, head.replace(b"\x00", b"")):  # also UTF-16 without its zero bytes
        if b"<!doctype" in encoded or b"<!entity" in encoded:
            raise FileFormatError(
                "the XML file declares a DOCTYPE or entities, which the depositary's status file "
                "never does; refusing it (entity expansion is a known attack)"
            )


def _declared_encoding(data: bytes) -> str:
    found = re.search(rb"""encoding\s*=\s*["']([^"']{0,40})""", data[:200])
    return found.group(1).decode("ascii", "replace") if found else "?"


def parse_un_xml(data: bytes, *, source_name: str = "XML") -> list[TreatyAction]:
    """Read the signatures and instruments of the depositary's status table.

    Raises :class:`FileFormatError` naming ``source_name`` and the row (1-based, with the
    participant's name when it could be read) of the first row that does not parse.
    """
    _refuse_entities(data)
    try:
        root = ET.fromstring(data)  # noqa: S314  (DOCTYPE and entities refused above)
    except ET.ParseError as exc:
        raise FileFormatError(f"{source_name} is not well-formed XML: {exc}") from exc
    except (LookupError, ValueError):
        # expat reads single-byte encodings and UTF-8/16 only: an unknown encoding raises
        # LookupError, a multi-byte one (Shift JIS, UTF-32) ValueError.
        raise FileFormatError(
            f"{source_name} declares the encoding {_declared_encoding(data)!r}, which cannot be "
            "read; the depositary's file is ISO-8859-1 (save it as ISO-8859-1 or UTF-8)"
        ) from None
    if root.tag != "Treaty":
        raise FileFormatError(
            f"{source_name}: the root element is <{root.tag}>, not <Treaty>: is this the UN "
            "Treaty Collection's status XML (MTDSG)?"
        )
    rows = root.findall(ROWS_PATH)
    if not rows:
        raise FileFormatError(f"{source_name}: no participant rows at Treaty/{ROWS_PATH}")
    actions: list[TreatyAction] = []
    for number, row in enumerate(rows, start=1):
        try:
            entries = [_text(entry) for entry in row.findall("Entry")]
        except _RowError as exc:
            raise FileFormatError(f"{source_name} row {number}: {exc}") from None
        name = entries[0] if entries else ""
        where = f"{source_name} row {number}" + (f" ({name})" if name else "")
        if number == 1 and name.strip().lower() in _HEADER_NAMES:
            continue  # a heading row inside the body
        try:
            actions.extend(_row(entries, where))
        except _RowError as exc:
            raise FileFormatError(f"{where}: {exc}") from None
        except UnknownStateError as exc:
            raise FileFormatError(f"{where}: {exc.message}") from None
    return actions


def _row(entries: list[str], where: str) -> list[TreatyAction]:
    if len(entries) < 2:
        raise _RowError(
            f"{len(entries)} Entry element(s); a row has the participant, the signature and "
            "the instrument"
        )
    extra = [cell for cell in entries[3:] if cell]
    if extra:
        raise _RowError(f"unexpected extra column(s) {extra!r}: the layout may have changed")
    name, signature = entries[0], entries[1]
    instrument = entries[2] if len(entries) > 2 else ""
    if not name:
        raise _RowError("the participant's name is empty")
    participant = lookup_name(name)
    if not signature and not instrument:
        raise _RowError("neither a signature nor an instrument date")
    actions: list[TreatyAction] = []
    if signature:
        when, mark, bracketed = parse_un_date(signature)
        if mark is not None:
            raise _RowError(f"the signature date {signature!r} carries an instrument mark")
        actions.append(_action(participant.code, ActionKind.SIGNATURE, when, bracketed, where))
    if instrument:
        when, mark, bracketed = parse_un_date(instrument)
        actions.append(_action(participant.code, _MARKS[mark], when, bracketed, where))
    return actions


def _action(code: str, kind: ActionKind, when: date, bracketed: bool, where: str) -> TreatyAction:
    source = SOURCE_LABEL
    if bracketed:
        source += "; date in brackets in the table (a special case: see the depositary's notes)"
    return TreatyAction(code, kind, when, SourceBasis.VERIFIED, source, origin=where)
