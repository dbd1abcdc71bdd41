"""The treaty-data CSV: ``participant,action,date`` and optional ``basis,source,text`` columns.

* ``participant``: ISO 3166-1 alpha-3 code, or ``EUU`` for the European Union;
* ``action``: a treaty action (``signature``, ``ratification``, ``acceptance``, ``approval``,
  ``accession``, ``succession``, ``denunciation``, ``withdrawal-of-reservation``) or the code of a
  notification of Part B (``central-authority``, ``reservation-dispute-settlement``...), lower case;
* ``date``: ISO 8601, ``YYYY-MM-DD``;
* ``basis``: ``verified`` or ``reported`` (empty: not stated); ``source``: free text;
* ``text``: the text of a declaration (notifications only);
* ``article``: the article and paragraph a declaration invokes (``Art. 9(2)``).

A declaration is written as it was lodged: ``action`` is its form (``reservation``,
``declaration``, ``notification``) and ``article`` the paragraph it invokes, from which what it
does is read (``Art. 9(2)``: an optional element of an offence). Where the paragraph alone
cannot tell (Art. 37 asks for two things), ``action`` names the notification's code instead.
Domestic acts (``domestic-ratification``, ``domestic-approval``) are recorded as reported; they
are not deposits.

Parsing is pure (text in, actions out) and strict: any bad row stops the whole file with an
error naming its line, so an import applies completely or not at all. See docs/treaty-data.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from hanoix.convention.notifications import NotificationForm, NotificationKind, kind_invoked
from hanoix.convention.refs import Art
from hanoix.errors import FileFormatError, HanoixError, excerpt
from hanoix.treaty.actions import (
    DECLARATION_KINDS,
    ActionKind,
    Declaration,
    SourceBasis,
    TreatyAction,
    parse_date,
    parse_kind,
)
from hanoix.treaty.participants import lookup

REQUIRED_COLUMNS = ("participant", "action", "date")
OPTIONAL_COLUMNS = ("basis", "source", "text", "article")
# The forms a declaration is lodged in, as the ``action`` column may write them.
LODGED_FORMS = {
    form.value: form
    for form in (
        NotificationForm.RESERVATION,
        NotificationForm.DECLARATION,
        NotificationForm.NOTIFICATION,
    )
}
HEADER = f"{','.join(REQUIRED_COLUMNS)}"


def parse_csv(
    text: str, *, source_name: str = "CSV"
) -> tuple[list[TreatyAction], list[Declaration]]:
    """Read treaty actions and declarations from CSV text.

    Raises :class:`FileFormatError` naming ``source_name`` and the line of the first bad row.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FileFormatError(f"{source_name} line 1: {exc}") from exc
    if header is None:
        raise FileFormatError(f"{source_name} is empty: the first line must be {HEADER}")
    columns = [name.strip().lower() for name in header]
    if tuple(columns[:3]) != REQUIRED_COLUMNS:
        raise FileFormatError(
            f"{source_name} line 1: the header must start with {HEADER} "
            f"(got {excerpt(','.join(header)) or 'an empty line'})"
        )
    for name in columns[3:]:
        if name not in OPTIONAL_COLUMNS:
            raise FileFormatError(
                f"{source_name} line 1: unknown column {excerpt(name)!r} "
                f"(the optional columns are {', '.join(OPTIONAL_COLUMNS)})"
            )
    if len(set(columns)) != len(columns):
        raise FileFormatError(f"{source_name} line 1: a column is named twice")

    actions: list[TreatyAction] = []
    declarations: list[Declaration] = []
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines are allowed, e.g. at the end
            where = f"{source_name} line {line}"
            if len(row) != len(columns):
                raise FileFormatError(
                    f"{where}: {len(row)} fields where the header has {len(columns)}"
                )
            record = dict(zip(columns, row, strict=True))
            try:
                item = _row(record, where)
            except FileFormatError:
                raise
            except HanoixError as exc:
                raise FileFormatError(f"{where}: {exc.message}") from exc
            if isinstance(item, TreatyAction):
                actions.append(item)
            else:
                declarations.append(item)
    except csv.Error as exc:
        raise FileFormatError(f"{source_name} line {reader.line_num or line}: {exc}") from exc
    return actions, declarations


def _article(text: str, where: str) -> Art | None:
    if not text.strip():
        return None
    try:
        return Art.parse(text)
    except ValueError:
        raise FileFormatError(
            f"{where}: article {text!r} is not a reference; write it like 'Art. 9(2)'"
        ) from None


def _row(record: dict[str, str], where: str) -> TreatyAction | Declaration:
    code = record["participant"].strip()
    if code != code.upper():
        raise FileFormatError(f"{where}: participant codes are upper case, write {code.upper()}")
    participant = lookup(code)
    action = record["action"].strip()
    form = LODGED_FORMS.get(action)
    kind = None if form is not None else parse_kind(action)
    when = parse_date(record["date"], "date")
    basis_text = record.get("basis", "").strip()
    try:
        basis = SourceBasis(basis_text) if basis_text else None
    except ValueError:
        raise FileFormatError(
            f"{where}: basis {basis_text!r} is not one of {', '.join(b.value for b in SourceBasis)}"
        ) from None
    source = record.get("source", "").strip() or None
    text = record.get("text", "").strip()
    art = _article(record.get("article", ""), where)
    if isinstance(kind, ActionKind):
        if text or art:
            raise FileFormatError(
                f"{where}: only a declaration has a text or an article, not a {kind.value}"
            )
        return TreatyAction(participant.code, kind, when, basis, source, origin=where)
    if form is not None:
        if art is None:
            raise FileFormatError(
                f"{where}: a {form.value} names the article and paragraph it invokes in the "
                "'article' column (e.g. Art. 63(3))"
            )
        kind = kind_invoked(art)
        if kind is None:
            known = ", ".join(sorted(k.value for k in DECLARATION_KINDS))
            raise FileFormatError(
                f"{where}: what a {form.value} under {art} does is not known here; write its "
                f"code in 'action' instead ({known})"
            )
    assert kind is not None
    return Declaration(
        participant.code, NotificationKind(kind), when, text, basis, source, where, form, art
    )


def _declaration_columns(declaration: Declaration) -> tuple[str, str]:
    """(action, article) for a declaration: its form and paragraph when the paragraph tells
    what it does, else its notification code (and the paragraph, if one was given)."""
    art, form = declaration.art, declaration.form
    if form is not None and art is not None and kind_invoked(art) is declaration.kind:
        return form.value, str(art)
    return declaration.kind.value, str(art) if art else ""


def format_csv(actions: Iterable[TreatyAction], declarations: Iterable[Declaration] = ()) -> str:
    """Write actions and declarations as CSV, by date then participant.

    The ``text`` column is written only when there are declarations, so that a file of actions
    reads the same as the shipped one.
    """
    notes = list(declarations)
    extra = ("text", "article") if notes else ()
    columns = [*REQUIRED_COLUMNS, "basis", "source", *extra]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    rows: list[tuple[str, str, str, str, str, str, str]] = [
        (
            a.date.isoformat(),
            a.participant,
            a.kind.value,
            a.basis.value if a.basis else "",
            a.source or "",
            "",
            "",
        )
        for a in actions
    ]
    for d in notes:
        action, article = _declaration_columns(d)
        rows.append(
            (
                d.date.isoformat(),
                d.participant,
                action,
                d.basis.value if d.basis else "",
                d.source or "",
                d.text,
                article,
            )
        )
    for day, code, kind, basis, source, text, article in sorted(rows):
        writer.writerow([code, kind, day, basis, source, *((text, article) if notes else ())])
    return buffer.getvalue()
