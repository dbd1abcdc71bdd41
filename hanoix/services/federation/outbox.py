"""Sending: seal a message into the outbox in the caller's unit of work, queue an evidence
package, and keep the receipt when the worker delivered an envelope."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from hanoix.evidence.errors import EvidenceInputError
from hanoix.evidence.keys import KeyKind
from hanoix.evidence.verify import verify as verify_package
from hanoix.federation import codec
from hanoix.federation.envelope import (
    BATCHED_VERSION,
    EnvelopeHeader,
    SealedEnvelope,
    new_envelope_id,
    seal_batched_envelope,
    seal_envelope,
)
from hanoix.federation.errors import UnknownPeerError
from hanoix.federation.receipts import Receipt
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.services import custody
from hanoix.services.federation.messages import PACKAGE, Message, after_commit
from hanoix.services.federation.peers import Peers
from hanoix.services.federation.wakeup import wake_workers
from hanoix.store import federation as store


class Outbox(Peers):
    """The sending side of the node's federation."""

    def enqueue(self, session: Session, message: Message) -> SealedEnvelope:
        """Seal ``message`` and put it in the outbox, in the caller's transaction."""
        now = self.node.clock.now()
        sealed, row = self._seal(session, message, now)
        store.add_outbox(session, **row)
        self._signal(session, urgent=sealed.header.urgent)
        return sealed

    def enqueue_many(self, session: Session, messages: Sequence[Message]) -> list[SealedEnvelope]:
        """Seal ``messages`` and put them in the outbox, in the caller's transaction, in that
        order: all are sealed first, then written in one statement (for a caller with many
        to queue at once, such as a list in parts; measured with 200 small messages, about
        half the CPU of :meth:`enqueue` for each). Nothing is queued if one cannot be sealed."""
        now = self.node.clock.now()
        sealed: list[SealedEnvelope] = []
        rows: list[dict[str, Any]] = []
        for message in messages:
            envelope, row = self._seal(session, message, now)
            sealed.append(envelope)
            rows.append(row)
        store.add_outbox_many(session, rows)
        if sealed:
            self._signal(session, urgent=any(envelope.header.urgent for envelope in sealed))
        return sealed

    def _seal(
        self, session: Session, message: Message, now: datetime
    ) -> tuple[SealedEnvelope, dict[str, Any]]:
        """The sealed envelope of ``message`` and its outbox row (not yet written)."""
        directory = self.require_directory(session)
        identity = self.identity(session)
        origin = identity.origin
        entry = directory.node(message.recipient)
        if entry is None:
            raise UnknownPeerError(f"the directory lists no node {message.recipient!r}")
        if entry.origin == origin:
            raise UnknownPeerError("a node does not send envelopes to itself")
        recipient_key = entry.current_key(KeyKind.ENCRYPTION, now)
        if recipient_key is None:
            raise UnknownPeerError(
                f"{entry.origin!r} has no usable encryption key in the directory (serial "
                f"{directory.serial}): its keys are revoked or expired"
            )
        urgent = self.handlers.is_urgent(message.type) if message.urgent is None else message.urgent
        header = EnvelopeHeader(
            id=new_envelope_id(),
            sender=origin,
            recipient=entry.origin,
            type=message.type,
            created=now,
            expires=now + (message.ttl or self.settings.lifetime),
            in_reply_to=message.in_reply_to,
            urgent=urgent,
        )
        public = recipient_key.public(entry.origin, entry.state)
        if self.settings.envelope_version == BATCHED_VERSION and message.transfer_id is None:
            # A transfer's envelope is announced alone, before its chunks: it keeps version 1.
            sealed = seal_batched_envelope(
                header, message.payload, sessions=self.state.sealing, recipient_key=public
            )
        else:
            sealed = seal_envelope(
                header,
                message.payload,
                signer=identity.signing_key(directory, now),
                recipient_key=public,
            )
        row: dict[str, Any] = dict(
            envelope_id=header.id,
            recipient=header.recipient,
            type=header.type,
            urgent=urgent,
            in_reply_to=header.in_reply_to,
            envelope=sealed.data,
            digest=sealed.digest,
            created_at=now,
            expires_at=header.expires,
            transfer_id=message.transfer_id,
        )
        return sealed, row

    def _signal(self, session: Session, *, urgent: bool) -> None:
        """Wake the delivery workers once the caller's transaction commits."""
        after_commit(session, self.state.outbox_signal.set)
        if urgent:
            after_commit(session, self.state.urgent_signal.set)
            # The workers of other processes on this host too (they would find it at a poll).
            after_commit(session, partial(wake_workers, self.node.settings.home))

    def send_package(
        self,
        session: Session,
        recipient: str,
        package: Path,
        *,
        in_reply_to: str | None = None,
        urgent: bool | None = None,
    ) -> SealedEnvelope:
        """Queue an evidence package for ``recipient``: it is verified here, kept in the blob
        store, sent in resumable chunks, verified again on arrival, then announced."""
        try:
            with package.open("rb") as handle:
                verified = verify_package(handle)
                handle.seek(0)
                blob_key = self.node.blobs.put(handle)
        except OSError as exc:
            raise EvidenceInputError(f"cannot read the package {package}: {exc.strerror}") from None
        sha256 = blob_key.removeprefix("sha256:")
        size = package.stat().st_size
        transfer_id = new_envelope_id()
        store.add_transfer(
            session,
            id=transfer_id,
            direction="out",
            peer=recipient,
            sha256=sha256,
            size=size,
            now=self.node.clock.now(),
            blob_key=blob_key,
            package_id=verified.package_id,
        )
        payload = {
            "transfer": transfer_id,
            "sha256": sha256,
            "size": size,
            "package_id": verified.package_id,
            "request": verified.header.request,
        }
        return self.enqueue(
            session,
            Message(
                recipient,
                PACKAGE,
                payload,
                in_reply_to=in_reply_to,
                urgent=urgent,
                transfer_id=transfer_id,
            ),
        )

    def record_deliveries(
        self, session: Session, delivered: list[tuple[store.OutboxItem, Receipt, dict[str, Any]]]
    ) -> None:
        """Keep the receipts of envelopes without a transfer and mark them delivered, in a
        few statements for the whole batch (a transfer's delivery has more to record:
        :meth:`record_delivery`)."""
        if any(item.transfer_id is not None for item, _, _ in delivered):
            raise ValueError("an envelope with a transfer is recorded by record_delivery")
        store.record_deliveries(
            session,
            [
                store.Delivered(
                    envelope_id=item.envelope_id,
                    recipient=item.recipient,
                    digest=item.digest,
                    received_at=receipt.received,
                    receipt=json.dumps(raw, sort_keys=True),
                )
                for item, receipt, raw in delivered
            ],
            self.node.clock.now(),
        )

    def record_delivery(
        self, session: Session, item: store.OutboxItem, receipt: Receipt, raw: dict[str, Any]
    ) -> bool:
        """Keep the receipt and mark the envelope delivered; False if already so."""
        now = self.node.clock.now()
        store.add_receipt(
            session,
            envelope_id=item.envelope_id,
            recipient=item.recipient,
            digest=item.digest,
            received_at=receipt.received,
            stored_at=now,
            receipt=json.dumps(raw, sort_keys=True),
        )
        changed = store.mark_delivered(session, item.envelope_id, now)
        if changed and item.transfer_id is not None:
            transfer = store.get_transfer(session, item.transfer_id)
            if transfer is not None and transfer.package_id is not None:
                store.update_transfer(session, transfer.id, now, status="delivered")
                custody.record(
                    session,
                    CustodyEvent(
                        kind=EventKind.PACKAGE_SENT,
                        actor="federation",
                        authority=self.node.settings.state or item.recipient,
                        at=now,
                        subject={"package": transfer.package_id},
                        details={
                            "to": item.recipient,
                            "envelope": item.envelope_id,
                            "receipt_signed_at": codec.format_time(receipt.received),
                            "receipt_key": receipt.key_id,
                        },
                    ),
                    clock=self.node.clock,
                )
        return changed

    # receiving
