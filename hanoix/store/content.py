"""Tables of removal cases and their hash lists (``hanoix.content``; docs/content.md).

A case row holds the article, the victim's pseudonymous reference (never a name: Art. 36), the
authority, the consent given, and who opened it when. A hash row holds one signal of one piece
of content (SHA-256, MD5 or PDQ, hex) in one list: never the content itself. Rows are mapped to
and from the core's values here; nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from hanoix.content.cases import (
    CaseArticle,
    Consent,
    HashEntry,
    NewCase,
    RemovalCase,
    case_reference,
)
from hanoix.content.lists import (
    SIGNAL_HEX,
    HashList,
    ListedHash,
    WithdrawalReason,
    WithdrawnHash,
    may_share,
)
from hanoix.content.signals import PDQ, PDQ_BITS, VPDQ
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
    # A PDQ entry's cropped windows' hashes, one after the other (migration 0026).
    crops: Mapped[str | None] = mapped_column(Text, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Withdrawn (a mistake, a court order, the victim's withdrawal): kept, never matched.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)


class ContentListRow(Base):
    """A list imported from another node: whose, which serial, signed with which key."""

    __tablename__ = "content_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    origin: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(3))
    authority: Mapped[str] = mapped_column(String(64))
    serial: Mapped[int] = mapped_column(Integer)  # 0: known only by a withdrawal so far
    issued: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContentListEntryRow(Base):
    """One entry of an imported list: the hash, its article, since when; withdrawn or not."""

    __tablename__ = "content_list_entries"
    __table_args__ = (
        UniqueConstraint("list_id", "signal", "value"),
        Index("ix_content_list_entries_signal_value", "signal", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("content_lists.id", ondelete="CASCADE"))
    signal: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    crops: Mapped[str | None] = mapped_column(Text, nullable=True)
    article: Mapped[int] = mapped_column(Integer)
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)


class ContentListShareRow(Base):
    """A node this node's list of an authority was published to, and the last serial sent:
    withdrawals go to every one of them."""

    __tablename__ = "content_list_shares"
    __table_args__ = (UniqueConstraint("list_name", "recipient"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_name: Mapped[str] = mapped_column(String(80), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(3))
    serial: Mapped[int] = mapped_column(Integer)
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime())


class _FrameColumns:
    """A hashed frame of a video: its number, time in milliseconds, PDQ hash and quality."""

    frame: Mapped[int] = mapped_column(Integer)
    at_ms: Mapped[int] = mapped_column(Integer)
    pdq: Mapped[str] = mapped_column(String(64))
    quality: Mapped[int] = mapped_column(Integer)


class ContentVideoFrameRow(_FrameColumns, Base):
    """One frame of a listed video's vPDQ hash (migration ``0021_content_video``): the hash row
    (signal ``vpdq``, value the digest of the frames) it belongs to, the frame's PDQ hash,
    quality, number and time in milliseconds. Never a frame's pixels."""

    __tablename__ = "content_video_frames"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hash_id: Mapped[int] = mapped_column(
        ForeignKey("content_hashes.id", ondelete="CASCADE"), index=True
    )


class ContentListVideoFrameRow(_FrameColumns, Base):
    """One frame of a video's vPDQ entry in an imported list (migration ``0027_lists``): the
    entry, the frame's number in the list's order, its time in milliseconds, PDQ hash and
    quality."""

    __tablename__ = "content_list_video_frames"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("content_list_entries.id", ondelete="CASCADE"), index=True
    )


class ContentListPartRow(Base):
    """A part of a list in parts, received and verified, waiting for the others of its serial
    (migration ``0027_lists``): the signed part document as it came."""

    __tablename__ = "content_list_parts"
    __table_args__ = (UniqueConstraint("name", "serial", "part"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80))
    origin: Mapped[str] = mapped_column(String(200))
    serial: Mapped[int] = mapped_column(Integer)
    part: Mapped[int] = mapped_column(Integer)
    parts: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _joined(crops: tuple[str, ...]) -> str | None:
    return "".join(crops) or None


def _split(crops: str | None) -> tuple[str, ...]:
    width = PDQ_BITS // 4
    return tuple(crops[i : i + width] for i in range(0, len(crops), width)) if crops else ()


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
            crops=_joined(entry.crops),
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


