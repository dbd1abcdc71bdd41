"""Receiving: verify, de-duplicate, apply and acknowledge envelopes (one or a batch per
transaction), keep the refusals where they belong, and the 24/7 view of what was received.

Exactly-once effect = at-least-once delivery (the worker retries until a signed receipt comes
back) + de-duplication by envelope id in the same transaction as the handler's effect.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hanoix.errors import HanoixError, NotFoundError, PermissionDeniedError
from hanoix.federation import codec
from hanoix.federation.batch import BatchSigner, batch_digests, verify_batch
from hanoix.federation.directory import Directory
from hanoix.federation.envelope import (
    BATCHED_VERSION,
    EnvelopeHeader,
    OpenedEnvelope,
    ParsedEnvelope,
    check_time,
    claimed_sender,
    decrypt,
    read_envelope,
    sender_key,
    signed_by_batch,
    verify_signature,
)
from hanoix.federation.errors import UNAUTHENTICATED_REASONS, EnvelopeRejectedError, Reason
from hanoix.federation.handlers import Handler
from hanoix.federation.identity import NodeIdentity
from hanoix.federation.receipts import sign_batch_receipts, sign_receipt
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.logs import get_logger
from hanoix.requests import Role, User
from hanoix.services import custody
from hanoix.services.federation.messages import InboundResult
from hanoix.services.federation.peers import Peers
from hanoix.services.federation.state import sqlite_turn
from hanoix.services.monitoring import note_clock
from hanoix.store import federation as store
from hanoix.store import ledger as ledger_store
from hanoix.store import requests as request_store
from hanoix.store.db import take_sqlite_write_lock
from hanoix.store.requests import Visibility

if TYPE_CHECKING:
    from hanoix.services.node import Node

_log = get_logger("hanoix.federation")


class _SavepointsNeededError(Exception):
    """An envelope of a batch applied without savepoints failed after writing: the batch's
    transaction is rolled back and applied again with a savepoint per envelope."""


@dataclass(frozen=True)
class _Checked:
    """An envelope read and authenticated (steps 1 to 4), with what steps 6 to 8 came to:
    opened, its handler and its signed receipt, or the refusal to answer if it is no repeat."""

    parsed: ParsedEnvelope
    now: datetime
    opened: OpenedEnvelope | None = None
    handler: Handler[Node] | None = None
    receipt: dict[str, Any] | None = None
    refusal: EnvelopeRejectedError | None = None

    @property
    def header(self) -> EnvelopeHeader:
        return self.parsed.header


#: What vouches for the ``hanoix-envelope/2`` of a request: the signer of its batch, the
#: refusal of that batch's signature (each such envelope is refused with it), or nothing (the
#: request had no ``batch`` member: they are refused).
BatchCheck = BatchSigner | EnvelopeRejectedError | None


def _inbox_row(checked: _Checked) -> dict[str, Any]:
    """The inbox row of an envelope taken new (:func:`store.add_inbox`'s arguments)."""
    header = checked.header
    assert checked.opened is not None
    return dict(
        envelope_id=header.id,
        sender=header.sender,
        type=header.type,
        urgent=header.urgent,
        in_reply_to=header.in_reply_to,
        created_at=header.created,
        expires_at=header.expires,
        received_at=checked.now,
        digest=checked.parsed.digest,
        payload=json.dumps(checked.opened.payload, sort_keys=True, ensure_ascii=False),
        # Without a receipt yet, a batch receipt is kept by _sign_taken before the commit.
        receipt="" if checked.receipt is None else json.dumps(checked.receipt, sort_keys=True),
    )


class Inbox(Peers):
    """The receiving side of the node's federation."""

    def process_inbound(self, data: bytes, *, batch: BatchCheck = None) -> InboundResult:
        """Verify, de-duplicate, apply and acknowledge one envelope, in one transaction.
        ``batch``: the signer of the batch it came in (a ``hanoix-envelope/2`` needs one).

        Raises :class:`EnvelopeRejectedError` when it is refused (counted, or recorded in the
        ledger if a node of the directory signed it: :meth:`record_rejection`).
        """
        try:
            checked = self._check_one(data, batch)
            try:
                with self._writer(checked.header.urgent):
                    return self._inbound(checked)
            except IntegrityError:
                # A concurrent delivery of the same envelope won the race: answer as a repeat.
                with self._writer(checked.header.urgent):
                    return self._inbound(checked)
        except EnvelopeRejectedError as rejection:
            self.record_rejection(rejection, data)
            raise

    def process_inbound_batch(
        self, items: list[bytes], *, batch_receipts: bool = False, signed_batch: object = None
    ) -> list[InboundResult | EnvelopeRejectedError | None]:
        """Take several envelopes in **one** transaction: an envelope refused rolls back only
        its own writes (without a savepoint each while none is refused after writing, which
        is the usual case: :meth:`_apply_batch`). Nothing is answered before the
        transaction commits, so every receipt returned is for an effect that is durable, and
        a repeat finds the row as with single deliveries (exactly-once effect unchanged).
        Rejections are recorded in the ledger afterwards, as for single deliveries. ``None``
        stands for an internal error (the sender retries that envelope).

        The signatures, decryptions and receipts are worked out before the transaction (they
        depend on no row), so that the write turn lasts only as long as the writes: an urgent
        batch waiting for it is not held up by another batch's cryptography.

        ``batch_receipts``: answer ``hanoix-receipt/2`` receipts, one signature for the
        envelopes of each sender that this transaction takes (signed inside it, once it is
        known which were taken, so that the signed root covers nothing refused); otherwise
        one ``hanoix-receipt/1`` receipt per envelope, signed beforehand. A repeat is answered
        with the receipt kept for it, whichever version that is.

        ``signed_batch``: the request's ``batch`` member (``hanoix-batch/1``), the sender's one
        signature over every envelope of ``items``; checked once, it vouches for the
        ``hanoix-envelope/2`` among them (``None``: there was none)."""
        results: list[InboundResult | EnvelopeRejectedError | None] = [None] * len(items)
        checked: dict[int, _Checked] = {}
        alone: list[int] = []
        now = self.node.clock.now()
        with self.node.unit_of_work() as session:
            identity, directory = self.identity(session), self.directory(session)
        with self._checking(items):
            batch = self._batch_signer(signed_batch, items, identity, directory, now)
            for index, data in enumerate(items):
                try:
                    checked[index] = self._check(
                        data, identity, directory, now, receipt=not batch_receipts, batch=batch
                    )
                except EnvelopeRejectedError as rejection:
                    results[index] = rejection
                except Exception:  # noqa: BLE001  (one bad envelope must not fail the rest)
                    _log.exception("federation.inbound_crashed", index=index)
                    alone.append(index)
        urgent = any(envelope.header.urgent for envelope in checked.values())
        with self._writer(urgent):
            try:
                taken, retry = self._apply_batch(
                    checked, results, identity, directory, now, batch_receipts, savepoints=False
                )
            except _SavepointsNeededError:
                # Nothing of that attempt was kept: the batch again, each envelope in a
                # savepoint of its own, so that the one that failed rolls back alone.
                for index in checked:
                    results[index] = None
                taken, retry = self._apply_batch(
                    checked, results, identity, directory, now, batch_receipts, savepoints=True
                )
        alone += retry
        for index, result in enumerate(results):
            if isinstance(result, EnvelopeRejectedError):
                self.record_rejection(result, items[index])
        for index in taken:
            result = results[index]
            if isinstance(result, InboundResult):
                self._taken(checked[index].header, result)
        for index in alone:
            try:
                results[index] = self.process_inbound(items[index], batch=batch)
            except EnvelopeRejectedError as rejection:
                results[index] = rejection
            except Exception:  # noqa: BLE001  (answered as an internal error: retried)
                _log.exception("federation.inbound_crashed", index=index)
        return results

    @staticmethod
    def _batch_signer(
        signed_batch: object,
        items: list[bytes],
        identity: NodeIdentity,
        directory: Directory | None,
        now: datetime,
    ) -> BatchCheck:
        if signed_batch is None:
            return None
        if directory is None:
            return EnvelopeRejectedError(
                Reason.UNKNOWN_SENDER, "signed batch: this node has no directory yet"
            )
        try:
            return verify_batch(
                signed_batch,
                batch_digests(items),
                recipient=identity.origin,
                directory=directory,
                now=now,
            )
        except EnvelopeRejectedError as refusal:
            return refusal

    def _checking(self, items: list[bytes]) -> contextlib.AbstractContextManager[Any]:
        """The checks of an ordinary batch (signatures, decryption: CPU under the GIL) run one
        batch at a time in this process; an urgent batch's (the sender sends urgent envelopes
        in requests of their own) at once. Several batches checked side by side take no less
        time in all, but each thread then gets the GIL a share of the time: the batch holding
        the write turn, and an urgent envelope's steps, waited behind all of them."""
        try:
            urgent = read_envelope(items[0]).header.urgent if items else False
        except EnvelopeRejectedError:
            urgent = False
        return contextlib.nullcontext() if urgent else self.state.ordinary_checks

    def _apply_batch(
        self,
        checked: dict[int, _Checked],
        results: list[InboundResult | EnvelopeRejectedError | None],
        identity: NodeIdentity,
        directory: Directory | None,
        now: datetime,
        batch_receipts: bool,
        *,
        savepoints: bool,
    ) -> tuple[list[int], list[int]]:
        """Apply the ``checked`` envelopes of a batch in one transaction, filling ``results``;
        return the indices taken and those to be delivered again alone.

        Without ``savepoints`` (the first attempt), an envelope refused before anything was
        written for it (a repeat with other content, a refusal :meth:`_check` kept) is
        answered as usual, but any failure once its inbox row or its handler has written
        raises :class:`_SavepointsNeededError` out of the transaction, which rolls it all back: the
        caller then applies the batch again with a savepoint per envelope (two statements
        each, most of the write turn's work for a batch of small messages), where a refusal
        rolls back only its own envelope's writes. A batch where every envelope is taken or
        refused up front, the usual case, pays for no savepoint."""
        taken: list[int] = []
        retry: list[int] = []
        with self.node.unit_of_work() as session:
            if self.node.engine.dialect.name == "sqlite":
                # Taken before the lookup below, not left to the write lock the store takes at
                # the first write: which envelopes were taken before must be read under the lock,
                # or another process could take one between that read and these writes.
                raw = session.connection().connection.dbapi_connection
                assert isinstance(raw, sqlite3.Connection)
                take_sqlite_write_lock(raw)
            # One query for the batch instead of one per envelope: which were taken before.
            received = store.inbox_ids_among(
                session, [envelope.header.id for envelope in checked.values()]
            )
            inserted = set() if savepoints else self._insert_new(session, checked, received)
            for index, envelope in checked.items():
                try:
                    if savepoints:
                        with session.begin_nested():
                            results[index] = self._apply(session, envelope, received)
                    else:
                        results[index] = self._apply(
                            session, envelope, received, atomic=False, inserted=inserted
                        )
                    taken.append(index)
                except _SavepointsNeededError:
                    raise
                except EnvelopeRejectedError as rejection:
                    results[index] = rejection
                except IntegrityError:
                    retry.append(index)  # a concurrent delivery of it won: answered alone
                except Exception:  # noqa: BLE001  (one bad envelope must not fail the rest)
                    _log.exception("federation.inbound_crashed", index=index)
                    retry.append(index)
                if retry and not savepoints:
                    raise _SavepointsNeededError
            if batch_receipts:
                self._sign_taken(session, identity, directory, now, checked, taken, results)
        return taken, retry

    def _insert_new(
        self, session: Session, checked: dict[int, _Checked], received: set[str]
    ) -> set[str]:
        """Insert, in one statement, the inbox rows of the envelopes about to be taken new (not
        taken before, not refused by :meth:`_check`), before their handlers run, as
        :meth:`_take` would one by one; return their ids. A failure (a concurrent delivery of
        one of them, an id twice in the batch) has the batch applied again with savepoints,
        where each is inserted alone and the one that failed is answered alone."""
        fresh = [
            envelope
            for envelope in checked.values()
            if envelope.header.id not in received and envelope.refusal is None
        ]
        try:
            store.add_inbox_many(session, [_inbox_row(envelope) for envelope in fresh])
        except Exception as exc:
            raise _SavepointsNeededError from exc
        return {envelope.header.id for envelope in fresh}

    def _sign_taken(
        self,
        session: Session,
        identity: NodeIdentity,
        directory: Directory | None,
        now: datetime,
        checked: dict[int, _Checked],
        taken: list[int],
        results: list[InboundResult | EnvelopeRejectedError | None],
    ) -> None:
        """Sign the ``hanoix-receipt/2`` receipts of the envelopes taken new in this
        transaction (one signature per sender), keep each in its inbox row and answer it."""
        fresh: dict[str, list[int]] = {}
        for index in taken:
            result = results[index]
            if isinstance(result, InboundResult) and not result.duplicate:
                fresh.setdefault(checked[index].header.sender, []).append(index)
        if not fresh:
            return
        assert directory is not None  # _check refused every envelope without one
        signer = identity.signing_key(directory, now)
        kept: list[tuple[str, str]] = []
        for indices in fresh.values():
            envelopes = [(checked[i].header, checked[i].parsed.digest) for i in indices]
            for index, receipt in zip(
                indices, sign_batch_receipts(envelopes, now, signer), strict=True
            ):
                answer = receipt.as_dict()
                kept.append((receipt.envelope_id, json.dumps(answer, sort_keys=True)))
                results[index] = InboundResult(answer, False, receipt.envelope_id)
        store.set_inbox_receipts(session, kept)

    def _writer(self, urgent: bool) -> contextlib.AbstractContextManager[None]:
        """One inbox transaction at a time per process, urgent ones first (on SQLite)."""
        return sqlite_turn(self.state.inbound_turns, self.node.engine.dialect.name, urgent=urgent)

    def _check_one(self, data: bytes, batch: BatchCheck = None) -> _Checked:
        now = self.node.clock.now()
        with self.node.unit_of_work() as session:
            identity, directory = self.identity(session), self.directory(session)
        return self._check(data, identity, directory, now, batch=batch)

    def _inbound(self, checked: _Checked) -> InboundResult:
        with self.node.unit_of_work() as session:
            result = self._apply(session, checked, None)
        self._taken(checked.header, result)
        return result

    def _taken(self, header: EnvelopeHeader, result: InboundResult) -> None:
        # The envelope's id is in the sender's log too (federation.delivered): one message
        # can be followed across the two States' logs.
        if result.duplicate:
            return
        if header.urgent:
            _log.warning(
                "federation.urgent_received",
                envelope=header.id,
                sender=header.sender,
                type=header.type,
            )
        else:
            _log.info(
                "federation.received", envelope=header.id, sender=header.sender, type=header.type
            )

    def _check(
        self,
        data: bytes,
        identity: NodeIdentity,
        directory: Directory | None,
        now: datetime,
        *,
        receipt: bool = True,
        batch: BatchCheck = None,
    ) -> _Checked:
        """Steps 1 to 4, which raise; then steps 6 to 8 and (unless ``receipt`` is false: a
        batch receipt is signed later, for all) the receipt, worked out but kept
        (a refusal among them is raised by :meth:`_apply` only if the envelope is no repeat:
        a repeat is answered with its first receipt, whatever its times say now). Reads no
        row and writes nothing."""
        parsed = read_envelope(data)
        header = parsed.header
        if header.recipient != identity.origin:
            raise EnvelopeRejectedError(
                Reason.WRONG_RECIPIENT,
                f"envelope step 2: addressed to {header.recipient!r}, this node is "
                f"{identity.origin!r}",
                envelope_id=header.id,
            )
        if directory is None:
            raise EnvelopeRejectedError(
                Reason.UNKNOWN_SENDER,
                "envelope step 3: this node has no directory yet",
                envelope_id=header.id,
            )
        if parsed.version == BATCHED_VERSION:
            if isinstance(batch, EnvelopeRejectedError):
                # The batch's signature was refused: so is each envelope it was to vouch for.
                raise EnvelopeRejectedError(batch.reason, batch.detail, envelope_id=header.id)
            parsed = signed_by_batch(parsed, batch)
        else:
            verify_signature(parsed, sender_key(parsed, directory, now))
        # Made by the peer's clock before it reached ours: the peer is at least this far ahead.
        note_clock(
            header.sender,
            at_least=(header.created - now).total_seconds(),
            at_most=None,
            tolerance=self.settings.clock_tolerance,
            seen="envelope",
        )
        try:
            check_time(header, now, self.settings.skew)
            own = identity.decryption_key(parsed.recipient_key)
            if own is None:
                raise EnvelopeRejectedError(
                    Reason.UNDECRYPTABLE,
                    f"envelope step 6: encrypted to key {parsed.recipient_key}, which this "
                    "node does not hold",
                    envelope_id=header.id,
                )
            payload = decrypt(parsed, own, self.state.opening)
            opened = OpenedEnvelope(header, payload, parsed.digest, parsed.sender_key)
            message_type = self.handlers.get(header.type)
            if message_type is None:
                raise EnvelopeRejectedError(
                    Reason.UNKNOWN_TYPE,
                    f"this node handles no message type {header.type!r}",
                    envelope_id=header.id,
                )
        except EnvelopeRejectedError as refusal:
            return _Checked(parsed, now, refusal=refusal)
        if not receipt:
            return _Checked(parsed, now, opened, message_type.handler)
        signed = sign_receipt(header, parsed.digest, now, identity.signing_key(directory, now))
        return _Checked(parsed, now, opened, message_type.handler, signed.as_dict())

    def _apply(
        self,
        session: Session,
        checked: _Checked,
        received: set[str] | None,
        *,
        atomic: bool = True,
        inserted: set[str] | None = None,
    ) -> InboundResult:
        """Step 5 and the effect, in the caller's transaction (never commits): a repeat is
        answered with its first receipt; otherwise the refusal :meth:`_check` kept is raised,
        or the inbox row, the handler's writes and the receipt go in together.
        ``received``: the ids of the caller's batch already in the inbox (looked up
        together), when it did. Not ``atomic`` (no savepoint around this envelope): a
        failure once something was written raises :class:`_SavepointsNeededError` instead (a
        refusal raised before, with nothing written, is raised as it is). ``inserted``: the
        ids whose inbox rows the caller inserted already (:meth:`_insert_new`)."""
        parsed, header = checked.parsed, checked.header
        maybe_taken = received is None or header.id in received
        existing = store.get_inbox(session, header.id) if maybe_taken else None
        if existing is not None:
            if atomic:
                return self._repeat(session, parsed.digest, existing)
            try:
                return self._repeat(session, parsed.digest, existing)
            except EnvelopeRejectedError:
                raise  # a replay with other content: refused before any write
            except Exception as exc:
                raise _SavepointsNeededError from exc
        if checked.refusal is not None:
            raise checked.refusal
        assert checked.opened is not None and checked.handler is not None
        if atomic:
            return self._take(session, checked)
        try:
            return self._take(session, checked, inserted=header.id in (inserted or ()))
        except Exception as exc:
            raise _SavepointsNeededError from exc

    def _take(
        self, session: Session, checked: _Checked, *, inserted: bool = False
    ) -> InboundResult:
        """The inbox row (unless ``inserted`` already) and the handler's effect of an
        envelope taken new."""
        header = checked.header
        assert checked.opened is not None and checked.handler is not None
        if not inserted:
            store.add_inbox(session, **_inbox_row(checked))
        try:
            checked.handler(self.node, session, checked.opened)
        except EnvelopeRejectedError:
            raise
        except HanoixError as refusal:
            raise EnvelopeRejectedError(
                Reason.BAD_PAYLOAD,
                f"the {header.type} handler refused it: {refusal.message}",
                envelope_id=header.id,
            ) from None
        return InboundResult(checked.receipt or {}, False, header.id)

    def _repeat(self, session: Session, digest: str, existing: store.InboxItem) -> InboundResult:
        if existing.digest != digest:
            raise EnvelopeRejectedError(
                Reason.REPLAY,
                f"an envelope with id {existing.envelope_id} was already received at "
                f"{codec.format_time(existing.received_at)} with other content",
                envelope_id=existing.envelope_id,
            )
        # The same bytes again: the sender did not get our answer. No effect; same receipt.
        # Anyone who saw the bytes can send them again, so a repeat is counted, not appended
        # to the ledger (the envelope's own entry records what it did, once).
        store.count_duplicate(session, existing.envelope_id)
        store.count_refusal(
            session,
            existing.sender,
            Reason.REPLAY.value,
            f"a repeat of envelope {existing.envelope_id}: no effect; the original receipt was "
            "sent again",
            self.node.clock.now(),
        )
        _log.info("federation.duplicate", envelope=existing.envelope_id, sender=existing.sender)
        return InboundResult(json.loads(existing.receipt), True, existing.envelope_id)

    def _rejection_event(
        self, envelope_id: str, sender: str | None, type: str | None, reason: Reason, detail: str
    ) -> CustodyEvent:
        return CustodyEvent(
            kind=EventKind.ENVELOPE_REJECTED,
            actor="federation",
            authority=self.node.settings.state or "node",
            at=self.node.clock.now(),
            subject={"envelope": envelope_id},
            details={
                "reason": reason.value,
                "sender": sender,
                "type": type,
                "detail": detail[:1000],
            },
        )

    def record_rejection(self, rejection: EnvelopeRejectedError, data: bytes) -> None:
        """Log the refusal, and keep it where it belongs (in a transaction of its own).

        A refusal before the sender is authenticated (garbage, an unknown or forged sender, a
        bad signature, an envelope for another node) says nothing about custody and anyone can
        cause it: it is counted in ``federation_refusals`` per sender and reason, never
        appended to the ledger. A refusal of an envelope a node of the directory signed is a
        custody fact about that node's message: it is appended once per envelope and reason,
        and a repeat of it is counted. docs/ledger.md, "What reaches the ledger".
        """
        sender = message_type = None
        with contextlib.suppress(EnvelopeRejectedError):
            header = read_envelope(data).header
            sender, message_type = header.sender, header.type
        if rejection.reason is Reason.UNSUPPORTED_VERSION:
            # Refused before its header was read: the name it claims, counted only if listed.
            with contextlib.suppress(codec.FieldError):
                sender = claimed_sender(codec.json_object(data, "envelope"))
        subject = rejection.envelope_id or "sha256:" + hashlib.sha256(data).hexdigest()
        _log.warning(
            "federation.envelope_rejected",
            reason=rejection.reason.value,
            envelope=subject,
            sender=sender,
            detail=rejection.detail[:300],
        )
        now = self.node.clock.now()
        with self.node.unit_of_work() as session:
            if rejection.reason in UNAUTHENTICATED_REASONS or sender is None:
                known = self._listed_sender(session, sender)
                store.count_refusal(session, known, rejection.reason.value, rejection.detail, now)
                return
            if self._rejection_recorded(session, subject, rejection.reason):
                store.count_refusal(session, sender, rejection.reason.value, rejection.detail, now)
                return
            custody.record(
                session,
                self._rejection_event(
                    subject, sender, message_type, rejection.reason, rejection.detail
                ),
                clock=self.node.clock,
            )

    def _listed_sender(self, session: Session, sender: str | None) -> str:
        """``sender`` if the directory lists it, else :data:`store.UNKNOWN_SENDER`: a name
        nobody vouched for never becomes a row of its own."""
        directory = self.directory(session)
        if sender is None or directory is None or directory.node(sender) is None:
            return store.UNKNOWN_SENDER
        return sender

    @staticmethod
    def _rejection_recorded(session: Session, envelope: str, reason: Reason) -> bool:
        return any(
            json.loads(entry.entry).get("details", {}).get("reason") == reason.value
            for entry in ledger_store.entries_about(session, "envelope", envelope)
        )

    def refusals(self) -> list[store.Refusal]:
        """The counts of envelopes refused without a ledger entry, the most recent first."""
        with self.node.unit_of_work() as session:
            return store.list_refusals(session)

    # the 24/7 view

    def acknowledge(self, envelope_id: str, user: User) -> bool:
        """Mark a received message seen, as ``user``; False when it was seen already.

        A message the user may not see answers exactly like a missing one; only its handling
        authority marks a message about a request seen (see :func:`inbox_view`)."""
        _require_inbox_role(user, INBOX_HANDLERS, "acknowledge a received message")
        with self.node.unit_of_work() as session:
            item = _visible_item(self.node, session, user, envelope_id)
            if item.request_reference is not None:
                request = request_store.load(session, item.request_reference)
                if request is not None:
                    # Visible to the user (checked above, with the requests' own rule): acting
                    # on it is the handling authority's, as every step on a request is.
                    authority = user.authority
                    if authority is None or authority.code != request.handled_by:
                        raise PermissionDeniedError(
                            f"message {envelope_id} is about request {request.reference}, "
                            f"handled by {request.handled_by}; only that authority marks it "
                            "seen"
                        )
            return store.acknowledge(session, envelope_id, user.id, self.node.clock.now())


@dataclass(frozen=True)
class InboxMessage:
    """A received message as the 24/7 view shows it."""

    envelope_id: str
    sender: str
    type: str
    urgent: bool
    in_reply_to: str | None
    created_at: datetime
    received_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    payload: dict[str, Any]
    #: The request the message is about, when this node holds it (shown only to those who
    #: may see that request, as the message itself is).
    request_reference: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "envelope_id": self.envelope_id,
            "sender": self.sender,
            "type": self.type,
            "urgent": self.urgent,
            "in_reply_to": self.in_reply_to,
            "created_at": codec.format_time(self.created_at),
            "received_at": codec.format_time(self.received_at),
            "acknowledged_at": (
                codec.format_time(self.acknowledged_at) if self.acknowledged_at else None
            ),
            "acknowledged_by": self.acknowledged_by,
            "payload": self.payload,
        }


