"""The node's treaty data as a file in its home, so that a command that only validates a document
(``hanoix request validate FILE``) reads it without opening the database (issue 13).

The database stays the record; ``HOME/treaty-data.json`` is a copy of its treaty tables that
only the processes which change them write, kept true by one rule: a writer holds
``HOME/treaty-data.lock`` exclusively from before its transaction until after it, removes the
copy before changing the tables and writes the new one only once its transaction committed
(:func:`changing`). A writer that fails or dies between the two leaves no copy, never a stale
one; a reader (:func:`read`) holds the lock shared, so it never sees a copy that a writer is
about to replace. No copy means "ask the database". The copy serves the home's own SQLite
database only: a database named by ``HANOIX_DATABASE_URL`` may be shared with machines whose
imports this home never sees.

Each action and declaration is written with the columns of its row in the database
(:mod:`hanoix.store.treaty` maps rows through the same functions), so the data read back is the
data the database holds. Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hanoix.convention.notifications import NotificationForm, NotificationKind
from hanoix.convention.refs import Art
from hanoix.store.files import atomic_file
from hanoix.treaty.actions import ActionKind, Declaration, SourceBasis, TreatyAction
from hanoix.treaty.dataset import DatasetInfo, TreatyData

if TYPE_CHECKING:
    from hanoix.config import Settings

COPY_NAME = "treaty-data.json"
LOCK_NAME = "treaty-data.lock"
#: The layout of the copy; a copy of another layout is not read (the database answers). Format 2
#: added the description of the dataset, so that the treaty commands read the copy too.
COPY_FORMAT = 2


def kept_for(settings: Settings) -> bool:
    """Whether the home of ``settings`` keeps the copy: its database is the home's own SQLite
    file (no ``database_url``)."""
    return not settings.database_url


def action_columns(action: TreatyAction) -> dict[str, Any]:
    """The columns of ``action``'s row (``treaty_actions``)."""
    return {
        "participant": action.participant,
        "kind": action.kind.value,
        "action_date": action.date,
        "basis": action.basis.value if action.basis else None,
        "source": action.source,
    }


def action_from(columns: Mapping[str, Any]) -> TreatyAction:
    """The action a row of ``treaty_actions`` holds."""
    return TreatyAction(
        participant=columns["participant"],
        kind=ActionKind(columns["kind"]),
        date=columns["action_date"],
        basis=SourceBasis(columns["basis"]) if columns["basis"] else None,
        source=columns["source"],
    )


def declaration_columns(declaration: Declaration) -> dict[str, Any]:
    """The columns of ``declaration``'s row (``treaty_declarations``)."""
    return {
        "participant": declaration.participant,
        "kind": declaration.kind.value,
        "declaration_date": declaration.date,
        "text": declaration.text,
        "basis": declaration.basis.value if declaration.basis else None,
        "source": declaration.source,
        "form": declaration.form.value if declaration.form else None,
        "article": str(declaration.art) if declaration.art else None,
    }


def declaration_from(columns: Mapping[str, Any]) -> Declaration:
    """The declaration a row of ``treaty_declarations`` holds."""
    return Declaration(
        participant=columns["participant"],
        kind=NotificationKind(columns["kind"]),
        date=columns["declaration_date"],
        text=columns["text"],
        basis=SourceBasis(columns["basis"]) if columns["basis"] else None,
        source=columns["source"],
        form=NotificationForm(columns["form"]) if columns["form"] else None,
        art=Art.parse(columns["article"]) if columns["article"] else None,
    )


@contextlib.contextmanager
def _locked(home: Path, mode: int) -> Iterator[None]:
    with (home / LOCK_NAME).open("a") as lock_file:
        fcntl.flock(lock_file, mode)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


class CopyWriter:
    """What :func:`changing` hands its caller: :meth:`write` once the transaction committed."""

    def __init__(self, home: Path) -> None:
        self._path = home / COPY_NAME

    def write(self, data: TreatyData) -> None:
        """Write the copy of what the database now holds (call after the commit)."""
        document = {
            "format": COPY_FORMAT,
            "actions": [_dated(action_columns(a), "action_date") for a in data.actions],
            "declarations": [
                _dated(declaration_columns(d), "declaration_date") for d in data.declarations
            ],
            "dataset": _dataset_columns(data.info),
        }
        with atomic_file(self._path, overwrite=True) as out:
            out.write(json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def _dated(columns: dict[str, Any], name: str) -> dict[str, Any]:
    return columns | {name: columns[name].isoformat()}


def _dataset_columns(info: DatasetInfo) -> dict[str, Any]:
    return {
        "source": info.source,
        "as_of": info.as_of.isoformat() if info.as_of else None,
        "format": info.format,
        "imported_at": info.imported_at.isoformat() if info.imported_at else None,
        "imported_from": info.imported_from,
        "gaps": info.gaps,
    }


def _dataset_from(columns: Mapping[str, Any]) -> DatasetInfo:
    return DatasetInfo(
        source=columns["source"],
        as_of=date.fromisoformat(columns["as_of"]) if columns["as_of"] else None,
        format=columns["format"],
        imported_at=(
            datetime.fromisoformat(columns["imported_at"]) if columns["imported_at"] else None
        ),
        imported_from=columns["imported_from"],
        gaps=columns["gaps"],
    )


@contextlib.contextmanager
def changing(home: Path) -> Iterator[CopyWriter]:
    """Around a transaction that changes the treaty tables of the home's database: the copy is
    removed first; the caller writes the new one after its commit, still inside the block."""
    home.mkdir(parents=True, exist_ok=True)
    with _locked(home, fcntl.LOCK_EX):
        (home / COPY_NAME).unlink(missing_ok=True)
        yield CopyWriter(home)


def remove(home: Path) -> None:
    """Remove the copy (a change of the tables follows, whose writer writes the next one)."""
    if home.is_dir():
        with _locked(home, fcntl.LOCK_EX):
            (home / COPY_NAME).unlink(missing_ok=True)


def read(home: Path) -> TreatyData | None:
    """The treaty data the home's database holds (actions, declarations and the description of
    the dataset), from its copy; ``None`` when there is no copy (or none this version wrote):
    then only the database can tell."""
    path = home / COPY_NAME
    if not path.is_file():
        return None
    try:
        with _locked(home, fcntl.LOCK_SH):
            document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        # Removed by a writer between the look and the lock, not readable by this user, or
        # not JSON: the database answers.
        return None
    if not isinstance(document, dict) or document.get("format") != COPY_FORMAT:
        return None
    actions = tuple(
        action_from(columns | {"action_date": date.fromisoformat(columns["action_date"])})
        for columns in document["actions"]
    )
    declarations = tuple(
        declaration_from(
            columns | {"declaration_date": date.fromisoformat(columns["declaration_date"])}
        )
        for columns in document["declarations"]
    )
    return TreatyData(actions, declarations, _dataset_from(document["dataset"]))
