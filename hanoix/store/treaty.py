"""Tables of the treaty status: actions, declarations, and the history of imported datasets.

Dates of treaty acts are calendar dates (the depositary's), stored as SQL ``DATE``; the import
time is a UTC timestamp. Rows are mapped to and from the core's dataclasses here: no ORM object
leaves this module. Nothing here commits; the caller's unit of work does.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hanoix.store.db import Base, UTCDateTime
from hanoix.store.treaty_file import (
    action_columns,
    action_from,
    declaration_columns,
    declaration_from,
)
from hanoix.treaty.dataset import DatasetInfo, TreatyData

#: The columns of each row that hold the act (the row's id only orders them).
ACTION_COLUMNS = ("participant", "kind", "action_date", "basis", "source")
DECLARATION_COLUMNS = (
    "participant",
    "kind",
    "declaration_date",
    "text",
    "basis",
    "source",
    "form",
    "article",
)


class TreatyActionRow(Base):
    __tablename__ = "treaty_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant: Mapped[str] = mapped_column(String(8), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    action_date: Mapped[date] = mapped_column(Date)
    basis: Mapped[str | None] = mapped_column(String(20), nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)


class TreatyDeclarationRow(Base):
    __tablename__ = "treaty_declarations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant: Mapped[str] = mapped_column(String(8), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    declaration_date: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    basis: Mapped[str | None] = mapped_column(String(20), nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    # As lodged: the form (reservation, declaration, notification) and the article invoked.
    form: Mapped[str | None] = mapped_column(String(20), nullable=True)
    article: Mapped[str | None] = mapped_column(String(40), nullable=True)


class TreatyDatasetRow(Base):
    """One row per import; the latest describes the data in the tables above."""

    __tablename__ = "treaty_datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(Text)
    imported_from: Mapped[str | None] = mapped_column(Text, nullable=True)
    format: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[date | None] = mapped_column(Date, nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    gaps: Mapped[str | None] = mapped_column(Text, nullable=True)
    actions: Mapped[int] = mapped_column(Integer)
    declarations: Mapped[int] = mapped_column(Integer)


def is_empty(session: Session) -> bool:
    """True when no treaty data was ever loaded (no dataset recorded)."""
    return session.scalar(select(func.count()).select_from(TreatyDatasetRow)) == 0


def generation(session: Session) -> tuple[int, int]:
    """A marker that changes whenever the treaty data does: :func:`replace` records a dataset
    row for every import and none is ever deleted, so the count of committed imports (with the
    latest id) moves with each one, whichever process made it. Cheap: for caches."""
    count, latest = session.execute(
        select(func.count(), func.coalesce(func.max(TreatyDatasetRow.id), 0))
    ).one()
    return int(count), int(latest)


def load(session: Session) -> TreatyData:
    """The stored actions, declarations and the description of the latest dataset."""
    actions = tuple(
        action_from({column: getattr(row, column) for column in ACTION_COLUMNS})
        for row in session.scalars(select(TreatyActionRow).order_by(TreatyActionRow.id))
    )
    declarations = tuple(
        declaration_from({column: getattr(row, column) for column in DECLARATION_COLUMNS})
        for row in session.scalars(select(TreatyDeclarationRow).order_by(TreatyDeclarationRow.id))
    )
    latest = session.scalars(
        select(TreatyDatasetRow).order_by(TreatyDatasetRow.id.desc()).limit(1)
    ).first()
    info = (
        DatasetInfo(
            source=latest.source,
            as_of=latest.as_of,
            format=latest.format,
            imported_at=latest.imported_at,
            imported_from=latest.imported_from,
            gaps=latest.gaps,
        )
        if latest
        else DatasetInfo(source="none loaded", as_of=None)
    )
    return TreatyData(actions, declarations, info)


def replace(session: Session, data: TreatyData, *, mode: str) -> None:
    """Make ``data`` the stored treaty data and record the import, in the caller's transaction."""
    if data.info.imported_at is None:
        raise ValueError("record the import time: DatasetInfo.imported_at is required")
    session.execute(delete(TreatyActionRow))
    session.execute(delete(TreatyDeclarationRow))
    session.add_all(TreatyActionRow(**action_columns(a)) for a in data.actions)
    session.add_all(TreatyDeclarationRow(**declaration_columns(d)) for d in data.declarations)
    session.add(
        TreatyDatasetRow(
            source=data.info.source,
            imported_from=data.info.imported_from,
            format=data.info.format,
            mode=mode,
            as_of=data.info.as_of,
            imported_at=data.info.imported_at,
            gaps=data.info.gaps,
            actions=len(data.actions),
            declarations=len(data.declarations),
        )
    )
    session.flush()


def history(session: Session) -> list[dict[str, object]]:
    """Every import, newest first."""
    return [
        {
            "source": row.source,
            "imported_from": row.imported_from,
            "format": row.format,
            "mode": row.mode,
            "as_of": row.as_of.isoformat() if row.as_of else None,
            "imported_at": row.imported_at.isoformat(),
            "actions": row.actions,
            "declarations": row.declarations,
        }
        for row in session.scalars(select(TreatyDatasetRow).order_by(TreatyDatasetRow.id.desc()))
    ]
