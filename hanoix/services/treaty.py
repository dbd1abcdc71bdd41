"""Treaty status use cases: load, query, import and export the node's treaty data.

Imports are atomic: the file is read and parsed completely, merged with what is stored and the
result validated as a whole before anything is written; the write is one transaction. So a file
with one bad line changes nothing.

Import modes (docs/treaty-data.md):

* CSV, merge (default): the file's rows are added to the stored data; a row identical to a stored
  one (same participant, action and date) is already known and skipped; anything contradicting
  the stored data (a second ratification, a second signature) is refused. The dataset keeps its
  date and stated gaps unless ``as_of`` is given.
* UN XML (default): the depositary's table is authoritative for signatures and instruments, so it
  replaces every stored signature and instrument; denunciations, withdrawals of reservations and
  declarations (which the table does not carry) are kept. The data is then as of the file's
  download day (``as_of``, default today) and claims no gaps.
* ``replace=True`` (either format): the file becomes the whole of the treaty data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from hanoix import inputs
from hanoix.clock import today
from hanoix.errors import (
    ConflictError,
    FileFormatError,
    HanoixError,
    InputError,
    UnknownStateError,
)
from hanoix.services.node import Node, register_init_step

# The reports and formats are defined without the database (cli treaty reads them from the
# home's copy); re-exported here, where the API and the other use cases find them.
from hanoix.services.treaty_reports import ApplicabilityReport as ApplicabilityReport
from hanoix.services.treaty_reports import ExportFormat as ExportFormat
from hanoix.services.treaty_reports import ImportFormat as ImportFormat
from hanoix.services.treaty_reports import ParticipantReport as ParticipantReport
from hanoix.services.treaty_reports import StatusReport as StatusReport
from hanoix.services.treaty_reports import (
    applicability_report,
    participant_report,
    status_report,
)
from hanoix.store import treaty as store
from hanoix.store import treaty_file
from hanoix.treaty.actions import INSTRUMENT_KINDS, ActionKind, Declaration, TreatyAction
from hanoix.treaty.dataset import DatasetInfo, TreatyData
from hanoix.treaty.status import (
    TreatyStatus,
    validate,
)

# Files larger than this are not a treaty status table (the official XML is a few hundred kB).
MAX_IMPORT_BYTES = 20 * 1024 * 1024
_TABLE_KINDS = frozenset({ActionKind.SIGNATURE, *INSTRUMENT_KINDS})


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed."""

    file: str
    format: ImportFormat
    mode: str
    read: int  # actions and declarations in the file
    added: int
    removed: int
    unchanged: int
    actions: int  # stored after the import
    declarations: int
    as_of: date | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format.value,
            "mode": self.mode,
            "read": self.read,
            "added": self.added,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "actions": self.actions,
            "declarations": self.declarations,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


# --- loading ---------------------------------------------------------------------------------


def load_shipped(node: Node, session: Session) -> dict[str, Any] | None:
    """Init step: load the shipped treaty status into an empty node (nothing otherwise)."""
    if not store.is_empty(session):
        return None
    from hanoix.treaty.shipped import shipped_data

    data = shipped_data()
    validate(data.actions, data.declarations)
    if treaty_file.kept_for(node.settings):
        # A copy left by a database since removed goes; the step after this writes the new one.
        treaty_file.remove(node.settings.home)
    stamped = replace(data, info=replace(data.info, imported_at=node.clock.now()))
    store.replace(session, stamped, mode="shipped")
    return {
        "loaded": "shipped",
        "actions": len(data.actions),
        "as_of": data.info.as_of.isoformat() if data.info.as_of else None,
    }


register_init_step("treaty", load_shipped)


def _write_copy(session: Session, copy: treaty_file.CopyWriter) -> None:
    copy.write(store.load(session))


def copy_to_home(node: Node, session: Session) -> None:
    """Init step: write the home's copy of the treaty data the database holds (for a home of an
    earlier version, or after a change that did not finish), read under the copy's lock."""
    if treaty_file.kept_for(node.settings):
        with treaty_file.changing(node.settings.home) as copy:
            _write_copy(session, copy)  # the session's first statement: after the lock
    return None