def _videos(rows: Iterable[Any]) -> list[tuple[tuple[Any, ...], tuple[VideoFrame, ...]]]:
    """Rows of (row number, its head..., pdq, quality, frame, at_ms), in order, as one
    (head, frames) per video."""
    heads: dict[int, tuple[Any, ...]] = {}
    frames: dict[int, list[VideoFrame]] = {}
    for number, *head, pdq, quality, frame, at_ms in rows:
        heads.setdefault(number, tuple(head))
        frames.setdefault(number, []).append(VideoFrame(pdq, quality, frame, at_ms / 1000))
    return [(head, tuple(frames[number])) for number, head in heads.items()]


def _frame_columns(table: type[_FrameColumns]) -> tuple[Any, ...]:
    return (table.pdq, table.quality, table.frame, table.at_ms)


def video_entries(session: Session) -> list[HashEntry]:
    """Every vPDQ entry in force, of this node's cases and of the imported lists, each with
    its frames in order."""
    own = session.execute(
        select(
            ContentHashRow.id,
            ContentHashRow.case_id,
            ContentHashRow.list_name,
            ContentHashRow.value,
            *_frame_columns(ContentVideoFrameRow),
        )
        .join(ContentVideoFrameRow, ContentVideoFrameRow.hash_id == ContentHashRow.id)
        .where(ContentHashRow.signal == VPDQ, ContentHashRow.withdrawn_at.is_(None))
        .order_by(ContentHashRow.id, ContentVideoFrameRow.frame)
    )
    found = [
        HashEntry(case_reference(case_id), list_name, VPDQ, value, frames=frames)
        for (case_id, list_name, value), frames in _videos(own)
    ]
    imported = session.execute(
        select(
            ContentListEntryRow.id,
            ContentListRow.name,
            ContentListRow.origin,
            ContentListEntryRow.value,
            *_frame_columns(ContentListVideoFrameRow),
        )
        .join(ContentListRow, ContentListRow.id == ContentListEntryRow.list_id)
        .join(ContentListVideoFrameRow, ContentListVideoFrameRow.entry_id == ContentListEntryRow.id)
        .where(ContentListEntryRow.signal == VPDQ, ContentListEntryRow.withdrawn_at.is_(None))
        .order_by(ContentListEntryRow.id, ContentListVideoFrameRow.frame)
    )
    found.extend(
        HashEntry(None, name, VPDQ, value, origin=origin, frames=frames)
        for (name, origin, value), frames in _videos(imported)
    )
    return found


def _in_force(
    session: Session, table: type[ContentHashRow] | type[ContentListEntryRow], signal: str
) -> tuple[int, int, int, int]:
    """How many rows of ``signal`` in force ``table`` holds, the highest row number, their
    sum (a row withdrawn and another added changes the sum) and how many carry cropped
    windows (a newer serial may bring an entry's windows)."""
    count, highest, total, cropped = session.execute(
        select(
            func.count(),
            func.coalesce(func.max(table.id), 0),
            func.coalesce(func.sum(table.id), 0),
            func.count(table.crops),
        ).where(table.signal == signal, table.withdrawn_at.is_(None))
    ).one()
    return int(count), int(highest), int(total), int(cropped)


def video_generation(session: Session) -> tuple[int, ...]:
    """What a process compares to tell whether its index of listed videos is current: for this
    node's cases and for the imported lists, the count, highest and sum of the vPDQ rows in
    force (any change rebuilds it)."""
    return _in_force(session, ContentHashRow, VPDQ) + _in_force(session, ContentListEntryRow, VPDQ)


