"""Tables and queries of retention and of the data-protection officer's trail (docs/retention.md).

* ``retention_erasures``: one row per item erased (its category and subject, the rule, the
  time and the index of its ``data.erased`` custody entry): what a request's page shows in
  place of what is gone, and how a run knows what it did already. Never the content.
* ``personal_data_reads``: who read a request's personal data or opened evidence, and when.

The queries pick the candidates for erasure; which of them are due is the core's decision
(:mod:`hanoix.requests.retention`). Erasing content out of the database *files*, not only out
of the rows, is :func:`compact`'s. Nothing here commits, except :func:`compact`, which runs
outside any unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Engine,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    cast,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from hanoix.content.cases import case_reference
from hanoix.errors import InputError
from hanoix.requests import CooperationRequest
from hanoix.requests.model import DECIDED
from hanoix.store.auth import ApiTokenRow, LoginThrottleRow, SessionRow, UserRow
from hanoix.store.content import ContentCaseRow
from hanoix.store.db import Base, UTCDateTime
from hanoix.store.federation import InboxRow, TransferRow
from hanoix.store.request_codec import decode_request
from hanoix.store.requests import RequestConditionRow, RequestRow


class ErasureRow(Base):
    __tablename__ = "retention_erasures"
    __table_args__ = (UniqueConstraint("category", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(256), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    article: Mapped[str] = mapped_column(String(40))
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ledger_index: Mapped[int] = mapped_column(BigInteger)


class ReadRow(Base):
    __tablename__ = "personal_data_reads"
    __table_args__ = (Index("ix_personal_data_reads_subject", "subject", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(256))
    what: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(256))
    authority: Mapped[str] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class Erasure:
    """One erasure as recorded: what, under which rule, when, and its custody entry."""

    category: str
    subject: str
    rule: str
    article: str
    erased_at: datetime
    ledger_index: int

    def as_dict(self) -> dict[str, object]:
        return {
            "category": self.category,
            "subject": self.subject,
            "rule": self.rule,
            "article": self.article,
            "erased_at": self.erased_at.isoformat().replace("+00:00", "Z"),
            "ledger_index": self.ledger_index,
        }


@dataclass(frozen=True)
class Read:
    """One reading of personal data or evidence: of what, which part, by whom, when."""

    subject: str
    what: str
    actor: str
    authority: str
    at: datetime


def reads_until(session: Session, before: datetime) -> tuple[int, datetime | None]:
    """How many records of reading are dated ``before`` or earlier, and the latest of them."""
    count, latest = session.execute(
        select(func.count(), func.max(ReadRow.at)).where(ReadRow.at <= before)
    ).one()
    return int(count), latest


def delete_reads_until(session: Session, until: datetime) -> int:
    """Delete the records of reading dated ``until`` or earlier; how many there were."""
    found = session.execute(delete(ReadRow).where(ReadRow.at <= until))
    return int(getattr(found, "rowcount", 0) or 0)


def record_erasure(session: Session, erasure: Erasure) -> None:
    session.add(
        ErasureRow(
            category=erasure.category,
            subject=erasure.subject,
            rule=erasure.rule,
            article=erasure.article,
            erased_at=erasure.erased_at,
            ledger_index=erasure.ledger_index,
        )
    )
    session.flush()


def _erasure(row: ErasureRow) -> Erasure:
    return Erasure(
        row.category, row.subject, row.rule, row.article, row.erased_at, row.ledger_index
    )


def erasures_of(session: Session, subjects: Sequence[str]) -> list[Erasure]:
    """The erasures of ``subjects`` (of any category), oldest first."""
    if not subjects:
        return []
    rows = session.scalars(
        select(ErasureRow).where(ErasureRow.subject.in_(list(subjects))).order_by(ErasureRow.id)
    )
    return [_erasure(row) for row in rows]


def erased_subjects(session: Session, category: str) -> set[str]:
    return set(session.scalars(select(ErasureRow.subject).where(ErasureRow.category == category)))


# --- candidates -----------------------------------------------------------------------------


def decided_requests(
    session: Session,
    *,
    personal_before: datetime,
    contents_before: datetime,
    personal_category: str,
    contents_category: str,
) -> list[CooperationRequest]:
    """The decided requests that may be due: created before ``personal_before`` with their
    personal data still held, or before ``contents_before`` with their contents still held (a
    request is decided after it is created, so one created later cannot be due), and those
    under a ``delete-by`` condition."""
    with_deadline = select(RequestConditionRow.request_id).where(
        RequestConditionRow.code == "delete-by"
    )

    def done(category: str) -> Any:
        return select(ErasureRow.subject).where(ErasureRow.category == category)

    query = (
        select(RequestRow.document)
        .where(RequestRow.status.in_([s.value for s in DECIDED]))
        .where(RequestRow.reference.not_in(done(contents_category)))
        .where(
            or_(
                and_(
                    RequestRow.created_at <= personal_before,
                    RequestRow.reference.not_in(done(personal_category)),
                ),
                RequestRow.created_at <= contents_before,
                RequestRow.id.in_(with_deadline),
            )
        )
        .order_by(RequestRow.created_at, RequestRow.id)
    )
    return [decode_request(document) for document in session.scalars(query)]


@dataclass(frozen=True)
class InboxHeld:
    envelope_id: str
    type: str
    received_at: datetime
    payload: str


def inbox_received_before(
    session: Session, before: datetime, skip_category: str
) -> list[InboxHeld]:
    """The inbox messages received by ``before`` whose payload is not erased yet."""
    done = select(ErasureRow.subject).where(ErasureRow.category == skip_category)
    query = (
        select(InboxRow.envelope_id, InboxRow.type, InboxRow.received_at, InboxRow.payload)
        .where(InboxRow.received_at <= before)
        .where(InboxRow.envelope_id.not_in(done))
        .order_by(InboxRow.seq)
    )
    return [InboxHeld(*row) for row in session.execute(query)]


def replace_inbox_payload(session: Session, envelope_id: str, payload: str) -> None:
    session.execute(
        update(InboxRow).where(InboxRow.envelope_id == envelope_id).values(payload=payload)
    )


@dataclass(frozen=True)
class SessionHeld:
    """A web session or an API token, by id (``kind`` says which), with its user and end."""

    kind: str  # "session" | "token" | "sign-ins" (a window of the sign-in throttle)
    id: str
    username: str
    ended_at: datetime


def sessions_ended_before(session: Session, before: datetime) -> list[SessionHeld]:
    """The web sessions and API tokens that ended (expired or revoked) by ``before``."""
    web = session.execute(
        select(SessionRow.id_hash, UserRow.username, SessionRow.expires_at)
        .join(UserRow, UserRow.id == SessionRow.user_id)
        .where(SessionRow.expires_at <= before)
    )
    ended = func.coalesce(ApiTokenRow.revoked_at, ApiTokenRow.expires_at)
    tokens = session.execute(
        select(ApiTokenRow.id, UserRow.username, ended)
        .join(UserRow, UserRow.id == ApiTokenRow.user_id)
        .where(or_(ApiTokenRow.expires_at <= before, ApiTokenRow.revoked_at <= before))
    )
    # A window of the sign-in throttle counts failures under a digest of a username or an
    # address: a record of sign-in attempts, swept only when new failures come in.
    throttled = session.execute(
        select(LoginThrottleRow.key, LoginThrottleRow.expires_at).where(
            LoginThrottleRow.expires_at <= before
        )
    )
    found = [SessionHeld("session", *row) for row in web]
    found += [SessionHeld("token", *row) for row in tokens]
    found += [SessionHeld("sign-ins", key, "", ended) for key, ended in throttled]
    return found


def delete_session(session: Session, held: SessionHeld) -> None:
    if held.kind == "session":
        session.execute(delete(SessionRow).where(SessionRow.id_hash == held.id))
    elif held.kind == "sign-ins":
        session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.key == held.id))
    else:
        session.execute(delete(ApiTokenRow).where(ApiTokenRow.id == held.id))


def forget_blob(session: Session, transfer_id: str) -> None:
    """The transfer no longer has its package in the blob store."""
    session.execute(update(TransferRow).where(TransferRow.id == transfer_id).values(blob_key=None))


def blob_in_use(session: Session, key: str) -> bool:
    """Whether a transfer still names the blob ``key`` (the same bytes may arrive twice)."""
    return (
        session.scalar(select(TransferRow.id).where(TransferRow.blob_key == key).limit(1))
        is not None
    )


# --- reads ----------------------------------------------------------------------------------


def record_read(session: Session, read: Read) -> None:
    session.add(
        ReadRow(
            subject=read.subject,
            what=read.what,
            actor=read.actor,
            authority=read.authority,
            at=read.at,
        )
    )


def reads_of(session: Session, subjects: Iterable[str], limit: int = 1000) -> list[Read]:
    """The readings of ``subjects``, newest first (at most ``limit``)."""
    wanted = list(subjects)
    if not wanted:
        return []
    rows = session.scalars(
        select(ReadRow).where(ReadRow.subject.in_(wanted)).order_by(ReadRow.at.desc()).limit(limit)
    )
    return [Read(r.subject, r.what, r.actor, r.authority, r.at) for r in rows]


# --- the files ------------------------------------------------------------------------------

#: The tables an erasure rewrites rows of.
ERASED_TABLES = (
    "requests",
    "request_conditions",
    "idempotency_keys",
    "federation_inbox",
    "web_sessions",
    "api_tokens",
    "login_throttle",
)


def compact(engine: Engine) -> str:
    """Take erased content out of the database's files, not only out of its rows; returns
    what was done.

    SQLite keeps a deleted or overwritten row's bytes in free pages, in unused space of its
    pages and in the write-ahead log until they are reused. ``VACUUM`` rewrites the file from
    the live rows only, and a ``TRUNCATE`` checkpoint empties the log, before and after.
    PostgreSQL: ``VACUUM`` of the tables erased from makes the dead row versions' space free
    (their bytes may stay in the server's files and its WAL until reused: docs/retention.md).
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            connection.execute(text("VACUUM"))
            busy = connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).first()
            return "vacuum" if busy is None or not busy[0] else "vacuum (log still in use)"
        for table in ERASED_TABLES:
            connection.execute(text(f"VACUUM {table}"))
        return "vacuum"


