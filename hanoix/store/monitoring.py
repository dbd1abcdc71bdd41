"""What an operator watches, read from the database in a few aggregate queries.

:func:`read_gauges` is called at each scrape of the metrics endpoint
(:mod:`hanoix.services.monitoring`). Every figure here is a count, a sum or a newest/oldest
time over indexed columns or small tables, so a scrape stays cheap on a node with years of
history; nothing returned names a request, a person or a message.

The database, not the process, is where these figures live: every API process, every machine
and the delivery worker see the same numbers, whichever of them Prometheus asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hanoix.store.auth import UserRow
from hanoix.store.federation import (
    FAILED,
    PENDING,
    CosignatureRow,
    InboxRow,
    OutboxRow,
    ReceiptRow,
    RefusalRow,
    TransferRow,
)
from hanoix.store.ledger import checkpoints_table, head_table, split_views_table
from hanoix.store.requests import RequestRow

#: How many of the newest inbox and outbox rows the clock check reads (by primary key).
CLOCK_SAMPLE = 200
#: How many of the newest outbox rows the last delivery to each peer is looked for in.
DELIVERY_SAMPLE = 5000


@dataclass(frozen=True)
class PeerQueue:
    """The outbox towards one peer."""

    pending: int
    failed: int
    oldest_pending: datetime | None
    retrying: int  # pending envelopes that failed at least once
    last_delivered: datetime | None


@dataclass(frozen=True)
class Cosigned:
    """What one witness cosigned of this node's checkpoints: the newest (its size, when it
    came back) and since when a newer checkpoint has waited for it (None: none waits)."""

    size: int
    at: datetime
    waiting_since: datetime | None


@dataclass(frozen=True)
class ClockSample:
    """What the newest envelopes say of a peer's clock, as bounds on its offset from ours
    (the peer's clock minus this node's, in seconds): at least ``at_least``, at most
    ``at_most``; either may be unknown (None)."""

    peer: str
    at_least: float | None
    at_most: float | None
    observed_at: datetime


@dataclass(frozen=True)
class Gauges:
    """One reading of the node's state (:func:`read_gauges`)."""

    requests: dict[tuple[str, str, str], int] = field(default_factory=dict)  # kind, side, status
    overdue: dict[str, int] = field(default_factory=dict)  # kind
    queues: dict[str, PeerQueue] = field(default_factory=dict)  # peer
    failing: dict[tuple[str, str], int] = field(default_factory=dict)  # peer, reason
    unacknowledged: dict[bool, tuple[int, datetime | None]] = field(default_factory=dict)
    ledger_size: int = 0
    checkpoint_size: int = 0
    checkpoint_at: datetime | None = None
    cosigned: dict[str, Cosigned] = field(default_factory=dict)  # witness
    split_views: dict[str, int] = field(default_factory=dict)  # origin
    refusals: dict[tuple[str, str], int] = field(default_factory=dict)  # sender, reason
    accounts_locked: int = 0
    evidence_bytes: dict[str, int] = field(default_factory=dict)  # direction: in, out