def _entries(session: Session, signal: str, value: str | None = None) -> list[HashEntry]:
    """The entries in force (not withdrawn) of ``signal`` (and ``value``), of this node's
    cases and of every imported list."""
    local = select(
        ContentHashRow.case_id,
        ContentHashRow.list_name,
        ContentHashRow.signal,
        ContentHashRow.value,
        ContentHashRow.quality,
        ContentHashRow.crops,
    ).where(ContentHashRow.signal == signal, ContentHashRow.withdrawn_at.is_(None))
    imported = (
        select(
            ContentListRow.name,
            ContentListRow.origin,
            ContentListEntryRow.signal,
            ContentListEntryRow.value,
            ContentListEntryRow.quality,
            ContentListEntryRow.crops,
        )
        .join(ContentListRow, ContentListRow.id == ContentListEntryRow.list_id)
        .where(ContentListEntryRow.signal == signal, ContentListEntryRow.withdrawn_at.is_(None))
    )
    if value is not None:
        local = local.where(ContentHashRow.value == value)
        imported = imported.where(ContentListEntryRow.value == value)
    found = [
        HashEntry(case_reference(case_id), list_name, sig, val, quality, crops=_split(crops))
        for case_id, list_name, sig, val, quality, crops in session.execute(local)
    ]
    found.extend(
        HashEntry(None, name, sig, val, quality, origin, crops=_split(crops))
        for name, origin, sig, val, quality, crops in session.execute(imported)
    )
    return found


def exact_entries(session: Session, digests: Iterable[tuple[str, str]]) -> list[HashEntry]:
    """The entries holding any of ``digests`` ((signal, value) pairs), found by the index."""
    found: list[HashEntry] = []
    for signal, value in digests:
        found.extend(_entries(session, signal, value))
    return found


def pdq_entries(session: Session) -> list[HashEntry]:
    """Every PDQ entry in force of every list (the index reads them by row: ListedPdq)."""
    return _entries(session, PDQ)


# --- lists shared between States (docs/content.md, "Shared lists") ---------------------------


def shareable(session: Session, authority: str) -> tuple[list[ListedHash], list[WithdrawnHash]]:
    """What ``authority``'s list holds: the hashes in force and the hashes withdrawn of its
    cases whose hashes may leave the node (:func:`~hanoix.content.lists.may_share`), each
    hash once. Nothing of a case but its article."""
    # Columns, not objects: a list may hold hundreds of thousands of rows.
    rows = session.execute(
        select(
            ContentHashRow.id,
            ContentHashRow.signal,
            ContentHashRow.value,
            ContentHashRow.quality,
            ContentHashRow.crops,
            ContentHashRow.added_at,
            ContentHashRow.withdrawn_at,
            ContentHashRow.withdrawn_reason,
            ContentCaseRow.article,
            ContentCaseRow.consent,
        )
        .join(ContentCaseRow, ContentCaseRow.id == ContentHashRow.case_id)
        .where(ContentCaseRow.authority == authority)
        .order_by(ContentHashRow.id)
    ).all()
    listed: dict[tuple[str, str], ListedHash] = {}
    withdrawn: dict[tuple[str, str], WithdrawnHash] = {}
    frame_rows = session.execute(
        select(
            ContentVideoFrameRow.hash_id,
            ContentVideoFrameRow.hash_id,
            *_frame_columns(ContentVideoFrameRow),
        )
        .join(ContentHashRow, ContentHashRow.id == ContentVideoFrameRow.hash_id)
        .join(ContentCaseRow, ContentCaseRow.id == ContentHashRow.case_id)
        .where(ContentCaseRow.authority == authority, ContentHashRow.withdrawn_at.is_(None))
        .order_by(ContentVideoFrameRow.hash_id, ContentVideoFrameRow.frame)
    )
    videos = {hash_id: frames for (hash_id,), frames in _videos(frame_rows)}
    for row in rows:
        article, consent = row.article, row.consent
        if row.signal not in SIGNAL_HEX or not may_share(CaseArticle(article), consent.split(",")):
            continue
        key = (row.signal, row.value)
        if row.withdrawn_at is None:
            frames = tuple(videos.get(row.id, ()))
            if row.signal == VPDQ and not frames:
                continue  # a video listed without its frames cannot be matched elsewhere
            listed.setdefault(
                key,
                ListedHash(
                    row.signal,
                    row.value,
                    row.quality,
                    article,
                    row.added_at,
                    frames,
                    _split(row.crops),
                ),
            )
        else:
            withdrawn.setdefault(
                key,
                WithdrawnHash(
                    row.signal,
                    row.value,
                    row.withdrawn_at,
                    WithdrawalReason(row.withdrawn_reason or WithdrawalReason.MISTAKE),
                ),
            )
    # A hash still in force in another case of the authority stays listed.
    return list(listed.values()), [w for k, w in withdrawn.items() if k not in listed]


def next_serial(session: Session, name: str) -> int:
    held = session.scalar(
        select(func.max(ContentListShareRow.serial)).where(ContentListShareRow.list_name == name)
    )
    return (held or 0) + 1


