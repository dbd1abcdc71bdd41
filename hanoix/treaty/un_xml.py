"""The depositary's status table as the UN Treaty Collection publishes it (MTDSG XML).

The file behind the status page of chapter XVIII-16 is declared ISO-8859-1. Participant rows are
at ``Treaty/Participants/Table/TGroup/Tbody/Rows/Row``; each has ``Entry`` children: the
participant's UN name, the date of signature, and the date of the instrument of ratification,
acceptance, approval or accession, which may end with a type mark (`` A`` acceptance, `` AA``
approval, `` a`` accession, `` d`` succession; none: ratification). Dates read like
``25 Oct 2025``, sometimes with a tab inside; a date in brackets marks a special case explained in
the depositary's footnotes; names may carry footnote marks as ``<superscript>`` elements.

The parser is tolerant of anything else in the document (headers, footnotes, extra attributes
and elements) but refuses, naming the row, any row it cannot read, so that a partial table is
never imported. A name it does not know stops the import, naming it; the operator says what it
is with a name map (``--map "Türkiye=TUR"``).

Declarations and reservations are published as free text in other sections (an element named
``Declarations``, ``Reservations``, ``DeclarationsReservations``... anywhere outside the table).
They are read as statements kept as lodged (:class:`~hanoix.treaty.actions.Declaration`): a
short text that is a participant's name starts that participant's statements; a heading such as
"Reservations made upon signature:" gives the form and the occasion (so the date: the
participant's signature or instrument in the table); a paragraph that cites an article
("Article 63(3)", "Art. 9, paragraph 2") is one statement, its form the first of reservation,
declaration or notification it names (else the heading's), what it does read from the
paragraph it invokes. Explanatory text that cites no article is skipped. A statement whose
participant, date or effect cannot be told stops the import, naming the participant and the
paragraph. The layout is modelled on the depositary's practice for other treaties; the real
file of XVIII-16 has not been seen (docs/treaty-data.md).

Entity declarations are refused outright (no DTD is needed to read the table), which closes the
door to entity-expansion attacks.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import date

from hanoix.convention.notifications import NotificationForm, NotificationKind, kind_invoked
from hanoix.convention.refs import Art
from hanoix.errors import FileFormatError, UnknownStateError
from hanoix.treaty.actions import ActionKind, Declaration, SourceBasis, TreatyAction
from hanoix.treaty.participants import fold_name, lookup, lookup_name

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


def parse_un_xml(
    data: bytes, *, source_name: str = "XML", names: Mapping[str, str] | None = None
) -> list[TreatyAction]:
    """Read the signatures and instruments of the depositary's status table.

    Raises :class:`FileFormatError` naming ``source_name`` and the row (1-based, with the
    participant's name when it could be read) of the first row that does not parse.
    """
    return parse_un_xml_document(data, source_name=source_name, names=names)[0]


def name_map(pairs: Mapping[str, str]) -> dict[str, str]:
    """The operator's ``NAME=ISO3`` pairs, keyed as names are matched; codes are checked."""
    return {fold_name(name): lookup(code).code for name, code in pairs.items()}


def parse_un_xml_document(
    data: bytes, *, source_name: str = "XML", names: Mapping[str, str] | None = None
) -> tuple[list[TreatyAction], list[Declaration]]:
    """The status table's actions and the statements of the declarations sections.

    ``names`` maps folded names (:func:`name_map`) to codes, for names this node does not know.
    """
    root = _root(data, source_name)
    actions = _table(root, source_name, names)
    return actions, _declarations(root, actions, source_name, names)


def _root(data: bytes, source_name: str) -> ET.Element:
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
    return root


def _table(
    root: ET.Element, source_name: str, names: Mapping[str, str] | None
) -> list[TreatyAction]:
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
            actions.extend(_row(entries, where, names))
        except _RowError as exc:
            raise FileFormatError(f"{where}: {exc}") from None
        except UnknownStateError as exc:
            raise FileFormatError(f"{where}: {exc.message}") from None
    return actions


def _row(entries: list[str], where: str, names: Mapping[str, str] | None) -> list[TreatyAction]:
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
    participant = lookup_name(name, names)
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


# --- the declarations sections ---------------------------------------------------------------

_SECTION_TAGS = {
    "declarations", "reservations", "declarationsreservations", "declarationsandreservations",
    "reservationsdeclarations", "notifications", "objections",
}  # fmt: skip
_HEADING = re.compile(
    r"^\(?(?P<form>reservations?|declarations?|notifications?)\b.*?\b(?:made|lodged)?\s*"
    r"upon\s+(?P<occasion>signature|ratification|acceptance|approval|accession|succession)",
    re.IGNORECASE,
)
_ARTICLE = re.compile(
    r"\bart(?:icle|\.)?\s*(?P<article>\d{1,2})"
    r"(?:\s*\((?P<paragraph>\d{1,2})\)|,?\s*paragraph\s*(?P<para_word>\d{1,2}))?"
    r"(?:\s*\((?P<point>[a-z])\))?",
    re.IGNORECASE,
)
_FORMS = (
    ("reserv", NotificationForm.RESERVATION),
    ("declar", NotificationForm.DECLARATION),
    ("notif", NotificationForm.NOTIFICATION),
)
# A participant's heading is short; a longer text is a statement or an explanation.
_MAX_NAME = 80
DECLARATIONS_SOURCE = f"{SOURCE_LABEL}, declarations and reservations"


def _leaf_text(element: ET.Element) -> str | None:
    """The text of an element that holds text (and footnote marks) only; None for containers."""
    if any(child.tag.lower() not in {"superscript", "sup"} for child in element):
        return None
    try:
        return _text(element)
    except _RowError:
        return None


def _sections(root: ET.Element) -> list[ET.Element]:
    found: list[ET.Element] = []
    for element in root.iter():
        if element.tag.lower() in _SECTION_TAGS and not any(
            element in section.iter() for section in found
        ):
            found.append(element)
    return found


_SECTION_TITLE = re.compile(
    r"^(declarations?|reservations?|notifications?|objections?|communications?)\b", re.I
)


def _as_participant(text: str, names: Mapping[str, str] | None, where: str) -> str | None:
    """The participant a short heading names; None for other text. A heading that looks like
    a name (short, no article, not a sentence, not a section title) but is not known stops the
    import: its statements must not be given to the participant before it."""
    if len(text) > _MAX_NAME or _ARTICLE.search(text) or _SECTION_TITLE.match(text):
        return None
    if text.startswith("(") or text.endswith((".", "…")):
        return None  # explanatory text, not a name
    try:
        return lookup_name(text.rstrip(":"), names).code
    except UnknownStateError as exc:
        raise FileFormatError(f"{where}: {exc.message}") from None


def _form_of(text: str) -> NotificationForm | None:
    lowered = text.lower()
    places = [(lowered.find(stem), form) for stem, form in _FORMS if stem in lowered]
    return min(places, key=lambda item: item[0])[1] if places else None


def _invoked(match: re.Match[str]) -> Art:
    paragraph = match.group("paragraph") or match.group("para_word")
    point = match.group("point") if paragraph else None
    return Art(int(match.group("article")), int(paragraph) if paragraph else None, point)


def _declarations(
    root: ET.Element,
    actions: list[TreatyAction],
    source_name: str,
    names: Mapping[str, str] | None,
) -> list[Declaration]:
    dates: dict[tuple[str, str], date] = {}
    for action in actions:
        if action.kind is ActionKind.SIGNATURE or action.kind.is_instrument:
            slot = "signature" if action.kind is ActionKind.SIGNATURE else "instrument"
            dates[(action.participant, slot)] = action.date
    statements: list[Declaration] = []
    for section in _sections(root):
        participant: str | None = None
        form: NotificationForm | None = None
        occasion: str | None = None
        number = 0
        for element in section.iter():
            if element.tag.lower() in {"superscript", "sup"}:
                continue  # a footnote mark, read with the text it marks
            text = _leaf_text(element)
            if not text:
                continue
            where = f"{source_name}, declarations after {participant or 'the start'}"
            heading = _HEADING.match(text)
            named = None if heading else _as_participant(text, names, where)
            if named is not None:
                participant, form, occasion, number = named, None, None, 0
                continue
            if heading is not None and not _ARTICLE.search(text):
                form = _form_of(heading.group("form"))
                occasion = heading.group("occasion").lower()
                continue
            cited = _ARTICLE.search(text)
            if cited is None:
                continue  # explanatory text: "(Unless otherwise indicated, ...)"
            number += 1
            where = f"{source_name}, declarations of {participant or '?'}, paragraph {number}"
            statements.append(_statement(text, cited, participant, form, occasion, dates, where))
    return statements


def _statement(
    text: str,
    cited: re.Match[str],
    participant: str | None,
    heading_form: NotificationForm | None,
    occasion: str | None,
    dates: Mapping[tuple[str, str], date],
    where: str,
) -> Declaration:
    if participant is None:
        raise FileFormatError(
            f"{where}: a statement citing {cited.group(0)!r} comes before any participant's name"
        )
    try:
        art = _invoked(cited)
    except ValueError as exc:
        raise FileFormatError(f"{where}: {cited.group(0)!r} is not an article ({exc})") from None
    kind = kind_invoked(art)
    if kind is None:
        raise FileFormatError(
            f"{where}: what a statement under {art} does is not known here; import it from a "
            "CSV row naming its notification code"
        )
    form = _form_of(text) or heading_form
    when = None
    if occasion == "signature":
        when = dates.get((participant, "signature"))
    elif occasion is not None:
        when = dates.get((participant, "instrument"))
    if when is None:
        said = f"upon {occasion}" if occasion else "on no stated occasion"
        raise FileFormatError(
            f"{where}: the statement was made {said}, and the table gives {participant} no such "
            "date"
        )
    return Declaration(
        participant,
        NotificationKind(kind),
        when,
        text,
        SourceBasis.VERIFIED,
        DECLARATIONS_SOURCE,
        where,
        form,
        art,
    )