def read_gauges(session: Session, now: datetime) -> Gauges:
    """Read every gauge in one session (a handful of grouped queries)."""
    requests = {
        (kind, side, status): count
        for kind, side, status, count in session.execute(
            select(RequestRow.kind, RequestRow.side, RequestRow.status, func.count()).group_by(
                RequestRow.kind, RequestRow.side, RequestRow.status
            )
        )
    }
    overdue = dict(
        session.execute(
            select(RequestRow.kind, func.count())
            .where(RequestRow.next_deadline <= now)
            .group_by(RequestRow.kind)
        ).all()
    )
    unacknowledged: dict[bool, tuple[int, datetime | None]] = {True: (0, None), False: (0, None)}
    for urgent, count, oldest in session.execute(
        select(InboxRow.urgent, func.count(), func.min(InboxRow.received_at))
        .where(InboxRow.acknowledged_at.is_(None))
        .group_by(InboxRow.urgent)
    ):
        unacknowledged[bool(urgent)] = (count, oldest)
    head = session.execute(select(head_table.c.tree_size)).scalar()
    checkpoint = session.execute(
        select(checkpoints_table.c.tree_size, checkpoints_table.c.created_at)
        .order_by(checkpoints_table.c.tree_size.desc())
        .limit(1)
    ).first()
    locked = session.scalar(
        select(func.count()).select_from(UserRow).where(UserRow.locked_at.is_not(None))
    )
    return Gauges(
        requests=requests,
        overdue=overdue,
        queues=_queues(session),
        failing=_failing(session),
        unacknowledged=unacknowledged,
        ledger_size=int(head or 0),
        checkpoint_size=int(checkpoint[0]) if checkpoint else 0,
        checkpoint_at=checkpoint[1] if checkpoint else None,
        cosigned=_cosigned(session),
        split_views=dict(
            session.execute(
                select(split_views_table.c.origin, func.count()).group_by(
                    split_views_table.c.origin
                )
            ).all()
        ),
        refusals={
            (sender, reason): int(count)
            for sender, reason, count in session.execute(
                select(RefusalRow.sender, RefusalRow.reason, RefusalRow.count)
            )
        },
        accounts_locked=int(locked or 0),
        evidence_bytes={
            direction: int(total or 0)
            for direction, total in session.execute(
                select(TransferRow.direction, func.sum(TransferRow.size))
                # in: verified here; out: the peer's receipt says it verified them.
                .where(TransferRow.status.in_(("verified", "delivered")))
                .group_by(TransferRow.direction)
            )
        },
    )


def _queues(session: Session) -> dict[str, PeerQueue]:
    """The outbox per peer. Only the envelopes still waiting or given up are counted (the
    leading column of the outbox's index), not the delivered ones, which grow with the years;
    the last delivery is read from the newest :data:`DELIVERY_SAMPLE` envelopes by key."""
    counts: dict[str, dict[str, Any]] = {}
    for peer, status, count, oldest, retried in session.execute(
        select(
            OutboxRow.recipient,
            OutboxRow.status,
            func.count(),
            func.min(OutboxRow.created_at),
            func.sum(case((OutboxRow.attempts > 0, 1), else_=0)),
        )
        .where(OutboxRow.status.in_((PENDING, FAILED)))
        .group_by(OutboxRow.recipient, OutboxRow.status)
    ):
        queue = counts.setdefault(peer, {})
        if status == PENDING:
            queue.update(pending=count, oldest=oldest, retrying=int(retried or 0))
        else:
            queue["failed"] = count
    newest = (
        select(OutboxRow.recipient, OutboxRow.delivered_at)
        .order_by(OutboxRow.seq.desc())
        .limit(DELIVERY_SAMPLE)
        .subquery()
    )
    last: dict[str, datetime] = {
        peer: at
        for peer, at in session.execute(
            select(newest.c.recipient, func.max(newest.c.delivered_at))
            .where(newest.c.delivered_at.is_not(None))
            .group_by(newest.c.recipient)
        )
    }
    return {
        peer: PeerQueue(
            pending=int(counts.get(peer, {}).get("pending", 0)),
            failed=int(counts.get(peer, {}).get("failed", 0)),
            oldest_pending=counts.get(peer, {}).get("oldest"),
            retrying=int(counts.get(peer, {}).get("retrying", 0)),
            last_delivered=last.get(peer),
        )
        for peer in sorted(counts.keys() | last.keys())
    }


def _cosigned(session: Session) -> dict[str, Cosigned]:
    """Per witness, its newest cosignature (by the checkpoints' primary keys: a handful of rows
    per witness read, however many it cosigned) and the oldest checkpoint it has not cosigned."""
    newest = (
        select(CosignatureRow.witness, func.max(CosignatureRow.tree_size).label("size"))
        .group_by(CosignatureRow.witness)
        .subquery()
    )
    cosigned: dict[str, Cosigned] = {}
    for witness, size, at in session.execute(
        select(newest.c.witness, newest.c.size, CosignatureRow.received_at).join(
            CosignatureRow,
            (CosignatureRow.witness == newest.c.witness)
            & (CosignatureRow.tree_size == newest.c.size),
        )
    ):
        waiting = session.scalar(
            select(func.min(checkpoints_table.c.created_at)).where(
                checkpoints_table.c.tree_size > size
            )
        )
        cosigned[witness] = Cosigned(int(size), at, waiting)
    return cosigned