# --- where an identifier is held --------------------------------------------------------------


@dataclass(frozen=True)
class UnreadableRequest:
    """A stored request whose document this version cannot read (another layout, damage): its
    reference and why, so that a search names it rather than failing on it."""

    reference: str
    reason: str


def requests_containing(
    session: Session, needle: str
) -> Iterator[CooperationRequest | UnreadableRequest]:
    """The requests whose document may hold ``needle`` (lower case): the database narrows them
    when the needle is ASCII (documents are stored with non-ASCII escaped), the caller checks
    each; otherwise every request is read. A document that cannot be read comes as an
    :class:`UnreadableRequest`. Read in batches through a cursor: call it inside a unit of work
    (PostgreSQL keeps a cursor only within a transaction)."""
    query = select(RequestRow.reference, RequestRow.document).order_by(
        RequestRow.created_at, RequestRow.id
    )
    if needle.isascii() and not any(c in needle for c in '"\\'):
        query = query.where(
            func.lower(cast(RequestRow.document, Text)).contains(needle, autoescape=True)
        )
    for reference, document in session.execute(query.execution_options(yield_per=200)):
        try:
            yield decode_request(document)
        except (InputError, KeyError, TypeError, ValueError) as exc:
            yield UnreadableRequest(reference, str(exc) or type(exc).__name__)


def inbox_containing(session: Session, needle: str) -> list[InboxHeld]:
    """The inbox messages whose payload holds ``needle`` (lower case)."""
    query = (
        select(InboxRow.envelope_id, InboxRow.type, InboxRow.received_at, InboxRow.payload)
        .where(func.lower(InboxRow.payload).contains(needle, autoescape=True))
        .order_by(InboxRow.seq)
    )
    return [InboxHeld(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class CaseHeld:
    reference: str
    authority: str
    opened_by: str
    opened_at: datetime


def content_cases_containing(session: Session, needle: str) -> list[CaseHeld]:
    """The removal cases whose victim reference holds ``needle`` (lower case)."""
    query = (
        select(ContentCaseRow)
        .where(func.lower(ContentCaseRow.victim_ref).contains(needle, autoescape=True))
        .order_by(ContentCaseRow.id)
    )
    return [
        CaseHeld(case_reference(row.id), row.authority, row.opened_by, row.opened_at)
        for row in session.scalars(query)
    ]