def record_share(
    session: Session, name: str, recipient: str, state: str, serial: int, at: datetime
) -> None:
    row = session.scalar(
        select(ContentListShareRow).where(
            ContentListShareRow.list_name == name, ContentListShareRow.recipient == recipient
        )
    )
    if row is None:
        session.add(
            ContentListShareRow(
                list_name=name, recipient=recipient, state=state, serial=serial, shared_at=at
            )
        )
    else:
        row.serial, row.shared_at = serial, at
    session.flush()


@dataclass(frozen=True)
class Share:
    recipient: str
    state: str
    serial: int
    shared_at: datetime


def shares(session: Session, name: str) -> list[Share]:
    """The nodes ``name`` (this node's list of an authority) was published to."""
    return [
        Share(r.recipient, r.state, r.serial, r.shared_at)
        for r in session.scalars(
            select(ContentListShareRow)
            .where(ContentListShareRow.list_name == name)
            .order_by(ContentListShareRow.recipient)
        )
    ]


def withdraw_local(
    session: Session, authority: str, value: str, reason: WithdrawalReason, at: datetime
) -> list[tuple[str, str, str]]:
    """Withdraw every entry in force of ``authority``'s cases whose value is ``value`` (any
    signal: a SHA-256 and a PDQ hash are both 64 hex digits). Each as (case, signal, value)."""
    rows = session.scalars(
        select(ContentHashRow)
        .join(ContentCaseRow, ContentCaseRow.id == ContentHashRow.case_id)
        .where(
            ContentCaseRow.authority == authority,
            ContentHashRow.value == value,
            ContentHashRow.withdrawn_at.is_(None),
        )
    ).all()
    for row in rows:
        row.withdrawn_at, row.withdrawn_reason = at, reason.value
    session.flush()
    return [(case_reference(r.case_id), r.signal, r.value) for r in rows]


def withdraw_imported(
    session: Session, value: str, reason: WithdrawalReason, at: datetime
) -> list[tuple[str, str, str]]:
    """Withdraw, on this node only, every imported entry in force of ``value``. Each as
    (list, signal, value)."""
    rows = session.execute(
        select(ContentListEntryRow, ContentListRow.name)
        .join(ContentListRow, ContentListRow.id == ContentListEntryRow.list_id)
        .where(ContentListEntryRow.value == value, ContentListEntryRow.withdrawn_at.is_(None))
    ).all()
    for row, _ in rows:
        row.withdrawn_at, row.withdrawn_reason = at, reason.value
    session.flush()
    return [(name, row.signal, row.value) for row, name in rows]


@dataclass(frozen=True)
class HeldList:
    """An imported list as held: whose, which serial, how many entries in force."""

    name: str
    origin: str
    state: str
    authority: str
    serial: int
    issued: datetime | None
    key_id: str | None
    imported_at: datetime
    entries: int
    withdrawn: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "list": self.name,
            "origin": self.origin,
            "state": self.state,
            "authority": self.authority,
            "serial": self.serial,
            "issued": self.issued,
            "key_id": self.key_id,
            "imported_at": self.imported_at,
            "entries": self.entries,
            "withdrawn": self.withdrawn,
        }


def _list_row(
    session: Session, name: str, origin: str, state: str, authority: str, at: datetime
) -> ContentListRow:
    row = session.scalar(select(ContentListRow).where(ContentListRow.name == name))
    if row is None:
        row = ContentListRow(
            name=name, origin=origin, state=state, authority=authority, serial=0, imported_at=at
        )
        session.add(row)
        session.flush()
    return row


def _held_entries(session: Session, list_id: int) -> dict[tuple[str, str], ContentListEntryRow]:
    return {
        (e.signal, e.value): e
        for e in session.scalars(
            select(ContentListEntryRow).where(ContentListEntryRow.list_id == list_id)
        )
    }


