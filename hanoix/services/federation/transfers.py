"""Evidence transfers, receiving side: a peer announces a transfer with its signed envelope,
sends it in resumable chunks (hashed while written, see :mod:`.staging`), then delivers the
``evidence.package`` envelope whose handler verifies the package and keeps it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from hanoix.evidence.errors import EvidenceInputError, PackageVerificationError
from hanoix.evidence.verify import verify as verify_package
from hanoix.federation import codec
from hanoix.federation.envelope import (
    OpenedEnvelope,
    check_time,
    decrypt,
    read_envelope,
    sender_key,
    verify_signature,
)
from hanoix.federation.errors import (
    EnvelopeRejectedError,
    Reason,
    TransferConflictError,
    TransferError,
    TransferNotAnnouncedError,
)
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.services import custody
from hanoix.services.federation.messages import PACKAGE, after_commit
from hanoix.services.federation.peers import Peers
from hanoix.services.federation.staging import ChunkWriter
from hanoix.store import federation as store


class Transfers(Peers):
    """Incoming evidence transfers."""

    def incoming_dir(self) -> Path:
        return self.node.settings.home / "federation" / "incoming"

    def staged_file(self, transfer_id: str) -> Path:
        if len(transfer_id) != 32 or any(c not in "0123456789abcdef" for c in transfer_id):
            raise TransferError("a transfer id is 32 lower-case hex digits")
        return self.incoming_dir() / f"{transfer_id}.part"

    def transfer_offset(self, transfer_id: str) -> int:
        """How many bytes of an incoming transfer are held durably (0 if unknown)."""
        path = self.staged_file(transfer_id)
        with self.node.unit_of_work() as session:
            transfer = store.get_transfer(session, transfer_id)
        if transfer is None or transfer.direction != "in":
            return 0
        held = self.state.staged.held_offset(path, transfer.offset)
        self._truncate(path, held, locked=False)
        return held

    def _truncate(self, path: Path, offset: int, *, locked: bool = True) -> None:
        # Bytes past the recorded offset were written but never acknowledged: drop them (not
        # while a chunk is being written: its bytes are past the offset until it finishes).
        lock = self.state.staged.writer_lock(path)
        if not locked and not lock.acquire(blocking=False):
            return
        try:
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_size > offset:
                    os.truncate(path, offset)
        finally:
            if not locked:
                lock.release()

    def announce_transfer(self, transfer_id: str, data: bytes) -> int:
        """A peer announces a transfer with its signed ``evidence.package`` envelope, before
        any chunk: the envelope must pass every check up to decryption (addressed here, a
        directory-listed sender and key, a good signature, in time) and its payload name this
        transfer. Opens the transfer (the size and SHA-256 come from the signed payload) or
        checks it matches the one open; returns the offset held. The envelope itself is *not*
        taken here: it is delivered afterwards like any other."""
        self.staged_file(transfer_id)
        now = self.node.clock.now()
        parsed = read_envelope(data)
        header = parsed.header
        with self.node.unit_of_work() as session:
            identity = self.identity(session)
            if header.recipient != identity.origin:
                raise EnvelopeRejectedError(
                    Reason.WRONG_RECIPIENT,
                    f"transfer announcement addressed to {header.recipient!r}",
                    envelope_id=header.id,
                )
            directory = self.directory(session)
            if directory is None:
                raise EnvelopeRejectedError(
                    Reason.UNKNOWN_SENDER, "this node has no directory yet", envelope_id=header.id
                )
        verify_signature(parsed, sender_key(parsed, directory, now))
        check_time(header, now, self.settings.skew)
        if header.type != PACKAGE:
            raise EnvelopeRejectedError(
                Reason.BAD_PAYLOAD,
                f"a transfer is announced by an {PACKAGE} envelope, not {header.type!r}",
                envelope_id=header.id,
            )
        own = identity.decryption_key(parsed.recipient_key)
        if own is None:
            raise EnvelopeRejectedError(
                Reason.UNDECRYPTABLE,
                f"encrypted to key {parsed.recipient_key}, which this node does not hold",
                envelope_id=header.id,
            )
        payload = decrypt(parsed, own)
        try:
            announced = codec.hex_text(payload, "transfer", length=32)
            sha256 = codec.hex_text(payload, "sha256", length=64)
            size = codec.integer(payload, "size", low=1, high=self.settings.max_transfer_bytes)
        except codec.FieldError as exc:
            raise EnvelopeRejectedError(
                Reason.BAD_PAYLOAD, str(exc), envelope_id=header.id
            ) from None
        if announced != transfer_id:
            raise EnvelopeRejectedError(
                Reason.BAD_PAYLOAD,
                f"the envelope announces transfer {announced}, not {transfer_id}",
                envelope_id=header.id,
            )
        with self.node.unit_of_work() as session:
            transfer = store.get_transfer(session, transfer_id, for_update=True)
            if transfer is None:
                transfer = store.add_transfer(
                    session,
                    id=transfer_id,
                    direction="in",
                    peer=header.sender,
                    sha256=sha256,
                    size=size,
                    now=now,
                )
            elif (transfer.direction, transfer.peer, transfer.sha256, transfer.size) != (
                "in",
                header.sender,
                sha256,
                size,
            ):
                raise TransferError(f"transfer {transfer_id} was started with other parameters")
        path = self.staged_file(transfer_id)
        held = self.state.staged.held_offset(path, transfer.offset)
        self._truncate(path, held, locked=False)
        return held

    def begin_chunk(
        self, transfer_id: str, *, offset: int, total: int, sha256: str, sender: str
    ) -> ChunkWriter:
        """Start appending one chunk at ``offset`` of an announced transfer. Write the body
        with :meth:`ChunkWriter.write` as it arrives, then :meth:`ChunkWriter.finish`."""
        path = self.staged_file(transfer_id)
        if not 0 < total <= self.settings.max_transfer_bytes:
            raise TransferError(f"a transfer is from 1 to {self.settings.max_transfer_bytes} bytes")
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise TransferError("Hanoix-Transfer-Sha256 must be 64 lower-case hex digits")
        codec.check_origin(sender)
        lock = self.state.staged.writer_lock(path)
        lock.acquire()
        try:
            with self.node.unit_of_work() as session:
                transfer = store.get_transfer(session, transfer_id)
            if transfer is None or transfer.direction != "in":
                raise TransferNotAnnouncedError(
                    f"transfer {transfer_id} was not announced: POST its signed envelope to "
                    f"/federation/v1/transfers/{transfer_id} first"
                )
            if (transfer.peer, transfer.sha256, transfer.size) != (sender, sha256, total):
                raise TransferError(f"transfer {transfer_id} was started with other parameters")
            if transfer.status != "open":
                raise TransferError(f"transfer {transfer_id} is {transfer.status}")
            held = self.state.staged.held_offset(path, transfer.offset)
            if offset != held:
                raise TransferConflictError(
                    f"transfer {transfer_id} holds {held} bytes; send from there",
                    offset=held,
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            self._truncate(path, held)
            return ChunkWriter(self.node, self.state.staged, transfer, path, lock, held)
        except BaseException:
            lock.release()
            raise

    def put_chunk(
        self,
        transfer_id: str,
        *,
        offset: int,
        total: int,
        sha256: str,
        sender: str,
        chunks: Iterator[bytes],
    ) -> int:
        """Append one chunk at ``offset``; return the new durable offset."""
        writer = self.begin_chunk(
            transfer_id, offset=offset, total=total, sha256=sha256, sender=sender
        )
        try:
            for piece in chunks:
                for block in writer.gather(piece):
                    writer.write(block)
            last = writer.rest()
            if last is not None:
                writer.write(last)
        except BaseException:
            writer.abort()
            raise
        return writer.finish()

    def complete_transfer(self, session: Session, envelope: OpenedEnvelope) -> None:
        """The ``evidence.package`` handler: check the staged package, verify it, keep it."""
        payload = envelope.payload
        try:
            codec.members(
                payload, {"transfer", "sha256", "size", "package_id"}, {"request"}, "payload"
            )
            transfer_id = codec.hex_text(payload, "transfer", length=32)
            sha256 = codec.hex_text(payload, "sha256", length=64)
            size = codec.integer(payload, "size", low=1, high=self.settings.max_transfer_bytes)
            package_id = codec.text(payload, "package_id", max_length=80)
            request = codec.optional_text(payload, "request", max_length=100)
        except codec.FieldError as exc:
            raise EnvelopeRejectedError(
                Reason.BAD_PAYLOAD, str(exc), envelope_id=envelope.id
            ) from None
        transfer = store.get_transfer(session, transfer_id)
        path = self.staged_file(transfer_id)
        if (
            transfer is None
            or transfer.direction != "in"
            or transfer.peer != envelope.sender
            or transfer.offset != size
            or transfer.size != size
            or transfer.sha256 != sha256
        ):
            held = 0 if transfer is None else transfer.offset
            raise EnvelopeRejectedError(
                Reason.TRANSFER_INCOMPLETE,
                f"transfer {transfer_id} holds {held} of {size} bytes: send the rest first",
                envelope_id=envelope.id,
            )
        with path.open("rb") as handle:
            # Hashed while it was received, SHA-256 and chunks alike (read again only after a
            # restart of this node).
            digests = self.state.staged.received(path, size)
            if digests.sha256.hexdigest() != sha256:
                store.update_transfer(session, transfer_id, self.node.clock.now(), status="failed")
                raise EnvelopeRejectedError(
                    Reason.PACKAGE_NOT_VERIFIED,
                    f"transfer {transfer_id}: the bytes received do not hash to {sha256}",
                    envelope_id=envelope.id,
                )
            handle.seek(0)
            try:
                verified = verify_package(handle, streamed=digests.leaves)
            except (PackageVerificationError, EvidenceInputError) as exc:
                raise EnvelopeRejectedError(
                    Reason.PACKAGE_NOT_VERIFIED,
                    f"the package of transfer {transfer_id} does not verify: {exc.message}",
                    envelope_id=envelope.id,
                ) from None
            if verified.package_id != package_id:
                raise EnvelopeRejectedError(
                    Reason.PACKAGE_NOT_VERIFIED,
                    f"the package received is {verified.package_id}, not {package_id}",
                    envelope_id=envelope.id,
                )
            # The staged file is durable and its digest known: link it into the blob store
            # rather than copy it (a copy only across file systems).
            blob_key = self.node.blobs.adopt(path, "sha256:" + sha256)
        now = self.node.clock.now()
        store.update_transfer(
            session, transfer_id, now, status="verified", blob_key=blob_key, package_id=package_id
        )
        if request is not None:
            store.link_inbox_to_request(session, envelope.id, request)
        custody.record(
            session,
            CustodyEvent(
                kind=EventKind.PACKAGE_RECEIVED,
                actor="federation",
                authority=self.node.settings.state or "node",
                at=now,
                subject={"package": package_id},
                details={
                    "from": envelope.sender,
                    "envelope": envelope.id,
                    "transfer": transfer_id,
                    "bytes": size,
                    "sha256": sha256,
                    "verified": True,
                },
            ),
            clock=self.node.clock,
        )
        after_commit(session, lambda: self.state.staged.drop(path))

    # witnessing, serving side
