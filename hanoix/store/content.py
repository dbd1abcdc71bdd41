"""Tables of removal cases and their hash lists (``hanoix.content``; docs/content.md).

A case row holds the article, the victim's pseudonymous reference (never a name: Art. 36), the
authority, the consent given, and who opened it when. A hash row holds one signal of one piece
of content (SHA-256, MD5 or PDQ, hex) in one list: never the content itself. Rows are mapped to
and from the core's values here; nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from hanoix.content.cases import (
    CaseArticle,
    Consent,
    HashEntry,
    NewCase,
    RemovalCase,
    case_reference,
)
from hanoix.content.signals import PDQ, VPDQ
from hanoix.content.video import VideoFrame
from hanoix.store.db import Base, UTCDateTime


class ContentCaseRow(Base):
    __tablename__ = "content_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article: Mapped[int] = mapped_column(Integer)
    victim_ref: Mapped[str] = mapped_column(String(64))
    authority: Mapped[str] = mapped_column(String(64), index=True)
    consent: Mapped[str] = mapped_column(String(64))  # the scopes, sorted, comma-separated
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[str] = mapped_column(String(128))


class ContentHashRow(Base):
    __tablename__ = "content_hashes"
    __table_args__ = (
        UniqueConstraint("case_id", "list_name", "signal", "value"),
        Index("ix_content_hashes_signal_value", "signal", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("content_cases.id", ondelete="CASCADE"))
    list_name: Mapped[str] = mapped_column(String(64))
    signal: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContentVideoFrameRow(Base):
    """One frame of a listed video's vPDQ hash (migration ``0021_content_video``): the hash row
    (signal ``vpdq``, value the digest of the frames) it belongs to, the frame's PDQ hash,
    quality, number and time in milliseconds. Never a frame's pixels."""

    __tablename__ = "content_video_frames"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hash_id: Mapped[int] = mapped_column(
        ForeignKey("content_hashes.id", ondelete="CASCADE"), index=True
    )
    frame: Mapped[int] = mapped_column(Integer)
    at_ms: Mapped[int] = mapped_column(Integer)
    pdq: Mapped[str] = mapped_column(String(64))
    quality: Mapped[int] = mapped_column(Integer)


def _case(row: ContentCaseRow, hashes: int) -> RemovalCase:
    return RemovalCase(
        reference=case_reference(row.id),
        article=CaseArticle(row.article),
        victim_ref=row.victim_ref,
        authority=row.authority,
        consent=frozenset(Consent(c) for c in row.consent.split(",") if c),
        opened_at=row.opened_at,
        opened_by=row.opened_by,
        hashes=hashes,
    )


def insert_case(
    session: Session, case: NewCase, *, authority: str, opened_by: str, at: datetime
) -> RemovalCase:
    row = ContentCaseRow(
        article=int(case.article),
        victim_ref=case.victim_ref,
        authority=authority,
        consent=",".join(sorted(case.consent)),
        opened_at=at,
        opened_by=opened_by,
    )
    session.add(row)
    session.flush()
    return _case(row, 0)


def find_case(session: Session, number: int) -> RemovalCase | None:
    row = session.get(ContentCaseRow, number)
    if row is None:
        return None
    count = session.scalar(
        select(func.count()).select_from(ContentHashRow).where(ContentHashRow.case_id == number)
    )
    return _case(row, count or 0)


def add_entries(session: Session, number: int, entries: Iterable[HashEntry], at: datetime) -> int:
    """Add ``entries`` to case ``number``; those it already holds are skipped. How many were
    new."""
    existing = {
        (r.list_name, r.signal, r.value)
        for r in session.scalars(select(ContentHashRow).where(ContentHashRow.case_id == number))
    }
    added = 0
    for entry in entries:
        key = (entry.list, entry.signal, entry.value)
        if key in existing:
            continue
        existing.add(key)
        row = ContentHashRow(
            case_id=number,
            list_name=entry.list,
            signal=entry.signal,
            value=entry.value,
            quality=entry.quality,
            added_at=at,
        )
        session.add(row)
        if entry.frames:
            session.flush()  # the row's number, which its frames refer to
            session.add_all(
                ContentVideoFrameRow(
                    hash_id=row.id,
                    frame=f.frame,
                    at_ms=round(f.timestamp * 1000),
                    pdq=f.pdq,
                    quality=f.quality,
                )
                for f in entry.frames
            )
        added += 1
    session.flush()
    return added