def held_lists(session: Session) -> list[HeldList]:
    counts = {
        (list_id, withdrawn): count
        for list_id, withdrawn, count in session.execute(
            select(
                ContentListEntryRow.list_id,
                ContentListEntryRow.withdrawn_at.is_not(None),
                func.count(),
            ).group_by(ContentListEntryRow.list_id, ContentListEntryRow.withdrawn_at.is_not(None))
        )
    }
    return [
        HeldList(
            r.name,
            r.origin,
            r.state,
            r.authority,
            r.serial,
            r.issued,
            r.key_id,
            r.imported_at,
            counts.get((r.id, False), 0),
            counts.get((r.id, True), 0),
        )
        for r in session.scalars(select(ContentListRow).order_by(ContentListRow.name))
    ]


def held_origin(session: Session, name: str) -> tuple[str, int] | None:
    """The node that publishes the held list ``name`` and the serial held."""
    row = session.scalar(select(ContentListRow).where(ContentListRow.name == name))
    return None if row is None else (row.origin, row.serial)


@dataclass(frozen=True)
class Imported:
    """What importing a list changed: entries added, withdrawn, and kept withdrawn."""

    added: int
    withdrawn: int
    kept_withdrawn: int


def import_list(
    session: Session,
    hash_list: HashList,
    key_id: str | None,
    at: datetime,
    *,
    name: str | None = None,
) -> Imported:
    """Make the held copy of ``hash_list`` what it says: entries it lists are in force (unless
    withdrawn later than it was issued), entries it withdraws or no longer lists are withdrawn.
    The caller checked the signature and the serial."""
    row = _list_row(
        session, name or hash_list.name, hash_list.origin, hash_list.state, hash_list.authority, at
    )
    row.serial, row.issued, row.key_id, row.imported_at = (
        hash_list.serial,
        hash_list.issued,
        key_id,
        at,
    )
    # Columns, not objects, and one statement for the rows added and one for those changed:
    # a list may hold hundreds of thousands of entries, mostly the same from serial to serial.
    held = {
        (r.signal, r.value): r
        for r in session.execute(
            select(
                ContentListEntryRow.id,
                ContentListEntryRow.signal,
                ContentListEntryRow.value,
                ContentListEntryRow.quality,
                ContentListEntryRow.crops,
                ContentListEntryRow.article,
                ContentListEntryRow.listed_at,
                ContentListEntryRow.withdrawn_at,
            ).where(ContentListEntryRow.list_id == row.id)
        )
    }
    added = withdrawn = kept = 0
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    framed = set(
        session.scalars(
            select(ContentListVideoFrameRow.entry_id)
            .join(ContentListEntryRow, ContentListEntryRow.id == ContentListVideoFrameRow.entry_id)
            .where(ContentListEntryRow.list_id == row.id)
            .distinct()
        )
    )
    frames: dict[tuple[str, str], tuple[VideoFrame, ...]] = {}
    for entry in hash_list.entries:
        found = held.pop(entry.key, None)
        if entry.frames and (found is None or found.id not in framed):
            frames[entry.key] = entry.frames
        if found is None:
            new_rows.append(
                {
                    "list_id": row.id,
                    "signal": entry.signal,
                    "value": entry.value,
                    "quality": entry.quality,
                    "crops": _joined(entry.crops),
                    "article": entry.article,
                    "listed_at": entry.listed,
                }
            )
            added += 1
        elif found.withdrawn_at is not None and found.withdrawn_at >= hash_list.issued:
            kept += 1  # a withdrawal newer than this list: it stands
        elif (found.quality, found.crops, found.article, found.listed_at, found.withdrawn_at) != (
            entry.quality,
            _joined(entry.crops),
            entry.article,
            entry.listed,
            None,
        ):
            if found.withdrawn_at is not None:
                added += 1
            changed.append(
                {
                    "id": found.id,
                    "quality": entry.quality,
                    "crops": _joined(entry.crops),
                    "article": entry.article,
                    "listed_at": entry.listed,
                    "withdrawn_at": None,
                    "withdrawn_reason": None,
                }
            )
    gone = {w.key: w for w in hash_list.withdrawn}
    for key, found in held.items():
        if found.withdrawn_at is None:
            why = gone.get(key)
            changed.append(
                {
                    "id": found.id,
                    "quality": found.quality,
                    "crops": found.crops,
                    "article": found.article,
                    "listed_at": found.listed_at,
                    "withdrawn_at": why.at if why else hash_list.issued,
                    "withdrawn_reason": (why.reason if why else WithdrawalReason.MISTAKE).value,
                }
            )
            withdrawn += 1
    session.flush()
    if new_rows:
        session.execute(insert(ContentListEntryRow), new_rows)
    if changed:
        session.execute(update(ContentListEntryRow), changed)
        # The statement went past the session: entries it holds as objects (a withdrawal
        # handled earlier in this transaction) are read again when next used.
        for held_row in list(session.identity_map.values()):
            if isinstance(held_row, ContentListEntryRow):
                session.expire(held_row)
    session.flush()
    if frames:
        ids = {
            (signal, value): number
            for number, signal, value in session.execute(
                select(
                    ContentListEntryRow.id, ContentListEntryRow.signal, ContentListEntryRow.value
                ).where(ContentListEntryRow.list_id == row.id, ContentListEntryRow.signal == VPDQ)
            )
        }
        session.execute(
            insert(ContentListVideoFrameRow),
            [
                {
                    "entry_id": ids[key],
                    "frame": f.frame,
                    "at_ms": round(f.timestamp * 1000),
                    "pdq": f.pdq,
                    "quality": f.quality,
                }
                for key, video in frames.items()
                for f in video
            ],
        )
    return Imported(added, withdrawn, kept)