register_init_step("treaty-copy", copy_to_home)


def ensure_loaded(node: Node) -> None:
    """Load the shipped treaty data into a prepared node that has none yet (a database made
    before the data was shipped, or by a test), under the node's setup lock."""
    with node.unit_of_work() as session:
        if not store.is_empty(session):
            return
    node.initialise()


def current_data(node: Node) -> TreatyData:
    with node.unit_of_work() as session:
        return store.load(session)


# --- queries ---------------------------------------------------------------------------------


def status(node: Node, on: date | None = None) -> StatusReport:
    """The Convention's status on ``on`` (default: the node's today)."""
    return status_report(current_data(node), today(node.clock), on)


def participant(node: Node, code: str, on: date | None = None) -> ParticipantReport:
    """One participant's actions, declarations and standing."""
    return participant_report(current_data(node), code, today(node.clock), on)


def applies(node: Node, a: str, b: str, on: date | None = None) -> ApplicabilityReport:
    """Whether the Convention binds both ``a`` and ``b`` on ``on``, with the reasons."""
    return applicability_report(current_data(node), a, b, today(node.clock), on)


def treaty_status(node: Node) -> tuple[TreatyStatus, TreatyData]:
    """The computed status and the data behind it (for charts)."""
    data = current_data(node)
    return TreatyStatus(data.actions, data.declarations), data


# --- import and export -----------------------------------------------------------------------


def read_import_file(path: Path) -> bytes:
    """The bytes of an import file, or an :class:`InputError` that says what is wrong."""
    return inputs.read_input(path, "treaty status file", limit=MAX_IMPORT_BYTES)


def _decode_csv(content: bytes, name: str) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise FileFormatError(
            f"{name} line {line}: not UTF-8 text (save the file as UTF-8)"
        ) from None


@contextmanager
def _changing(node: Node) -> Iterator[treaty_file.CopyWriter | None]:
    """Around a change of the treaty data: the home's copy is removed and, once the change
    committed, written anew by the caller (``None``: the database is not the home's, no copy is
    kept). A change refused rolls back, and the copy of the unchanged tables is written again."""
    if not treaty_file.kept_for(node.settings):
        yield None
        return
    with treaty_file.changing(node.settings.home) as copy:
        try:
            yield copy
        except HanoixError:
            with node.unit_of_work() as session:
                _write_copy(session, copy)
            raise


def import_bytes(
    node: Node,
    content: bytes,
    fmt: ImportFormat,
    *,
    name: str,
    replace_all: bool = False,
    as_of: date | None = None,
    names: Mapping[str, str] | None = None,
) -> ImportSummary:
    """Import treaty data from ``content`` (read from the file ``name``), all or nothing.

    ``names`` maps participant names of the depositary's XML that this node does not know to
    their codes (``{"Türkiye": "TUR"}``); a name still unknown stops the import, naming it.
    """
    # The file formats load only here and in export: reading the status needs neither.
    from hanoix.treaty.csv_format import parse_csv
    from hanoix.treaty.un_xml import SOURCE_LABEL, name_map, parse_un_xml_document

    if fmt is ImportFormat.CSV:
        if names:
            raise InputError("--map applies to the depositary's XML (un-xml), not to a CSV")
        actions, declarations = parse_csv(_decode_csv(content, name), source_name=name)
    else:
        try:
            mapped = name_map(names or {})
        except UnknownStateError as exc:
            raise InputError(f"--map: {exc.message}") from None
        actions, declarations = parse_un_xml_document(content, source_name=name, names=mapped)
    read = len(actions) + len(declarations)
    now = node.clock.now()
    with _changing(node) as copy:
        with node.unit_of_work() as session:
            old = store.load(session)
            new, mode = _merge(old, actions, declarations, fmt, replace_all, name)
            validate(new.actions, new.declarations)
            if fmt is ImportFormat.UN_XML or replace_all:
                info = DatasetInfo(
                    source=SOURCE_LABEL if fmt is ImportFormat.UN_XML else name,
                    as_of=as_of or now.date(),
                    format=fmt.value,
                    imported_at=now,
                    imported_from=name,
                    gaps=None,
                )
            else:
                info = replace(
                    old.info, as_of=as_of or old.info.as_of, imported_at=now, imported_from=name
                )
            new = replace(new, info=info)
            store.replace(session, new, mode=mode)
        if copy is not None:  # after the commit, what the database now holds
            with node.unit_of_work() as session:
                _write_copy(session, copy)
    old_keys = {a.key for a in old.actions} | {d.key for d in old.declarations}
    new_keys = {a.key for a in new.actions} | {d.key for d in new.declarations}
    return ImportSummary(
        file=name,
        format=fmt,
        mode=mode,
        read=read,
        added=len(new_keys - old_keys),
        removed=len(old_keys - new_keys),
        unchanged=len(old_keys & new_keys),
        actions=len(new.actions),
        declarations=len(new.declarations),
        as_of=info.as_of,
    )


