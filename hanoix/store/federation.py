"""Tables of federation: outbox, inbox, receipts, directory versions, transfers, cosignatures.

* ``federation_outbox``: envelopes to send, sealed in the transaction of the change that caused
  them (so one is sent if and only if that change commits); ordered by priority then sequence;
  retried with backoff; a lease lets several workers share the queue safely.
* ``federation_inbox``: envelopes taken, unique by envelope id: the row is written in the same
  transaction as the handler's effect, so a message takes effect exactly once.
* ``federation_receipts``: the receivers' signed receipts, kept by the sender as proof.
* ``federation_directory``: every directory version imported; the highest serial is in force.
* ``federation_transfers``: resumable evidence transfers, in both directions.
* ``federation_cosignatures``: peers' cosignatures of this node's checkpoints.
* ``federation_refusals``: envelopes refused from senders nobody authenticated (and repeats),
  counted per sender and reason: bounded, where the append-only ledger is not (docs/ledger.md).

Functions take the caller's session and never commit. No ORM object leaves this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from hanoix.store.db import Base, UTCDateTime
from hanoix.store.requests import RequestRow, Visibility, visible_to

PRIORITY_URGENT = 0
PRIORITY_NORMAL = 10

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
OUTBOX_STATES = (PENDING, DELIVERED, FAILED)


class OutboxRow(Base):
    __tablename__ = "federation_outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    envelope_id: Mapped[str] = mapped_column(String(32), unique=True)
    recipient: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(100))
    urgent: Mapped[bool] = mapped_column(Boolean)
    priority: Mapped[int] = mapped_column(Integer)
    in_reply_to: Mapped[str | None] = mapped_column(String(32), nullable=True)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64))
    transfer_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    # In the claim's order (priority, seq): the scan stops at the first free rows, where an
    # index with next_attempt_at before seq had SQLite sort every pending row per claim.
    __table_args__ = (Index("ix_federation_outbox_order", "status", "priority", "seq"),)


class InboxRow(Base):
    __tablename__ = "federation_inbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    envelope_id: Mapped[str] = mapped_column(String(32), unique=True)
    sender: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(100))
    urgent: Mapped[bool] = mapped_column(Boolean)
    in_reply_to: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    digest: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    receipt: Mapped[str] = mapped_column(Text)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The request a message is about, where its handler says so (evidence returned for a
    # request): finding what came for one request then reads only its rows.
    request_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)

    __table_args__ = (
        Index("ix_federation_inbox_view", "acknowledged_at", "urgent", "seq"),
        Index("ix_federation_inbox_request", "request_reference", "type", "seq"),
    )


class RefusalRow(Base):
    """How many envelopes were refused for one reason from one sender, and when.

    ``sender`` is an origin the directory lists, or :data:`UNKNOWN_SENDER`: a name nobody
    vouched for is never a key, so the table has at most (nodes + 1) x reasons rows."""

    __tablename__ = "federation_refusals"

    sender: Mapped[str] = mapped_column(String(200), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_detail: Mapped[str] = mapped_column(String(300))


class ReceiptRow(Base):
    __tablename__ = "federation_receipts"

    envelope_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())
    receipt: Mapped[str] = mapped_column(Text)


class DirectoryRow(Base):
    __tablename__ = "federation_directory"

    serial: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    digest: Mapped[str] = mapped_column(String(64))
    document: Mapped[bytes] = mapped_column(LargeBinary)


class TransferRow(Base):
    __tablename__ = "federation_transfers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    peer: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    blob_key: Mapped[str | None] = mapped_column(String(71), nullable=True)
    package_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CosignatureRow(Base):
    __tablename__ = "federation_cosignatures"

    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    cosigned_note: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- outbox ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxItem:
    seq: int
    envelope_id: str
    recipient: str
    type: str
    urgent: bool
    in_reply_to: str | None
    envelope: bytes
    digest: str
    transfer_id: str | None
    created_at: datetime
    expires_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "envelope_id": self.envelope_id,
            "recipient": self.recipient,
            "type": self.type,
            "urgent": self.urgent,
            "in_reply_to": self.in_reply_to,
            "transfer_id": self.transfer_id,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at,
            "last_error": self.last_error,
            "delivered_at": self.delivered_at,
        }


_OUTBOX_ITEM_COLUMNS = (
    OutboxRow.seq,
    OutboxRow.envelope_id,
    OutboxRow.recipient,
    OutboxRow.type,
    OutboxRow.urgent,
    OutboxRow.in_reply_to,
    OutboxRow.envelope,
    OutboxRow.digest,
    OutboxRow.transfer_id,
    OutboxRow.created_at,
    OutboxRow.expires_at,
    OutboxRow.status,
    OutboxRow.attempts,
    OutboxRow.next_attempt_at,
    OutboxRow.last_error,
    OutboxRow.delivered_at,
)
"""The columns of :class:`OutboxItem`, in its order."""


def _outbox_item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        seq=row.seq,
        envelope_id=row.envelope_id,
        recipient=row.recipient,
        type=row.type,
        urgent=row.urgent,
        in_reply_to=row.in_reply_to,
        envelope=row.envelope,
        digest=row.digest,
        transfer_id=row.transfer_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )


def add_outbox(
    session: Session,
    *,
    envelope_id: str,
    recipient: str,
    type: str,
    urgent: bool,
    in_reply_to: str | None,
    envelope: bytes,
    digest: str,
    created_at: datetime,
    expires_at: datetime,
    transfer_id: str | None = None,
) -> None:
    """Add the outbox row to the caller's session; it is written at the next flush (at the
    latest, the commit). Not a Core insert at once: that was no cheaper (the flush writes the
    rows of a transaction in one multi-row INSERT), and on SQLite the first insert takes the
    write lock, which a caller queueing several messages then held while sealing each of the
    others (the delivery worker's claims and records waited for it)."""
    values = dict(
        envelope_id=envelope_id,
        recipient=recipient,
        type=type,
        urgent=urgent,
        in_reply_to=in_reply_to,
        envelope=envelope,
        digest=digest,
        transfer_id=transfer_id,
        created_at=created_at,
        expires_at=expires_at,
    )
    session.add(OutboxRow(**_queued(values)))


def _queued(values: dict[str, Any]) -> dict[str, Any]:
    """An outbox row as queued: ``values`` (:func:`add_outbox`'s arguments) and its state."""
    return {
        "transfer_id": None,
        **values,
        "priority": PRIORITY_URGENT if values["urgent"] else PRIORITY_NORMAL,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": values["created_at"],
    }


_INSERT_OUTBOX = insert(OutboxRow)


def add_outbox_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the outbox rows (each with :func:`add_outbox`'s arguments) at once, in order,
    in one Core statement: no ORM object per row. Rows the session holds from
    :func:`add_outbox` are written first, so that the queue keeps the order of queueing."""
    if not rows:
        return
    if session.new:
        session.flush()
    session.connection().execute(_INSERT_OUTBOX, [_queued(row) for row in rows])


def claim_due(
    session: Session,
    now: datetime,
    lease_until: datetime,
    limit: int,
    *,
    urgent_only: bool = False,
) -> list[OutboxItem]:
    """Take up to ``limit`` pending envelopes that are due and not leased, urgent first, then
    in the order they were queued; lease them until ``lease_until``. ``urgent_only``: only
    urgent ones (the worker's urgent lane).

    On PostgreSQL the rows are locked with SKIP LOCKED, so concurrent workers take disjoint
    sets; on SQLite the write lock serialises claims.
    """
    query = (
        select(OutboxRow)
        .where(
            OutboxRow.status == PENDING,
            OutboxRow.next_attempt_at <= now,
            (OutboxRow.lease_until.is_(None)) | (OutboxRow.lease_until <= now),
        )
        .order_by(OutboxRow.priority, OutboxRow.seq)
        .limit(limit)
    )
    if urgent_only:
        query = query.where(OutboxRow.priority == PRIORITY_URGENT)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    # Plain rows and one UPDATE for the batch, as Core statements on the session's
    # connection: ORM objects, an UPDATE per row at flush, even the ORM's handling of plain
    # rows, cost more than the claim's own work.
    rows = connection.execute(query.with_only_columns(*_OUTBOX_ITEM_COLUMNS)).all()
    if not rows:
        return []
    # pysqlite runs the SELECT outside a transaction, so two claimers (the urgent and the
    # ordinary lane, or two workers) may read the same rows: the UPDATE takes only those
    # still free, atomically, and says which.
    taken = set(
        connection.execute(
            update(OutboxRow)
            .where(
                OutboxRow.seq.in_([row.seq for row in rows]),
                OutboxRow.status == PENDING,
                (OutboxRow.lease_until.is_(None)) | (OutboxRow.lease_until <= now),
            )
            .values(lease_until=lease_until)
            .returning(OutboxRow.seq)
        ).scalars()
    )
    return [OutboxItem(**row._mapping) for row in rows if row.seq in taken]


_URGENT_DUE = (
    select(OutboxRow.seq)
    .where(
        OutboxRow.status == PENDING,
        OutboxRow.priority == PRIORITY_URGENT,
        OutboxRow.next_attempt_at <= bindparam("now"),
        (OutboxRow.lease_until.is_(None)) | (OutboxRow.lease_until <= bindparam("now")),
    )
    .limit(1)
)


_DUE = (
    select(OutboxRow.seq)
    .where(
        OutboxRow.status == PENDING,
        OutboxRow.next_attempt_at <= bindparam("now"),
        (OutboxRow.lease_until.is_(None)) | (OutboxRow.lease_until <= bindparam("now")),
    )
    .limit(1)
)


def due_now(session: Session, now: datetime, *, urgent_only: bool = True) -> bool:
    """Whether an urgent envelope (not ``urgent_only``: any envelope) is due and free to claim
    now: one small read, taking no write lock, for a worker that looks often
    (:func:`claim_due` takes the lock)."""
    connection = session.connection()
    query = _URGENT_DUE if urgent_only else _DUE
    return connection.execute(query, {"now": now}).first() is not None


def _row(session: Session, envelope_id: str) -> OutboxRow:
    row = session.scalar(select(OutboxRow).where(OutboxRow.envelope_id == envelope_id))
    if row is None:
        raise LookupError(f"no outbox envelope {envelope_id}")
    return row


def get_outbox(session: Session, envelope_id: str) -> OutboxItem | None:
    row = session.scalar(select(OutboxRow).where(OutboxRow.envelope_id == envelope_id))
    return None if row is None else _outbox_item(row)


def renew_lease(session: Session, envelope_id: str, lease_until: datetime) -> None:
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.envelope_id == envelope_id)
        .values(lease_until=lease_until)
    )


def mark_delivered(session: Session, envelope_id: str, at: datetime) -> bool:
    """Mark delivered; False when it already was (another worker got there first)."""
    row = _row(session, envelope_id)
    if row.status == DELIVERED:
        return False
    row.status = DELIVERED
    row.attempts += 1
    row.delivered_at = at
    row.lease_until = None
    row.last_error = None
    return True


@dataclass(frozen=True)
class Delivered:
    """A small envelope's receipt, checked, to keep (:func:`record_deliveries`)."""

    envelope_id: str
    recipient: str
    digest: str
    received_at: datetime
    receipt: str


def record_deliveries(session: Session, delivered: Sequence[Delivered], at: datetime) -> None:
    """Keep the receipts of envelopes without a transfer and mark them delivered, in two
    statements for the batch (a receipt kept already, by another worker, stays as it is; a
    row delivered already is left alone)."""
    if not delivered:
        return
    ids = [item.envelope_id for item in delivered]
    receipts = [
        {
            "envelope_id": item.envelope_id,
            "recipient": item.recipient,
            "digest": item.digest,
            "received_at": item.received_at,
            "stored_at": at,
            "receipt": item.receipt,
        }
        for item in delivered
    ]
    # Executed on the session's connection, as Core statements: through the session, the
    # ORM's bulk paths built an object state per row (a fifth of a busy sender's CPU went to
    # this function).
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    keep = dialect.insert(ReceiptRow).on_conflict_do_nothing(
        index_elements=[ReceiptRow.envelope_id]
    )
    connection.execute(keep, receipts)
    connection.execute(
        update(OutboxRow)
        .where(OutboxRow.envelope_id.in_(ids), OutboxRow.status != DELIVERED)
        .values(
            status=DELIVERED,
            attempts=OutboxRow.attempts + 1,
            delivered_at=at,
            lease_until=None,
            last_error=None,
        )
    )


def mark_retry(session: Session, envelope_id: str, error: str, next_attempt_at: datetime) -> int:
    """Record a failed attempt and when to try again; return the number of attempts so far."""
    row = _row(session, envelope_id)
    if row.status != PENDING:
        return row.attempts
    row.attempts += 1
    row.last_error = error[:2000]
    row.next_attempt_at = next_attempt_at
    row.lease_until = None
    return row.attempts


def mark_failed(session: Session, envelope_id: str, error: str) -> None:
    row = _row(session, envelope_id)
    if row.status != PENDING:
        return
    row.attempts += 1
    row.status = FAILED
    row.last_error = error[:2000]
    row.lease_until = None


def requeue(session: Session, envelope_id: str, now: datetime) -> None:
    """Put a failed envelope back in the queue (an operator's decision, after a fix)."""
    row = _row(session, envelope_id)
    if row.status == FAILED:
        row.status = PENDING
        row.next_attempt_at = now
        row.lease_until = None


def next_due(session: Session) -> datetime | None:
    """When the next pending envelope can be claimed: when due, or when its lease ends."""
    leased = (OutboxRow.lease_until.is_not(None)) & (
        OutboxRow.lease_until > OutboxRow.next_attempt_at
    )
    due: datetime | None = session.scalar(
        select(
            func.min(case((leased, OutboxRow.lease_until), else_=OutboxRow.next_attempt_at))
        ).where(OutboxRow.status == PENDING)
    )
    return due


def outbox_counts(session: Session) -> dict[str, int]:
    counts = {state: 0 for state in OUTBOX_STATES}
    for status, count in session.execute(
        select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
    ):
        counts[status] = count
    return counts


def list_outbox(
    session: Session, status: str | None = None, limit: int = 100, recipient: str | None = None
) -> list[OutboxItem]:
    query = select(OutboxRow).order_by(OutboxRow.priority, OutboxRow.seq).limit(limit)
    if status is not None:
        query = query.where(OutboxRow.status == status)
    if recipient is not None:
        query = query.where(OutboxRow.recipient == recipient)
    return [_outbox_item(row) for row in session.scalars(query)]


# --- inbox ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxItem:
    seq: int
    envelope_id: str
    sender: str
    type: str
    urgent: bool
    in_reply_to: str | None
    created_at: datetime
    expires_at: datetime
    received_at: datetime
    digest: str
    payload: str
    receipt: str
    duplicates: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    request_reference: str | None = None


def _inbox_item(row: InboxRow) -> InboxItem:
    return InboxItem(
        seq=row.seq,
        envelope_id=row.envelope_id,
        sender=row.sender,
        type=row.type,
        urgent=row.urgent,
        in_reply_to=row.in_reply_to,
        created_at=row.created_at,
        expires_at=row.expires_at,
        received_at=row.received_at,
        digest=row.digest,
        payload=row.payload,
        receipt=row.receipt,
        duplicates=row.duplicates,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        request_reference=row.request_reference,
    )


# The inbox's columns in InboxItem's order: a list reads rows, not ORM objects (a desk of a
# hundred messages spent more on building and tracking objects than on its query).
_INBOX_ITEM_COLUMNS = tuple(getattr(InboxRow, field.name) for field in fields(InboxItem))


def get_inbox(session: Session, envelope_id: str) -> InboxItem | None:
    row = session.scalar(select(InboxRow).where(InboxRow.envelope_id == envelope_id))
    return None if row is None else _inbox_item(row)


def inbox_ids_among(session: Session, envelope_ids: Sequence[str]) -> set[str]:
    """Which of ``envelope_ids`` were received already (one query for a batch)."""
    if not envelope_ids:
        return set()
    query = select(InboxRow.envelope_id).where(InboxRow.envelope_id.in_(list(envelope_ids)))
    return set(session.scalars(query))


_INSERT_INBOX = insert(InboxRow)


def add_inbox(
    session: Session,
    *,
    envelope_id: str,
    sender: str,
    type: str,
    urgent: bool,
    in_reply_to: str | None,
    created_at: datetime,
    expires_at: datetime,
    received_at: datetime,
    digest: str,
    payload: str,
    receipt: str,
) -> None:
    """Insert the inbox row at once, so that a concurrent duplicate fails here (see
    :func:`add_inbox_many`)."""
    row = dict(
        envelope_id=envelope_id,
        sender=sender,
        type=type,
        urgent=urgent,
        in_reply_to=in_reply_to,
        created_at=created_at,
        expires_at=expires_at,
        received_at=received_at,
        digest=digest,
        payload=payload,
        receipt=receipt,
    )
    add_inbox_many(session, [row])


def add_inbox_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert inbox rows (each with :func:`add_inbox`'s arguments) at once, in one cached Core
    statement on the session's connection (an ORM object flushed, or an ORM insert, cost
    several times the statement itself, and every envelope of a batch pays it). A row already
    there fails the statement."""
    if rows:
        session.connection().execute(_INSERT_INBOX, [{**row, "duplicates": 0} for row in rows])


_SET_INBOX_RECEIPT = (
    update(InboxRow)
    .where(InboxRow.envelope_id == bindparam("row_envelope_id"))
    .values(receipt=bindparam("row_receipt"))
)


def set_inbox_receipts(session: Session, receipts: Sequence[tuple[str, str]]) -> None:
    """Keep the receipts (envelope id, receipt JSON) of inbox rows added in this transaction
    without one (a batch receipt is signed once the batch's rows are in): one statement."""
    if receipts:
        session.connection().execute(
            _SET_INBOX_RECEIPT,
            [
                {"row_envelope_id": envelope, "row_receipt": receipt}
                for envelope, receipt in receipts
            ],
        )


def link_inbox_to_request(session: Session, envelope_id: str, reference: str) -> None:
    """Record that the message ``envelope_id`` is about request ``reference``."""
    session.execute(
        update(InboxRow)
        .where(InboxRow.envelope_id == envelope_id)
        .values(request_reference=reference)
    )


def inbox_for_request(session: Session, reference: str, type: str) -> list[InboxItem]:
    """The messages of ``type`` about request ``reference``, in the order they arrived."""
    rows = session.scalars(
        select(InboxRow)
        .where(InboxRow.request_reference == reference, InboxRow.type == type)
        .order_by(InboxRow.seq)
    )
    return [_inbox_item(row) for row in rows]


def count_duplicate(session: Session, envelope_id: str) -> None:
    session.execute(
        update(InboxRow)
        .where(InboxRow.envelope_id == envelope_id)
        .values(duplicates=InboxRow.duplicates + 1)
    )


def _seen_by(visibility: Visibility, *, unlinked: bool) -> Any:
    """Which inbox rows a user may see: a message about a request this node holds when the
    request is visible to them (the requests' own rule, :func:`visible_to`); a message about
    no request held here (a ping, a free notice) when ``unlinked``."""
    held = (
        select(RequestRow.id)
        .where(RequestRow.reference == InboxRow.request_reference)
        .correlate(InboxRow)
    )
    about_visible = held.where(visible_to(visibility)).exists()
    if not unlinked:
        return about_visible
    return or_(~held.exists(), about_visible)


def list_inbox(
    session: Session,
    visibility: Visibility | None,
    *,
    unlinked: bool = False,
    pending_only: bool = True,
    urgent_only: bool = False,
    limit: int = 100,
) -> list[InboxItem]:
    """Messages for the 24/7 view that ``visibility`` may see (see :func:`_seen_by`): urgent
    first, then in the order they arrived. ``None`` (said explicitly) is every message, for
    the node's own plumbing, never for a person's view."""
    query = _inbox_query(select(*_INBOX_ITEM_COLUMNS), visibility, unlinked=unlinked, limit=limit)
    if pending_only:
        query = query.where(InboxRow.acknowledged_at.is_(None))
    if urgent_only:
        query = query.where(InboxRow.urgent.is_(True))
    return [InboxItem(*row) for row in session.execute(query)]


def _inbox_query(query: Any, visibility: Visibility | None, *, unlinked: bool, limit: int) -> Any:
    """``query`` over the inbox in the 24/7 view's order (urgent first, then as they arrived),
    limited to what ``visibility`` may see (``None``: everything)."""
    query = query.order_by(InboxRow.urgent.desc(), InboxRow.seq).limit(limit)
    if visibility is not None:
        query = query.where(_seen_by(visibility, unlinked=unlinked))
    return query


def list_inbox_ids(
    session: Session, visibility: Visibility, *, unlinked: bool = False, limit: int = 100
) -> list[str]:
    """The envelope ids :func:`list_inbox` lists for ``visibility`` (pending ones only), in its
    order, without reading the messages: what a desk polling for a change needs."""
    query = _inbox_query(select(InboxRow.envelope_id), visibility, unlinked=unlinked, limit=limit)
    return list(session.scalars(query.where(InboxRow.acknowledged_at.is_(None))))


def get_visible_inbox(
    session: Session, envelope_id: str, visibility: Visibility, *, unlinked: bool
) -> InboxItem | None:
    """The message ``envelope_id`` if ``visibility`` may see it, else None (as if missing)."""
    row = session.scalar(
        select(InboxRow).where(
            InboxRow.envelope_id == envelope_id, _seen_by(visibility, unlinked=unlinked)
        )
    )
    return None if row is None else _inbox_item(row)


def acknowledge(session: Session, envelope_id: str, by: str, at: datetime) -> bool:
    """Mark a message seen by a person; False when it was already acknowledged."""
    row = session.scalar(select(InboxRow).where(InboxRow.envelope_id == envelope_id))
    if row is None:
        raise LookupError(envelope_id)
    if row.acknowledged_at is not None:
        return False
    row.acknowledged_at = at
    row.acknowledged_by = by[:100]
    return True


def inbox_counts(session: Session) -> dict[str, int]:
    total = session.scalar(select(func.count()).select_from(InboxRow)) or 0
    pending_urgent = (
        session.scalar(
            select(func.count())
            .select_from(InboxRow)
            .where(InboxRow.urgent.is_(True), InboxRow.acknowledged_at.is_(None))
        )
        or 0
    )
    duplicates = session.scalar(select(func.coalesce(func.sum(InboxRow.duplicates), 0))) or 0
    return {"received": total, "urgent_unacknowledged": pending_urgent, "duplicates": duplicates}


# --- receipts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredReceipt:
    envelope_id: str
    recipient: str
    digest: str
    received_at: datetime
    stored_at: datetime
    receipt: str


def add_receipt(
    session: Session,
    *,
    envelope_id: str,
    recipient: str,
    digest: str,
    received_at: datetime,
    stored_at: datetime,
    receipt: str,
) -> bool:
    """Keep a receipt; False when one is already kept for the envelope."""
    if session.get(ReceiptRow, envelope_id) is not None:
        return False
    session.add(
        ReceiptRow(
            envelope_id=envelope_id,
            recipient=recipient,
            digest=digest,
            received_at=received_at,
            stored_at=stored_at,
            receipt=receipt,
        )
    )
    return True


def get_receipt(session: Session, envelope_id: str) -> StoredReceipt | None:
    row = session.get(ReceiptRow, envelope_id)
    if row is None:
        return None
    return StoredReceipt(
        row.envelope_id, row.recipient, row.digest, row.received_at, row.stored_at, row.receipt
    )


# --- directory ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredDirectory:
    serial: int
    issued_at: datetime
    imported_at: datetime
    digest: str
    document: bytes


def add_directory(
    session: Session,
    *,
    serial: int,
    issued_at: datetime,
    imported_at: datetime,
    digest: str,
    document: bytes,
) -> None:
    session.add(
        DirectoryRow(
            serial=serial,
            issued_at=issued_at,
            imported_at=imported_at,
            digest=digest,
            document=document,
        )
    )
    session.flush()
    session.info.pop(_DIRECTORY_IN_FORCE, None)


def latest_directory(session: Session) -> StoredDirectory | None:
    row = session.scalar(select(DirectoryRow).order_by(DirectoryRow.serial.desc()).limit(1))
    if row is None:
        return None
    return StoredDirectory(row.serial, row.issued_at, row.imported_at, row.digest, row.document)


_DIRECTORY_IN_FORCE = "hanoix.federation.directory_digest"


def latest_directory_digest(session: Session) -> str | None:
    """The SHA-256 of the directory in force, without loading the document; read once per
    transaction (a batch of envelopes asks for each one). The query must not flush: it
    would flush the previous envelope's row, one statement per envelope."""
    remembered = session.info.get(_DIRECTORY_IN_FORCE)
    transaction = session.get_transaction()
    if remembered is not None and transaction is not None and remembered[0] is transaction:
        digest: str | None = remembered[1]
        return digest
    with session.no_autoflush:
        digest = session.scalar(
            select(DirectoryRow.digest).order_by(DirectoryRow.serial.desc()).limit(1)
        )
    session.info[_DIRECTORY_IN_FORCE] = (session.get_transaction(), digest)
    return digest


def directory_serials(session: Session) -> list[int]:
    return list(session.scalars(select(DirectoryRow.serial).order_by(DirectoryRow.serial)))


# --- transfers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transfer:
    id: str
    direction: str
    peer: str
    sha256: str
    size: int
    offset: int
    status: str
    blob_key: str | None
    package_id: str | None
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _transfer(row: TransferRow) -> Transfer:
    return Transfer(
        row.id,
        row.direction,
        row.peer,
        row.sha256,
        row.size,
        row.offset,
        row.status,
        row.blob_key,
        row.package_id,
        row.created_at,
        row.updated_at,
    )


def add_transfer(
    session: Session,
    *,
    id: str,
    direction: str,
    peer: str,
    sha256: str,
    size: int,
    now: datetime,
    blob_key: str | None = None,
    package_id: str | None = None,
) -> Transfer:
    row = TransferRow(
        id=id,
        direction=direction,
        peer=peer,
        sha256=sha256,
        size=size,
        offset=0,
        status="open",
        blob_key=blob_key,
        package_id=package_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return _transfer(row)


def get_transfer(
    session: Session, transfer_id: str, *, for_update: bool = False
) -> Transfer | None:
    query = select(TransferRow).where(TransferRow.id == transfer_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalar(query)
    return None if row is None else _transfer(row)


def update_transfer(session: Session, transfer_id: str, now: datetime, **values: Any) -> None:
    allowed = {"offset", "status", "blob_key", "package_id"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"cannot update {', '.join(sorted(unknown))} of a transfer")
    session.execute(
        update(TransferRow).where(TransferRow.id == transfer_id).values(updated_at=now, **values)
    )


def restart_incoming_transfers(session: Session, now: datetime) -> int:
    """Count every incoming transfer still open as holding nothing, so that its sender sends it
    again from its first byte; returns how many. For a database restored without the staged
    files of those transfers (a backup does not keep them)."""
    done = session.execute(
        update(TransferRow)
        .where(TransferRow.direction == "in", TransferRow.status == "open", TransferRow.offset > 0)
        .values(offset=0, updated_at=now)
    )
    return int(getattr(done, "rowcount", 0) or 0)


def list_transfers(session: Session, direction: str | None = None) -> list[Transfer]:
    query = select(TransferRow).order_by(TransferRow.created_at)
    if direction is not None:
        query = query.where(TransferRow.direction == direction)
    return [_transfer(row) for row in session.scalars(query)]


# --- cosignatures of our checkpoints --------------------------------------------------------


def add_cosignature(
    session: Session, witness: str, tree_size: int, cosigned_note: str, at: datetime
) -> bool:
    """Keep a peer's cosignature of our checkpoint; False when one of that size is kept.

    One statement that ignores a duplicate: two workers of the node may bring back the same
    peer's cosignature of the same checkpoint at the same moment."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    kept = session.execute(
        insert(CosignatureRow)
        .values(witness=witness, tree_size=tree_size, cosigned_note=cosigned_note, received_at=at)
        .on_conflict_do_nothing()
        .returning(CosignatureRow.tree_size)
    ).scalar_one_or_none()
    return kept is not None


def list_cosignatures(
    session: Session, witness: str | None = None
) -> Sequence[tuple[str, int, str]]:
    query = select(CosignatureRow).order_by(CosignatureRow.witness, CosignatureRow.tree_size)
    if witness is not None:
        query = query.where(CosignatureRow.witness == witness)
    return [(row.witness, row.tree_size, row.cosigned_note) for row in session.scalars(query)]


# --- refusals counted, not logged -------------------------------------------------------------

#: The sender of a refused envelope whose claimed sender is not a node of the directory.
UNKNOWN_SENDER = "(unknown)"
_DETAIL_LENGTH = 300


@dataclass(frozen=True)
class Refusal:
    sender: str
    reason: str
    count: int
    first_seen: datetime
    last_seen: datetime
    last_detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sender": self.sender,
            "reason": self.reason,
            "count": self.count,
            "first_seen": self.first_seen.isoformat().replace("+00:00", "Z"),
            "last_seen": self.last_seen.isoformat().replace("+00:00", "Z"),
            "last_detail": self.last_detail,
        }


def count_refusal(session: Session, sender: str, reason: str, detail: str, at: datetime) -> None:
    """Add one to the count of ``reason`` refusals from ``sender`` (one row per pair, made on
    first sight), in the caller's transaction; concurrent counts do not lose one another."""
    values = {
        "sender": sender,
        "reason": reason,
        "count": 1,
        "first_seen": at,
        "last_seen": at,
        "last_detail": detail[:_DETAIL_LENGTH],
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(RefusalRow).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[RefusalRow.sender, RefusalRow.reason],
            set_={
                "count": RefusalRow.count + 1,
                "last_seen": statement.excluded.last_seen,
                "last_detail": statement.excluded.last_detail,
            },
        )
    )


def list_refusals(session: Session) -> list[Refusal]:
    """Every (sender, reason) count, the most recent first."""
    rows = session.scalars(
        select(RefusalRow).order_by(
            RefusalRow.last_seen.desc(), RefusalRow.sender, RefusalRow.reason
        )
    )
    return [
        Refusal(r.sender, r.reason, r.count, r.first_seen, r.last_seen, r.last_detail) for r in rows
    ]