# --- parts of a list in parts, until the list is whole -----------------------------------------


def stage_part(
    session: Session,
    name: str,
    origin: str,
    serial: int,
    part: int,
    parts: int,
    document: str,
    at: datetime,
) -> bool:
    """Keep a verified part of list ``name`` serial ``serial``; False when it is held already
    (a part sent again)."""
    held = session.scalar(
        select(ContentListPartRow.id).where(
            ContentListPartRow.name == name,
            ContentListPartRow.serial == serial,
            ContentListPartRow.part == part,
        )
    )
    if held is not None:
        return False
    session.add(
        ContentListPartRow(
            name=name,
            origin=origin,
            serial=serial,
            part=part,
            parts=parts,
            document=document,
            received_at=at,
        )
    )
    session.flush()
    return True


def staged_count(session: Session, name: str, serial: int) -> int:
    """How many parts of ``name`` serial ``serial`` are held (without reading them)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ContentListPartRow)
            .where(ContentListPartRow.name == name, ContentListPartRow.serial == serial)
        )
        or 0
    )


def staged_parts(session: Session, name: str, serial: int) -> list[str]:
    """The documents of the parts of ``name`` serial ``serial`` held, in order."""
    return list(
        session.scalars(
            select(ContentListPartRow.document)
            .where(ContentListPartRow.name == name, ContentListPartRow.serial == serial)
            .order_by(ContentListPartRow.part)
        )
    )


def drop_parts(session: Session, name: str, up_to: int) -> None:
    """Forget the parts of ``name`` of serials up to ``up_to`` (imported, or overtaken)."""
    session.execute(
        delete(ContentListPartRow).where(
            ContentListPartRow.name == name, ContentListPartRow.serial <= up_to
        )
    )


@dataclass(frozen=True)
class PendingList:
    """A list in parts not whole yet: which, the parts held and missing, since when."""

    name: str
    origin: str
    serial: int
    parts: int
    received: tuple[int, ...]
    since: datetime

    def as_dict(self) -> dict[str, Any]:
        missing = sorted(set(range(1, self.parts + 1)) - set(self.received))
        return {
            "list": self.name,
            "origin": self.origin,
            "serial": self.serial,
            "parts": self.parts,
            "received": len(self.received),
            "missing": missing[:100],
            "since": self.since,
        }


def pending_lists(session: Session) -> list[PendingList]:
    """Every list in parts of which some part, not all, has come (not imported)."""
    first: dict[tuple[str, int], PendingList] = {}
    received: dict[tuple[str, int], list[int]] = {}
    for name, origin, serial, part, parts, at in session.execute(
        select(
            ContentListPartRow.name,
            ContentListPartRow.origin,
            ContentListPartRow.serial,
            ContentListPartRow.part,
            ContentListPartRow.parts,
            ContentListPartRow.received_at,
        ).order_by(ContentListPartRow.name, ContentListPartRow.serial, ContentListPartRow.part)
    ):
        key = (name, serial)
        was = first.get(key)
        if was is None:
            first[key] = PendingList(name, origin, serial, parts, (), at)
        elif at < was.since:
            first[key] = replace(was, since=at)
        received.setdefault(key, []).append(part)
    # The parts gathered in lists, each pending list made once (a tuple grown a part at a
    # time was copied as often as the list has parts).
    return [replace(head, received=tuple(received[key])) for key, head in first.items()]


def apply_withdrawal(
    session: Session,
    name: str,
    origin: str,
    state: str,
    authority: str,
    items: Iterable[WithdrawnHash],
    at: datetime,
) -> int:
    """Withdraw ``items`` from the held list ``name``. A hash not held (its list still on its
    way) is kept as withdrawn, so the list arriving later cannot bring it back. How many
    entries in force were withdrawn."""
    row = _list_row(session, name, origin, state, authority, at)
    held = _held_entries(session, row.id)
    count = 0
    for item in items:
        found = held.get(item.key)
        if found is None:
            session.add(
                ContentListEntryRow(
                    list_id=row.id,
                    signal=item.signal,
                    value=item.value,
                    quality=None,
                    article=0,
                    listed_at=item.at,
                    withdrawn_at=item.at,
                    withdrawn_reason=item.reason.value,
                )
            )
        elif found.withdrawn_at is None:
            found.withdrawn_at, found.withdrawn_reason = item.at, item.reason.value
            count += 1
    session.flush()
    return count


def holders(session: Session, authority: str, value: str) -> tuple[bool, list[str]]:
    """Whether a case of ``authority`` lists ``value`` (in force or withdrawn), and the
    imported lists that hold it."""
    own = session.scalar(
        select(func.count())
        .select_from(ContentHashRow)
        .join(ContentCaseRow, ContentCaseRow.id == ContentHashRow.case_id)
        .where(ContentCaseRow.authority == authority, ContentHashRow.value == value)
    )
    names = session.scalars(
        select(ContentListRow.name)
        .join(ContentListEntryRow, ContentListRow.id == ContentListEntryRow.list_id)
        .where(ContentListEntryRow.value == value)
        .distinct()
    ).all()
    return bool(own), sorted(names)


def pdq_generation(session: Session) -> tuple[int, int, tuple[int, ...]]:
    """What a process compares to tell whether its index of the PDQ entries in force is
    current: how many of this node's cases' entries there are and the highest row number among
    them (rows are added, and withdrawn, never brought back: an unchanged pair is an unchanged
    set, and a count grown by exactly the rows above the last highest is an append), and for
    the imported lists what :func:`_in_force` says of their rows (a newer list may withdraw
    some, bring others back or bring windows: any change rebuilds)."""
    count, highest, _, _ = _in_force(session, ContentHashRow, PDQ)
    return count, highest, _in_force(session, ContentListEntryRow, PDQ)


def pdq_entries_after(session: Session, row: int) -> list[tuple[int, HashEntry]]:
    """This node's cases' PDQ entries in force of rows above ``row``, by row number, each with
    its row number."""
    rows = session.execute(
        select(
            ContentHashRow.id,
            ContentHashRow.case_id,
            ContentHashRow.list_name,
            ContentHashRow.signal,
            ContentHashRow.value,
            ContentHashRow.quality,
            ContentHashRow.crops,
        )
        .where(
            ContentHashRow.signal == PDQ,
            ContentHashRow.id > row,
            ContentHashRow.withdrawn_at.is_(None),
        )
        .order_by(ContentHashRow.id)
    )
    return [
        (
            number,
            HashEntry(
                case_reference(case_id), list_name, signal, value, quality, crops=_split(crops)
            ),
        )
        for number, case_id, list_name, signal, value, quality, crops in rows
    ]


def imported_pdq_entries(session: Session) -> list[HashEntry]:
    """The PDQ entries in force of every imported list."""
    rows = session.execute(
        select(
            ContentListRow.name,
            ContentListRow.origin,
            ContentListEntryRow.value,
            ContentListEntryRow.quality,
            ContentListEntryRow.crops,
        )
        .join(ContentListRow, ContentListRow.id == ContentListEntryRow.list_id)
        .where(ContentListEntryRow.signal == PDQ, ContentListEntryRow.withdrawn_at.is_(None))
        .order_by(ContentListEntryRow.id)
    )
    return [
        HashEntry(None, name, PDQ, value, quality, origin, crops=_split(crops))
        for name, origin, value, quality, crops in rows
    ]