INBOX_READERS = frozenset({Role.DRAFTER, Role.APPROVER, Role.OFFICER_24_7, Role.AUDITOR})
"""Who reads the 24/7 view: incoming messages are case material, for those who handle
cooperation (and their auditors); administrators run the node and see no case content."""
INBOX_HANDLERS = frozenset({Role.OFFICER_24_7, Role.DRAFTER})
"""Who marks a received message seen: those on duty for cooperation."""


def _require_inbox_role(user: User, roles: frozenset[Role], what: str) -> None:
    if not user.has_any(roles):
        raise PermissionDeniedError(f"to {what} needs one of the roles: {', '.join(sorted(roles))}")


def _inbox_visibility(node: Node, user: User) -> tuple[Visibility, bool] | None:
    """What of the inbox ``user`` may see: the requests' visibility rule for messages about a
    request held here, and whether messages about none (pings, free notices, addressed to the
    node) are theirs too: they are for the node's own State. None: nothing at all."""
    authority = user.authority
    if authority is None:
        return None
    own_state = node.settings.state
    return (
        Visibility(authority.state, authority.code),
        own_state is None or own_state == authority.state,
    )


def _reader_visibility(node: Node, user: User) -> tuple[Visibility, bool] | None:
    """:func:`_inbox_visibility` for a reader of the 24/7 view (refused without the role)."""
    _require_inbox_role(user, INBOX_READERS, "read the 24/7 view")
    return _inbox_visibility(node, user)