def video_entries(session: Session) -> list[HashEntry]:
    """Every vPDQ entry of every list, each with its frames in order."""
    rows = session.execute(
        select(
            ContentHashRow.id,
            ContentHashRow.case_id,
            ContentHashRow.list_name,
            ContentHashRow.value,
            ContentVideoFrameRow.pdq,
            ContentVideoFrameRow.quality,
            ContentVideoFrameRow.frame,
            ContentVideoFrameRow.at_ms,
        )
        .join(ContentVideoFrameRow, ContentVideoFrameRow.hash_id == ContentHashRow.id)
        .where(ContentHashRow.signal == VPDQ)
        .order_by(ContentHashRow.id, ContentVideoFrameRow.frame)
    )
    heads: dict[int, tuple[int, str, str]] = {}
    frames: dict[int, list[VideoFrame]] = {}
    for hash_id, case_id, list_name, value, pdq, quality, frame, at_ms in rows:
        heads.setdefault(hash_id, (case_id, list_name, value))
        frames.setdefault(hash_id, []).append(VideoFrame(pdq, quality, frame, at_ms / 1000))
    return [
        HashEntry(case_reference(case_id), list_name, VPDQ, value, frames=tuple(frames[hash_id]))
        for hash_id, (case_id, list_name, value) in heads.items()
    ]


def _entries(session: Session, *criteria: ColumnElement[bool]) -> list[HashEntry]:
    rows = session.execute(
        select(
            ContentHashRow.case_id,
            ContentHashRow.list_name,
            ContentHashRow.signal,
            ContentHashRow.value,
            ContentHashRow.quality,
        ).where(*criteria)
    )
    return [
        HashEntry(case_reference(case_id), list_name, signal, value, quality)
        for case_id, list_name, signal, value, quality in rows
    ]


def exact_entries(session: Session, digests: Iterable[tuple[str, str]]) -> list[HashEntry]:
    """The entries holding any of ``digests`` ((signal, value) pairs), found by the index."""
    found: list[HashEntry] = []
    for signal, value in digests:
        found.extend(
            _entries(session, ContentHashRow.signal == signal, ContentHashRow.value == value)
        )
    return found


def pdq_entries(session: Session) -> list[HashEntry]:
    """Every PDQ entry of every list."""
    return _entries(session, ContentHashRow.signal == PDQ)


def pdq_generation(session: Session) -> tuple[int, int]:
    """How many PDQ entries there are and the highest row number among them: what a process
    compares to tell whether its index of them is current (rows are only ever added or
    removed, so an unchanged pair is an unchanged set, and a count grown by exactly the rows
    above the last highest is an append)."""
    count, highest = session.execute(
        select(func.count(), func.coalesce(func.max(ContentHashRow.id), 0)).where(
            ContentHashRow.signal == PDQ
        )
    ).one()
    return int(count), int(highest)


def pdq_entries_after(session: Session, row: int) -> list[tuple[int, HashEntry]]:
    """The PDQ entries of rows above ``row``, by row number, each with its row number."""
    rows = session.execute(
        select(
            ContentHashRow.id,
            ContentHashRow.case_id,
            ContentHashRow.list_name,
            ContentHashRow.signal,
            ContentHashRow.value,
            ContentHashRow.quality,
        )
        .where(ContentHashRow.signal == PDQ, ContentHashRow.id > row)
        .order_by(ContentHashRow.id)
    )
    return [
        (number, HashEntry(case_reference(case_id), list_name, signal, value, quality))
        for number, case_id, list_name, signal, value, quality in rows
    ]