def _merge(
    old: TreatyData,
    actions: list[TreatyAction],
    declarations: list[Declaration],
    fmt: ImportFormat,
    replace_all: bool,
    name: str,
) -> tuple[TreatyData, str]:
    if replace_all:
        return TreatyData(tuple(actions), tuple(declarations), old.info), "replace"
    if fmt is ImportFormat.UN_XML:
        kept = tuple(a for a in old.actions if a.kind not in _TABLE_KINDS)
        # Statements read from the depositary's sections join those stored (merged by key).
        known_statements = {d.key for d in old.declarations}
        new_statements = tuple(d for d in declarations if d.key not in known_statements)
        merged = (*old.declarations, *new_statements)
        return TreatyData((*actions, *kept), merged, old.info), "replace-table"
    known = {a.key for a in old.actions}
    known_declarations = {d.key for d in old.declarations}
    added = tuple(a for a in actions if a.key not in known)
    added_declarations = tuple(d for d in declarations if d.key not in known_declarations)
    if len(added) + len(added_declarations) < len(actions) + len(declarations):
        # Identical rows already stored are known facts; but a row twice in the file is an error.
        _refuse_repeats(actions, declarations, name)
    return (
        TreatyData((*old.actions, *added), (*old.declarations, *added_declarations), old.info),
        "merge",
    )


def _refuse_repeats(
    actions: list[TreatyAction], declarations: list[Declaration], name: str
) -> None:
    seen: dict[tuple[object, ...], str | None] = {}
    keyed: list[tuple[tuple[object, ...], str | None]] = [(a.key, a.origin) for a in actions]
    keyed += [(d.key, d.origin) for d in declarations]
    for key, origin in keyed:
        if key in seen:
            raise ConflictError(
                f"{origin or name}: duplicate of {seen[key] or 'an earlier row'} "
                f"({key[0]} {key[1]} on {key[2]})"
            )
        seen[key] = origin


def import_file(
    node: Node,
    path: Path,
    fmt: ImportFormat,
    *,
    replace_all: bool = False,
    as_of: date | None = None,
    names: Mapping[str, str] | None = None,
) -> ImportSummary:
    """Read ``path`` and import it (see :func:`import_bytes`)."""
    return import_bytes(
        node,
        read_import_file(path),
        fmt,
        name=path.name,
        replace_all=replace_all,
        as_of=as_of,
        names=names,
    )


def export(node: Node, fmt: ExportFormat) -> str:
    """The stored treaty data as CSV (the import format) or JSON (with the dataset facts)."""
    data = current_data(node)
    if fmt is ExportFormat.CSV:
        from hanoix.treaty.csv_format import format_csv

        return format_csv(data.actions, data.declarations)
    document = {
        "dataset": data.info.as_dict(),
        "actions": [a.as_dict() for a in data.actions],
        "declarations": [d.as_dict() for d in data.declarations],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
