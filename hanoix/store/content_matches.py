"""Tables of the matches a removal case keeps (``hanoix.content.matches``; docs/content.md).

A match row holds when content of a case was matched, by which signals, at what distance, in
which list and by which account: never the media, its name, or anything about whoever uploaded
it. A case keeps its newest :data:`~hanoix.content.matches.KEPT_PER_CASE` rows; a total row
counts every match. Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from hanoix.content.matches import KEPT_PER_CASE, CaseMatch, KeptMatch, MatchHistory
from hanoix.store.db import Base, UTCDateTime


class ContentMatchRow(Base):
    __tablename__ = "content_matches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("content_cases.id", ondelete="CASCADE"), index=True
    )
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    list_name: Mapped[str] = mapped_column(String(64))
    signals: Mapped[str] = mapped_column(String(64))  # sorted, comma-separated
    distance: Mapped[int] = mapped_column(Integer)
    matched_by: Mapped[str] = mapped_column(String(128))
    reopened: Mapped[bool] = mapped_column(Boolean, default=False)


class ContentMatchTotalRow(Base):
    __tablename__ = "content_match_totals"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("content_cases.id", ondelete="CASCADE"), primary_key=True
    )
    total: Mapped[int] = mapped_column(Integer, default=0)


def keep(session: Session, found: CaseMatch, *, by: str, at: datetime, reopened: bool) -> None:
    """Keep ``found`` on its case, count it, and drop the case's rows beyond the newest
    :data:`KEPT_PER_CASE`."""
    number = found.case_number
    session.add(
        ContentMatchRow(
            case_id=number,
            matched_at=at,
            list_name=found.list,
            signals=",".join(found.signals),
            distance=found.distance,
            matched_by=by,
            reopened=reopened,
        )
    )
    # One upsert on both databases, so that two matches of a case's first content at once
    # cannot both insert its count: the row lock (PostgreSQL) or the write lock (SQLite)
    # orders them.
    table = ContentMatchTotalRow.__table__
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(table)
        .values(case_id=number, total=1)
        .on_conflict_do_update(index_elements=["case_id"], set_={"total": table.c.total + 1})
    )
    session.flush()
    oldest_kept = session.scalar(
        select(ContentMatchRow.id)
        .where(ContentMatchRow.case_id == number)
        .order_by(ContentMatchRow.id.desc())
        .offset(KEPT_PER_CASE - 1)
        .limit(1)
    )
    if oldest_kept is not None:
        session.execute(
            delete(ContentMatchRow).where(
                ContentMatchRow.case_id == number, ContentMatchRow.id < oldest_kept
            )
        )


def history(session: Session, case_id: int) -> MatchHistory:
    """Case ``case_id``'s kept matches, the newest first, and its count of all."""
    rows = session.scalars(
        select(ContentMatchRow)
        .where(ContentMatchRow.case_id == case_id)
        .order_by(ContentMatchRow.id.desc())
        .limit(KEPT_PER_CASE)
    )
    kept = tuple(
        KeptMatch(
            at=row.matched_at,
            list=row.list_name,
            signals=tuple(s for s in row.signals.split(",") if s),
            distance=row.distance,
            by=row.matched_by,
            reopened=row.reopened,
        )
        for row in rows
    )
    total = session.scalar(
        select(ContentMatchTotalRow.total).where(ContentMatchTotalRow.case_id == case_id)
    )
    return MatchHistory(total or 0, kept)