def _visible_item(node: Node, session: Session, user: User, envelope_id: str) -> store.InboxItem:
    seen = _inbox_visibility(node, user)
    item = None
    if seen is not None:
        visibility, unlinked = seen
        item = store.get_visible_inbox(session, envelope_id, visibility, unlinked=unlinked)
    if item is None:
        # Missing, or about a request this user may not see: one answer for both.
        raise NotFoundError(f"no received message {envelope_id}")
    return item


def inbox_view(
    node: Node, user: User, *, pending_only: bool = True, limit: int = 100
) -> list[InboxMessage]:
    """The 24/7 view as ``user`` may see it: received messages, urgent ones first.

    A message about a request is shown only to those who may see the request (the one rule
    of :func:`hanoix.requests.check_visible`, applied by the store as
    :func:`hanoix.store.requests.visible_to`): a restricted request's messages only to its
    handling authority. ``pending_only`` leaves out those already marked seen."""
    seen = _reader_visibility(node, user)
    if seen is None:
        return []
    visibility, unlinked = seen
    with node.reading() as session:  # one query
        items = store.list_inbox(
            session, visibility, unlinked=unlinked, pending_only=pending_only, limit=limit
        )
    return [
        InboxMessage(
            item.envelope_id,
            item.sender,
            item.type,
            item.urgent,
            item.in_reply_to,
            item.created_at,
            item.received_at,
            item.acknowledged_at,
            item.acknowledged_by,
            json.loads(item.payload),
            item.request_reference,
        )
        for item in items
    ]


def pending_inbox_ids(node: Node, user: User, *, limit: int = 100) -> list[str]:
    """The envelope ids of :func:`inbox_view`'s pending messages for ``user``, in its order,
    read without the messages: a desk asks every second whether its list changed, and most
    of the time it has not."""
    seen = _reader_visibility(node, user)
    if seen is None:
        return []
    visibility, unlinked = seen
    with node.reading() as session:  # one query: its own snapshot is the answer
        return store.list_inbox_ids(session, visibility, unlinked=unlinked, limit=limit)
