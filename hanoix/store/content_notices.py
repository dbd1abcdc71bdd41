"""Tables of removal notices, of a case's links to cooperation requests and of its preserved
evidence (``hanoix.content``; docs/content.md).

A notice row holds who was asked (a provider or a State), the legal basis cited, the SHA-256
digests of the content asked about, the deadline, and where the notice stands. A link row ties
a removal case to a cooperation request's reference. A preserved row names the sealed evidence
package (a blob, encrypted) that keeps a case's media: never the media in the clear. Nothing
here commits: the caller's unit of work does.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hanoix.content.cases import Consent, RemovalCase, case_reference
from hanoix.content.notices import (
    NewNotice,
    NoticeState,
    RecipientKind,
    RemovalNotice,
    notice_reference,
)
from hanoix.store.db import Base, UTCDateTime


class ContentNoticeRow(Base):
    __tablename__ = "content_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("content_cases.id", ondelete="CASCADE"), index=True
    )
    authority: Mapped[str] = mapped_column(String(64), index=True)
    recipient: Mapped[str] = mapped_column(String(128))
    recipient_kind: Mapped[str] = mapped_column(String(16))
    legal_basis: Mapped[str] = mapped_column(String(256))
    content: Mapped[str] = mapped_column(Text)  # JSON list of SHA-256 digests
    state: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_by: Mapped[str] = mapped_column(String(128))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmation: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reuploads: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ContentCaseLinkRow(Base):
    __tablename__ = "content_case_links"
    __table_args__ = (UniqueConstraint("case_id", "request"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("content_cases.id", ondelete="CASCADE"))
    request: Mapped[str] = mapped_column(String(64), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    linked_by: Mapped[str] = mapped_column(String(128))


class ContentPreservedRow(Base):
    __tablename__ = "content_preserved"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("content_cases.id", ondelete="CASCADE"), index=True
    )
    package_id: Mapped[str] = mapped_column(String(128))
    blob: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))  # of the media sealed (to find it again)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sealed_by: Mapped[str] = mapped_column(String(128))


# --- notices ------------------------------------------------------------------------------------


def _notice(row: ContentNoticeRow) -> RemovalNotice:
    return RemovalNotice(
        reference=notice_reference(row.id),
        case=case_reference(row.case_id),
        authority=row.authority,
        recipient=row.recipient,
        recipient_kind=RecipientKind(row.recipient_kind),
        legal_basis=row.legal_basis,
        content=tuple(json.loads(row.content)),
        state=NoticeState(row.state),
        sent_at=row.sent_at,
        sent_by=row.sent_by,
        deadline=row.deadline,
        updated_at=row.updated_at,
        confirmation=row.confirmation,
        reason=row.reason,
        reuploads=row.reuploads,
        version=row.version,
    )


def insert_notice(
    session: Session,
    case_id: int,
    notice: NewNotice,
    *,
    authority: str,
    legal_basis: str,
    content: list[str],
    sent_by: str,
    at: datetime,
) -> RemovalNotice:
    row = ContentNoticeRow(
        case_id=case_id,
        authority=authority,
        recipient=notice.recipient,
        recipient_kind=str(notice.recipient_kind),
        legal_basis=legal_basis,
        content=json.dumps(sorted(content)),
        state=str(NoticeState.SENT),
        sent_at=at,
        sent_by=sent_by,
        deadline=notice.deadline,
        updated_at=at,
        reuploads=0,
        version=1,
    )
    session.add(row)
    session.flush()
    return _notice(row)


def find_notice(session: Session, number: int, *, lock: bool = False) -> RemovalNotice | None:
    query = select(ContentNoticeRow).where(ContentNoticeRow.id == number)
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).first()
    return None if row is None else _notice(row)


def update_notice(
    session: Session,
    number: int,
    *,
    state: NoticeState,
    at: datetime,
    confirmation: str | None = None,
    reason: str | None = None,
    deadline: datetime | None = None,
    reupload: bool = False,
) -> RemovalNotice:
    row = session.get(ContentNoticeRow, number)
    assert row is not None  # the caller found it, locked, in this unit of work
    row.state = str(state)
    row.updated_at = at
    if confirmation is not None:
        row.confirmation = confirmation
    if reason is not None:
        row.reason = reason
    if deadline is not None:
        row.deadline = deadline
    if reupload:
        row.reuploads += 1
    row.version += 1
    session.flush()
    return _notice(row)


def notices(
    session: Session, *, authority: str | None = None, case_id: int | None = None
) -> list[RemovalNotice]:
    """The notices of ``authority`` (or of case ``case_id``), the nearest deadline first."""
    query = select(ContentNoticeRow)
    if authority is not None:
        query = query.where(ContentNoticeRow.authority == authority)
    if case_id is not None:
        query = query.where(ContentNoticeRow.case_id == case_id)
    rows = session.scalars(query.order_by(ContentNoticeRow.deadline, ContentNoticeRow.id))
    return [_notice(row) for row in rows]


def removed_notices_of(session: Session, case_ids: set[int]) -> list[RemovalNotice]:
    """The notices of ``case_ids`` whose content was removed (a match reopens them)."""
    if not case_ids:
        return []
    rows = session.scalars(
        select(ContentNoticeRow)
        .where(
            ContentNoticeRow.case_id.in_(sorted(case_ids)),
            ContentNoticeRow.state == str(NoticeState.REMOVED),
        )
        .order_by(ContentNoticeRow.id)
        .with_for_update()
    )
    return [_notice(row) for row in rows]


# --- links to cooperation requests --------------------------------------------------------------


def link(session: Session, case_id: int, request: str, *, by: str, at: datetime) -> bool:
    """Link case ``case_id`` to ``request``; False when it already was."""
    found = session.scalar(
        select(ContentCaseLinkRow.id).where(
            ContentCaseLinkRow.case_id == case_id, ContentCaseLinkRow.request == request
        )
    )
    if found is not None:
        return False
    session.add(ContentCaseLinkRow(case_id=case_id, request=request, linked_at=at, linked_by=by))
    session.flush()
    return True


def unlink(session: Session, case_id: int, request: str) -> bool:
    """Remove the link; False when there was none."""
    row = session.scalars(
        select(ContentCaseLinkRow).where(
            ContentCaseLinkRow.case_id == case_id, ContentCaseLinkRow.request == request
        )
    ).first()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def linked_requests(session: Session, case_id: int) -> list[str]:
    return list(
        session.scalars(
            select(ContentCaseLinkRow.request)
            .where(ContentCaseLinkRow.case_id == case_id)
            .order_by(ContentCaseLinkRow.linked_at, ContentCaseLinkRow.id)
        )
    )


def cases_linked_to(session: Session, request: str) -> list[int]:
    return list(
        session.scalars(
            select(ContentCaseLinkRow.case_id)
            .where(ContentCaseLinkRow.request == request)
            .order_by(ContentCaseLinkRow.case_id)
        )
    )


# --- preserved media ----------------------------------------------------------------------------


def add_preserved(
    session: Session,
    case_id: int,
    *,
    package_id: str,
    blob: str,
    sha256: str,
    by: str,
    at: datetime,
) -> None:
    session.add(
        ContentPreservedRow(
            case_id=case_id,
            package_id=package_id,
            blob=blob,
            sha256=sha256,
            sealed_at=at,
            sealed_by=by,
        )
    )
    session.flush()


def preserved(session: Session, case_id: int) -> list[dict[str, object]]:
    rows = session.scalars(
        select(ContentPreservedRow)
        .where(ContentPreservedRow.case_id == case_id)
        .order_by(ContentPreservedRow.id)
    )
    return [
        {
            "package_id": row.package_id,
            "blob": row.blob,
            "sha256": row.sha256,
            "sealed_at": row.sealed_at,
            "sealed_by": row.sealed_by,
        }
        for row in rows
    ]


# --- reading cases for the desk -----------------------------------------------------------------


def cases_of(session: Session, authority: str) -> list[RemovalCase]:
    """``authority``'s removal cases with their counts of hashes, the newest first (one
    query, however many cases)."""
    from hanoix.store.content import ContentCaseRow, ContentHashRow, _case

    counts = (
        select(ContentHashRow.case_id, func.count().label("hashes"))
        .group_by(ContentHashRow.case_id)
        .subquery()
    )
    rows = session.execute(
        select(ContentCaseRow, func.coalesce(counts.c.hashes, 0))
        .outerjoin(counts, counts.c.case_id == ContentCaseRow.id)
        .where(ContentCaseRow.authority == authority)
        .order_by(ContentCaseRow.id.desc())
    )
    return [_case(row, hashes) for row, hashes in rows]


def case_hashes(session: Session, case_id: int) -> list[tuple[str, str, str, int | None]]:
    """Case ``case_id``'s hashes as (list, signal, value, quality), in the order listed."""
    from hanoix.store.content import ContentHashRow

    rows = session.execute(
        select(
            ContentHashRow.list_name,
            ContentHashRow.signal,
            ContentHashRow.value,
            ContentHashRow.quality,
        )
        .where(ContentHashRow.case_id == case_id)
        .order_by(ContentHashRow.id)
    )
    return [(name, signal, value, quality) for name, signal, value, quality in rows]


def add_consent(session: Session, case_id: int, scope: Consent) -> bool:
    """Record ``scope`` among case ``case_id``'s consent; False when it was already there."""
    from hanoix.store.content import ContentCaseRow

    row = session.get(ContentCaseRow, case_id)
    assert row is not None  # the caller found the case in this unit of work
    scopes = {c for c in row.consent.split(",") if c}
    if str(scope) in scopes:
        return False
    row.consent = ",".join(sorted(scopes | {str(scope)}))
    session.flush()
    return True