def _failing(session: Session) -> dict[tuple[str, str], int]:
    """Envelopes that failed their last attempt, per peer and the reason it gave (the first
    words of the error the outbox kept: the peer's refusal reason, or 'unreachable')."""
    failing: dict[tuple[str, str], int] = {}
    for peer, error, count in session.execute(
        select(OutboxRow.recipient, OutboxRow.last_error, func.count())
        .where(OutboxRow.status.in_((PENDING, FAILED)), OutboxRow.last_error.is_not(None))
        .group_by(OutboxRow.recipient, OutboxRow.last_error)
    ):
        key = (peer, failure_reason(error or ""))
        failing[key] = failing.get(key, 0) + count
    return failing


def failure_reason(error: str) -> str:
    """A short, bounded label for a delivery error kept by the outbox: the refusal reason a
    peer gave (``the peer answered 400 (bad_signature): ...``), ``http_<status>`` for an
    answer without one, ``bad_receipt``, or ``unreachable`` (no answer at all)."""
    if error.startswith("the peer answered "):
        status, _, rest = error.removeprefix("the peer answered ").partition(" ")
        if rest.startswith("(") and ")" in rest:
            reason = rest[1 : rest.index(")")]
            if reason.replace("_", "").replace("-", "").isalnum() and len(reason) <= 40:
                return reason
        return f"http_{status}" if status.isdigit() else "bad_answer"
    if "receipt" in error:
        return "bad_receipt"
    return "unreachable"


def clock_samples(session: Session, sample: int = CLOCK_SAMPLE) -> list[ClockSample]:
    """The newest evidence of each peer's clock (see :class:`ClockSample`), from the newest
    ``sample`` envelopes received and delivered:

    * an envelope received was made (its ``created``, the peer's clock) before it arrived
      (``received_at``, ours): the peer is at least ``created - received_at`` ahead;
    * a receipt was signed (its time, the peer's clock) after the envelope was due to be sent
      (``next_attempt_at``, ours, never later than the send) and before the receipt was kept
      (``stored_at``, ours): the offset lies between ``receipt - stored_at`` and
      ``receipt - next_attempt_at``.
    """
    lower: dict[str, tuple[float, datetime]] = {}
    upper: dict[str, tuple[float, datetime]] = {}
    received = session.execute(
        select(InboxRow.sender, InboxRow.created_at, InboxRow.received_at)
        .order_by(InboxRow.seq.desc())
        .limit(sample)
    ).all()
    for peer, created, arrived in received:
        lower.setdefault(peer, ((created - arrived).total_seconds(), arrived))
    delivered = session.execute(
        select(
            OutboxRow.recipient,
            OutboxRow.next_attempt_at,
            ReceiptRow.received_at,
            ReceiptRow.stored_at,
        )
        .join(ReceiptRow, ReceiptRow.envelope_id == OutboxRow.envelope_id)
        .order_by(OutboxRow.seq.desc())
        .limit(sample)
    ).all()
    for peer, due, signed, kept in delivered:
        if peer not in upper:
            upper[peer] = ((signed - due).total_seconds(), kept)
            bound = (signed - kept).total_seconds()
            if peer not in lower or lower[peer][0] < bound:
                lower[peer] = (bound, max(kept, lower.get(peer, (0.0, kept))[1]))
    samples = []
    for peer in sorted(lower.keys() | upper.keys()):
        seen = [pair for pair in (lower.get(peer), upper.get(peer)) if pair is not None]
        observed = max(at for _, at in seen)
        at_least = lower[peer][0] if peer in lower else None
        at_most = upper[peer][0] if peer in upper else None
        samples.append(ClockSample(peer, at_least, at_most, observed))
    return samples
