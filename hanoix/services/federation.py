"""Federation use cases: the directory, the outbox, the inbox, transfers and witnessing.

The two calls other modules need:

* :func:`enqueue` seals a message into the outbox **in the caller's unit of work**, so it is
  sent if and only if the change that caused it commits::

      with node.unit_of_work() as session:
          request = ...  # the state change
          federation.enqueue(node, session, Message("vnm.example", "request.submit", {...}))

* :data:`hanoix.federation.handlers.registry` maps message types to handlers that run in the
  inbox transaction of :meth:`Federation.process_inbound`.

Exactly-once effect = at-least-once delivery (the worker retries until a signed receipt comes
back) + de-duplication by envelope id in the same transaction as the handler's effect.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hanoix.errors import (
    HanoixError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    StorageFullError,
)
from hanoix.evidence.errors import EvidenceInputError, PackageVerificationError
from hanoix.evidence.keys import KeyKind
from hanoix.evidence.verify import verify as verify_package
from hanoix.federation import codec
from hanoix.federation.directory import (
    AuthorityEntry,
    Directory,
    NodeEntry,
    certificates,
    check_newer,
    open_directory,
)
from hanoix.federation.envelope import (
    EnvelopeHeader,
    OpenedEnvelope,
    SealedEnvelope,
    check_time,
    decrypt,
    new_envelope_id,
    read_envelope,
    seal_envelope,
    sender_key,
    verify_signature,
)
from hanoix.federation.errors import (
    UNAUTHENTICATED_REASONS,
    DirectoryError,
    EnvelopeRejectedError,
    FederationConfigError,
    Reason,
    TransferConflictError,
    TransferError,
    TransferNotAnnouncedError,
    UnknownPeerError,
)
from hanoix.federation.handlers import HandlerRegistry, load_plugins, registry
from hanoix.federation.identity import (
    NodeIdentity,
    load_identity,
    load_trust_anchor,
    new_tls,
    promote_tls,
)
from hanoix.federation.identity import new_generation as _new_generation
from hanoix.federation.receipts import Receipt, sign_receipt
from hanoix.federation.settings import FederationSettings, load_federation_settings, trust_file
from hanoix.ledger.checkpoint import open_checkpoint
from hanoix.ledger.errors import CheckpointError, SplitViewError
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.logs import get_logger
from hanoix.requests import RequestReference, Role, User
from hanoix.services import auth, custody
from hanoix.services.node import Node, register_init_step
from hanoix.store import federation as store
from hanoix.store import ledger as ledger_store
from hanoix.store import requests as request_store
from hanoix.store.requests import Visibility

_log = get_logger("hanoix.federation")

PING = "federation.ping"
NOTICE = "federation.notice"
PACKAGE = "evidence.package"
MAX_NOTICE_TEXT = 20_000


@dataclass(frozen=True)
class Message:
    """A message to send: to whom (a node origin), its type, its payload, and how."""

    recipient: str
    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    in_reply_to: str | None = None
    urgent: bool | None = None  # None: as the type is declared
    ttl: timedelta | None = None  # None: the node's default (federation.toml 'ttl')
    transfer_id: str | None = None


@dataclass(frozen=True)
class InboundResult:
    """What the receiver answers a delivery with: the receipt, and whether it was a repeat."""

    receipt: dict[str, Any]
    duplicate: bool
    envelope_id: str

    def as_dict(self) -> dict[str, Any]:
        return {"receipt": self.receipt, "duplicate": self.duplicate}


# --- after-commit hooks -----------------------------------------------------------------------


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the caller's transaction commits (never if it rolls back)."""
    pending: list[Callable[[], None]] | None = session.info.get("hanoix.after_commit")
    if pending is None:
        pending = []
        session.info["hanoix.after_commit"] = pending

        def run(committed: Session) -> None:
            actions = list(pending)
            pending.clear()
            for item in actions:
                try:
                    item()
                except Exception:  # noqa: BLE001  (a hook must never undo a commit)
                    _log.exception("federation.after_commit_failed")

        def drop(rolled_back: Session) -> None:
            pending.clear()

        event.listen(session, "after_commit", run)
        event.listen(session, "after_rollback", drop)
    pending.append(action)


# Wakes workers of this process when an envelope is queued (others poll).
outbox_signal = threading.Event()


# --- incoming transfers: hashed while written ------------------------------------------------

_inbound_lock = threading.Lock()
_staged_hashes: dict[Path, tuple[int, Any]] = {}
_staged_locks: dict[Path, threading.Lock] = {}


def _transfer_lock(path: Path) -> threading.Lock:
    """One writer per staged file in this process (two chunks at one offset cannot interleave)."""
    with _lock:
        return _staged_locks.setdefault(path, threading.Lock())


def _staged_hasher(path: Path, offset: int) -> Any:
    """A SHA-256 of the first ``offset`` bytes of ``path``: the one kept while receiving, or
    (after a restart, or a truncation) computed again from the file."""
    with _lock:
        kept = _staged_hashes.pop(path, None)
    if kept is not None and kept[0] == offset:
        return kept[1]
    hasher = hashlib.sha256()
    left = offset
    with contextlib.suppress(FileNotFoundError), path.open("rb") as handle:
        while left > 0 and (block := handle.read(min(left, 8 * 1024 * 1024))):
            hasher.update(block)
            left -= len(block)
    return hasher


def _staged_sha256(path: Path, size: int) -> str:
    hasher = _staged_hasher(path, size)
    digest: str = hasher.hexdigest()
    with _lock:
        _staged_hashes[path] = (size, hasher)
    return digest


def _drop_staged(path: Path) -> None:
    with _lock:
        _staged_hashes.pop(path, None)
        _staged_locks.pop(path, None)
        _held.pop(path, None)
        _sync_ahead.pop(path, None)
    path.unlink(missing_ok=True)


# Bytes received are fsynced and their offset recorded at least every CHECKPOINT bytes and at
# the end of the transfer. In between, the offset answered to the sender ("held") may count
# bytes not yet on disk: after a crash the transfer resumes from the last recorded offset, and
# nothing is lost, since no receipt is signed before the whole file is on disk and verified.
CHECKPOINT_BYTES = 256 * 1024 * 1024
_held: dict[Path, int] = {}
_sync_ahead: dict[Path, threading.Thread] = {}


def _held_offset(path: Path, recorded: int) -> int:
    """What this process holds of a staged file: past the recorded (durable) offset when
    chunks were taken since the last checkpoint, and the file still has them."""
    with _lock:
        held = _held.get(path)
    if held is None or held <= recorded:
        return recorded
    try:
        return held if path.stat().st_size >= held else recorded
    except FileNotFoundError:
        return recorded


def _start_sync_ahead(path: Path) -> None:
    """Start the write-back of what was written (one fdatasync at a time, in a thread), so
    that the fsync of the next checkpoint finds little left to do."""

    def sync() -> None:
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fdatasync(fd)
            finally:
                os.close(fd)

    with _lock:
        running = _sync_ahead.get(path)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=sync, name="hanoix-sync-ahead", daemon=True)
        _sync_ahead[path] = thread
    thread.start()


@contextlib.contextmanager
def _disk_full_is_storage_full(transfer_id: str) -> Iterator[None]:
    """A full disk while a chunk is written is the node's storage full (a 507 the sender
    retries later), not a crash; the bytes past the offset held are dropped on the next try."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise StorageFullError(
            f"transfer {transfer_id}: the node's storage is full ({exc.strerror}); the chunk was "
            "not kept: send it again later"
        ) from None


class ChunkWriter:
    """One chunk of an incoming transfer being appended (see :meth:`Federation.begin_chunk`).

    The bytes go straight to the staged file and into its running SHA-256 (so verification
    never reads them again). :meth:`finish` fsyncs and records the offset at each checkpoint
    (:data:`CHECKPOINT_BYTES`) and at the end, so the recorded offset never counts a byte
    that is not on disk. Holds the transfer's lock until finished or aborted.
    """

    def __init__(
        self,
        federation: Federation,
        transfer: store.Transfer,
        path: Path,
        lock: threading.Lock,
        held: int,
    ) -> None:
        self.federation = federation
        self.transfer = transfer
        self.path = path
        self._lock = lock
        self.written = held
        self._hasher = _staged_hasher(path, held)
        self._handle = path.open("ab")
        self._done = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += len(data)
        if self.written > self.transfer.size:
            raise TransferError(
                f"transfer {self.transfer.id}: more bytes than the {self.transfer.size} announced"
            )
        with _disk_full_is_storage_full(self.transfer.id):
            self._handle.write(data)
        self._hasher.update(data)

    def finish(self) -> int:
        try:
            checkpoint = (
                self.written >= self.transfer.size
                or self.written - self.transfer.offset >= CHECKPOINT_BYTES
            )
            with _disk_full_is_storage_full(self.transfer.id):
                self._handle.flush()
                if checkpoint:
                    os.fsync(self._handle.fileno())
                self._handle.close()
            if checkpoint:
                node = self.federation.node
                with node.unit_of_work() as session:
                    store.update_transfer(
                        session, self.transfer.id, node.clock.now(), offset=self.written
                    )
            else:
                _start_sync_ahead(self.path)
            with _lock:
                _staged_hashes[self.path] = (self.written, self._hasher)
                _held[self.path] = self.written
            return self.written
        finally:
            self._release()

    def abort(self) -> None:
        # What was written past the offset held is dropped at the next chunk or announcement.
        self._release()

    def _release(self) -> None:
        if not self._done:
            self._done = True
            if not self._handle.closed:
                self._handle.close()
            self._lock.release()


# --- the service ----------------------------------------------------------------------------


_identities: dict[Path, NodeIdentity] = {}
_directories: dict[str, Directory] = {}
_lock = threading.Lock()


class Federation:
    """Federation for one node. Cheap to build; caches keys and the parsed directory."""

    def __init__(
        self,
        node: Node,
        settings: FederationSettings | None = None,
        handlers: HandlerRegistry = registry,
    ) -> None:
        self.node = node
        self.settings = settings or load_federation_settings(node.settings)
        self.handlers = handlers
        load_plugins(self.settings.plugins)

    # identity

    def origin(self, session: Session) -> str:
        return custody.ledger_origin(self.node.settings, session)

    def identity(self, session: Session | None = None) -> NodeIdentity:
        key = self.node.settings.keys_dir.resolve()
        with _lock:
            cached = _identities.get(key)
        if cached is not None:
            return cached
        if session is None:
            with self.node.unit_of_work() as own:
                origin = self.origin(own)
        else:
            origin = self.origin(session)
        identity = load_identity(self.node.keys, origin, self.node.settings.state)
        with _lock:
            _identities[key] = identity
        return identity

    def rotate_keys(self) -> dict[str, Any]:
        """Make a new key generation; peers accept it once the directory lists it."""
        with self.node.unit_of_work() as session:
            origin = self.origin(session)
        number = _new_generation(self.node.keys, origin, self.node.settings.state)
        self._forget_identity()
        identity = self.identity()
        generation = next(g for g in identity.generations if g.number == number)
        return {
            "generation": number,
            "signing_key_id": generation.signing.public.key_id,
            "encryption_key_id": generation.decryption.public.key_id,
            "next_step": "send 'hanoix node identity --json' to the directory authority",
        }

    def rotate_tls(self) -> dict[str, Any]:
        """Make the next TLS certificate; the node presents it once a directory lists it."""
        with self.node.unit_of_work() as session:
            origin = self.origin(session)
        following = new_tls(self.node.keys, origin, self.node.clock.now())
        self._forget_identity()
        return {
            "tls_next_sha256": following.fingerprint,
            "next_step": "send 'hanoix node identity --json' to the directory authority; the "
            "node presents the new certificate once it imports a directory that lists it",
        }

    def _forget_identity(self) -> None:
        with _lock:
            _identities.pop(self.node.settings.keys_dir.resolve(), None)

    def base_url(self) -> str:
        if self.settings.base_url:
            return self.settings.base_url
        if self.settings.tls:
            return f"https://{self.settings.tls_host}:{self.settings.tls_port}"
        return f"http://{self.node.settings.host}:{self.node.settings.port}"

    def own_entry(self) -> NodeEntry:
        """This node's directory entry, to send to the directory authority."""
        ledger = custody.CustodyLedger(self.node)
        with self.node.unit_of_work() as session:
            identity = self.identity(session)
            authorities = tuple(
                AuthorityEntry(a.code, a.name, a.kind) for a in auth.list_authorities(session)
            )
        return identity.entry(
            self.base_url(), authorities, ledger.verifier.vkey, ledger.witness_verifier.vkey
        )

    # directory

    def directory(self, session: Session) -> Directory | None:
        # Every envelope asks: look at the digest in force, and load the document only when
        # it is not the one parsed already.
        digest = store.latest_directory_digest(session)
        if digest is None:
            return None
        with _lock:
            cached = _directories.get(digest)
        if cached is not None:
            return cached
        stored = store.latest_directory(session)
        if stored is None:
            return None
        # Verified on import; parsed again here from what was stored (it was signed).
        directory = open_directory(stored.document, self.trust_anchor())
        with _lock:
            _directories[stored.digest] = directory
        return directory

    def trust_anchor(self) -> Any:
        return load_trust_anchor(trust_file(self.node.settings))

    def import_directory(self, data: bytes) -> Directory:
        """Verify ``data`` against the trusted key and put it in force if it is newer."""
        directory = open_directory(data, self.trust_anchor())
        with self.node.unit_of_work() as session:
            check_newer(self.directory(session), directory)
            origin = self.origin(session)
            store.add_directory(
                session,
                serial=directory.serial,
                issued_at=directory.issued,
                imported_at=self.node.clock.now(),
                digest=hashlib.sha256(data).hexdigest(),
                document=data,
            )
        self.write_peer_certificates(directory)
        _log.info(
            "federation.directory_imported", serial=directory.serial, nodes=len(directory.nodes)
        )
        if promote_tls(self.node.keys, directory, origin):
            self._forget_identity()
            _log.warning("federation.tls_rotated", serial=directory.serial)
        return directory

    def export_directory(self) -> bytes:
        with self.node.unit_of_work() as session:
            stored = store.latest_directory(session)
        if stored is None:
            raise NotFoundError("no directory imported yet: hanoix directory import FILE")
        return stored.document

    def peers_file(self) -> Path:
        return self.node.settings.home / "federation" / "peers.pem"

    def write_peer_certificates(self, directory: Directory) -> Path:
        """The CA bundle of the TLS listener: every directory node's certificate."""
        path = self.peers_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text("".join(certificates(directory)), "ascii")
        temporary.replace(path)
        return path

    def require_directory(self, session: Session) -> Directory:
        directory = self.directory(session)
        if directory is None:
            raise FederationConfigError(
                "no directory of nodes: import one with 'hanoix directory import FILE'"
            )
        return directory

    def peer(self, session: Session, origin: str) -> NodeEntry:
        entry = self.require_directory(session).node(origin)
        if entry is None:
            raise UnknownPeerError(f"the directory lists no node {origin!r}")
        return entry

    # sending

    def enqueue(self, session: Session, message: Message) -> SealedEnvelope:
        """Seal ``message`` and put it in the outbox, in the caller's transaction."""
        now = self.node.clock.now()
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
        sealed = seal_envelope(
            header,
            message.payload,
            signer=identity.signing_key(directory, now),
            recipient_key=recipient_key.public(entry.origin, entry.state),
        )
        store.add_outbox(
            session,
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
        after_commit(session, outbox_signal.set)
        return sealed

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

    def process_inbound(self, data: bytes) -> InboundResult:
        """Verify, de-duplicate, apply and acknowledge one envelope, in one transaction.

        Raises :class:`EnvelopeRejectedError` when it is refused (counted, or recorded in the
        ledger if a node of the directory signed it: :meth:`record_rejection`).
        """
        try:
            try:
                with self._writer():
                    return self._inbound(data)
            except IntegrityError:
                # A concurrent delivery of the same envelope won the race: answer as a repeat.
                with self._writer():
                    return self._inbound(data)
        except EnvelopeRejectedError as rejection:
            self.record_rejection(rejection, data)
            raise

    def process_inbound_batch(
        self, items: list[bytes]
    ) -> list[InboundResult | EnvelopeRejectedError | None]:
        """Take several envelopes in **one** transaction, each in a savepoint of its own: an
        envelope refused rolls back only its own writes. Nothing is answered before the
        transaction commits, so every receipt returned is for an effect that is durable, and
        a repeat finds the row as with single deliveries (exactly-once effect unchanged).
        Rejections are recorded in the ledger afterwards, as for single deliveries. ``None``
        stands for an internal error (the sender retries that envelope)."""
        results: list[InboundResult | EnvelopeRejectedError | None] = [None] * len(items)
        headers: dict[int, EnvelopeHeader] = {}
        alone: list[int] = []
        with self._writer(), self.node.unit_of_work() as session:
            if self.node.engine.dialect.name == "sqlite":
                # pysqlite starts transactions lazily, and a SAVEPOINT opened outside one
                # would commit on release: open the transaction (and take the lock) first.
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            directory = self.directory(session)
            for index, data in enumerate(items):
                try:
                    with session.begin_nested():
                        results[index], headers[index] = self._take(session, data, directory)
                except EnvelopeRejectedError as rejection:
                    results[index] = rejection
                except IntegrityError:
                    alone.append(index)  # a concurrent delivery of it won: answered below
                except Exception:  # noqa: BLE001  (one bad envelope must not fail the rest)
                    _log.exception("federation.inbound_crashed", index=index)
                    alone.append(index)
        for index, result in enumerate(results):
            if isinstance(result, EnvelopeRejectedError):
                self.record_rejection(result, items[index])
            elif isinstance(result, InboundResult):
                self._taken(headers[index], result)
        for index in alone:
            try:
                results[index] = self.process_inbound(items[index])
            except EnvelopeRejectedError as rejection:
                results[index] = rejection
            except Exception:  # noqa: BLE001  (answered as an internal error: retried)
                _log.exception("federation.inbound_crashed", index=index)
        return results

    @contextlib.contextmanager
    def _writer(self) -> Iterator[None]:
        """On SQLite, one inbox transaction at a time per process: SQLite takes one writer
        anyway, and threads queued on a lock resume at once, where SQLite's busy handler
        would have them sleep for milliseconds between tries."""
        if self.node.engine.dialect.name != "sqlite":
            yield
            return
        with _inbound_lock:
            yield

    def _inbound(self, data: bytes) -> InboundResult:
        with self.node.unit_of_work() as session:
            result, header = self._take(session, data)
        self._taken(header, result)
        return result

    def _taken(self, header: EnvelopeHeader, result: InboundResult) -> None:
        if header.urgent and not result.duplicate:
            _log.warning(
                "federation.urgent_received",
                envelope=header.id,
                sender=header.sender,
                type=header.type,
            )

    def _take(
        self, session: Session, data: bytes, directory: Directory | None = None
    ) -> tuple[InboundResult, EnvelopeHeader]:
        """Steps 1 to 8 and the effect, in the caller's transaction (never commits).
        ``directory``: the one in force, when the caller looked it up in this transaction."""
        now = self.node.clock.now()
        parsed = read_envelope(data)
        header = parsed.header
        identity = self.identity(session)
        if header.recipient != identity.origin:
            raise EnvelopeRejectedError(
                Reason.WRONG_RECIPIENT,
                f"envelope step 2: addressed to {header.recipient!r}, this node is "
                f"{identity.origin!r}",
                envelope_id=header.id,
            )
        directory = directory or self.directory(session)
        if directory is None:
            raise EnvelopeRejectedError(
                Reason.UNKNOWN_SENDER,
                "envelope step 3: this node has no directory yet",
                envelope_id=header.id,
            )
        verify_signature(parsed, sender_key(parsed, directory, now))
        existing = store.get_inbox(session, header.id)
        if existing is not None:
            return self._repeat(session, parsed.digest, existing), header
        check_time(header, now, self.settings.skew)
        own = identity.decryption_key(parsed.recipient_key)
        if own is None:
            raise EnvelopeRejectedError(
                Reason.UNDECRYPTABLE,
                f"envelope step 6: encrypted to key {parsed.recipient_key}, which this node "
                "does not hold",
                envelope_id=header.id,
            )
        opened = OpenedEnvelope(header, decrypt(parsed, own), parsed.digest, parsed.sender_key)
        message_type = self.handlers.get(header.type)
        if message_type is None:
            raise EnvelopeRejectedError(
                Reason.UNKNOWN_TYPE,
                f"this node handles no message type {header.type!r}",
                envelope_id=header.id,
            )
        receipt = sign_receipt(header, parsed.digest, now, identity.signing_key(directory, now))
        receipt_dict = receipt.as_dict()
        store.add_inbox(
            session,
            envelope_id=header.id,
            sender=header.sender,
            type=header.type,
            urgent=header.urgent,
            in_reply_to=header.in_reply_to,
            created_at=header.created,
            expires_at=header.expires,
            received_at=now,
            digest=parsed.digest,
            payload=json.dumps(opened.payload, sort_keys=True, ensure_ascii=False),
            receipt=json.dumps(receipt_dict, sort_keys=True),
        )
        try:
            message_type.handler(self.node, session, opened)
        except EnvelopeRejectedError:
            raise
        except HanoixError as refusal:
            raise EnvelopeRejectedError(
                Reason.BAD_PAYLOAD,
                f"the {header.type} handler refused it: {refusal.message}",
                envelope_id=header.id,
            ) from None
        return InboundResult(receipt_dict, False, header.id), header

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

    # transfers, receiving side

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
        held = _held_offset(path, transfer.offset)
        self._truncate(path, held, locked=False)
        return held

    @staticmethod
    def _truncate(path: Path, offset: int, *, locked: bool = True) -> None:
        # Bytes past the recorded offset were written but never acknowledged: drop them (not
        # while a chunk is being written: its bytes are past the offset until it finishes).
        lock = _transfer_lock(path)
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
        held = _held_offset(path, transfer.offset)
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
        lock = _transfer_lock(path)
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
            held = _held_offset(path, transfer.offset)
            if offset != held:
                raise TransferConflictError(
                    f"transfer {transfer_id} holds {held} bytes; send from there",
                    offset=held,
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            self._truncate(path, held)
            return ChunkWriter(self, transfer, path, lock, held)
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
                writer.write(piece)
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
            # Hashed while it was received (read again only after a restart of this node).
            if _staged_sha256(path, size) != sha256:
                store.update_transfer(session, transfer_id, self.node.clock.now(), status="failed")
                raise EnvelopeRejectedError(
                    Reason.PACKAGE_NOT_VERIFIED,
                    f"transfer {transfer_id}: the bytes received do not hash to {sha256}",
                    envelope_id=envelope.id,
                )
            handle.seek(0)
            try:
                verified = verify_package(handle)
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
        after_commit(session, lambda: _drop_staged(path))

    # witnessing, serving side

    def checkpoint_for(self, since: int, witness: str | None) -> dict[str, Any]:
        """This node's signed checkpoint, a consistency proof from ``since``, and the size of
        ``witness``'s log this node saw last (so it can prove consistency from there)."""
        ledger = custody.CustodyLedger(self.node)
        signed = ledger.checkpoint()
        proof: list[str] = []
        if 0 < since < signed.size:
            proof = [h.hex() for h in ledger.prove_consistency(since, signed.size).consistency_path]
        seen = None
        if witness:
            with self.node.unit_of_work() as session:
                directory = self.directory(session)
            # Without a directory every witness is unknown: the checkpoint is still answered.
            entry = directory.node(witness) if directory is not None else None
            if entry is not None:
                last = ledger.last_witnessed(witness)
                seen = None if last is None else last.tree_size
        return {
            "checkpoint": signed.note,
            "tree_size": signed.size,
            "since": since,
            "consistency": proof,
            "witnessed_size": seen,
        }

    def accept_witness(self, body: dict[str, Any]) -> dict[str, Any]:
        """A peer cosigned our checkpoint and offers its own: keep the one, witness the other.

        Body: ``{"witness": ORIGIN, "cosigned": NOTE, "checkpoint": NOTE, "consistency": [HEX]}``.
        Answers ``{"cosigned": NOTE}`` (our cosignature of the peer's checkpoint). A split view
        of the peer's log raises :class:`SplitViewError` (recorded by the ledger).
        """
        try:
            codec.members(body, {"witness", "cosigned", "checkpoint", "consistency"}, set(), "body")
            witness = codec.origin(body, "witness")
            cosigned = codec.text(body, "cosigned", max_length=65536, multiline=True)
            note = codec.text(body, "checkpoint", max_length=65536, multiline=True)
            consistency = body["consistency"]
            if not isinstance(consistency, list) or len(consistency) > 64:
                raise codec.FieldError("consistency", "must be a list of at most 64 hashes")
            path = [bytes.fromhex(h) for h in consistency if isinstance(h, str)]
            if len(path) != len(consistency) or any(len(h) != 32 for h in path):
                raise codec.FieldError("consistency", "each hash is 64 hex digits")
        except (codec.FieldError, ValueError) as exc:
            raise DirectoryError(f"witness exchange: {exc}") from None
        ledger = custody.CustodyLedger(self.node)
        with self.node.unit_of_work() as session:
            entry = self.peer(session, witness)
        cosigner = entry.witness_verifier
        log_key = entry.ledger_verifier
        if cosigner is None or log_key is None:
            raise UnknownPeerError(f"the directory lists no ledger keys for {witness!r}")
        # 1. The cosignature is the witness's, on a checkpoint this node signed.
        own = open_checkpoint(cosigned, ledger.verifier)
        from hanoix.ledger.witness import verify_cosignatures

        if not verify_cosignatures(cosigned, [cosigner]):
            raise CheckpointError(f"the checkpoint carries no cosignature of {witness!r}")
        with self.node.unit_of_work() as session:
            store.add_cosignature(session, witness, own.size, cosigned, self.node.clock.now())
        # 2. Witness the peer's log in return.
        witnessed = ledger.witness(note, log_key, path)
        return {"cosigned": witnessed.cosigned_note}

    # the 24/7 view and status

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

    def status(self) -> dict[str, Any]:
        with self.node.unit_of_work() as session:
            directory = self.directory(session)
            origin = self.origin(session)
            outbox = store.outbox_counts(session)
            inbox = store.inbox_counts(session)
            cosignatures = len(store.list_cosignatures(session))
        ledger = custody.CustodyLedger(self.node)
        return {
            "origin": origin,
            "base_url": self.base_url(),
            "tls": self.settings.tls,
            "directory_serial": directory.serial if directory else None,
            "peers": [
                {"origin": p.origin, "state": p.state, "base_url": p.base_url}
                for p in (directory.peers(origin) if directory else [])
            ],
            "outbox": outbox,
            "inbox": inbox,
            "cosignatures_received": cosignatures,
            "split_views": len(ledger.split_views()),
        }


# --- module-level interface -----------------------------------------------------------------


def enqueue(node: Node, session: Session, message: Message) -> SealedEnvelope:
    """Seal ``message`` into the outbox in the caller's unit of work (see the module doc)."""
    return Federation(node).enqueue(session, message)


def process_inbound(node: Node, data: bytes) -> InboundResult:
    return Federation(node).process_inbound(data)


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
    _require_inbox_role(user, INBOX_READERS, "read the 24/7 view")
    seen = _inbox_visibility(node, user)
    if seen is None:
        return []
    visibility, unlinked = seen
    with node.unit_of_work() as session:
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
        )
        for item in items
    ]


# --- built-in message types -----------------------------------------------------------------


def _ping(node: Node, session: Session, envelope: OpenedEnvelope) -> None:
    """Connectivity check: taking it (inbox row and receipt) is the whole effect."""


def _notice(node: Node, session: Session, envelope: OpenedEnvelope) -> None:
    """A free-text message between authorities; it is shown on the 24/7 view."""
    try:
        codec.members(envelope.payload, {"text"}, {"subject", "reference"}, "payload")
        codec.text(envelope.payload, "text", max_length=MAX_NOTICE_TEXT)
        reference = codec.optional_text(envelope.payload, "reference")
    except codec.FieldError as exc:
        raise EnvelopeRejectedError(Reason.BAD_PAYLOAD, str(exc), envelope_id=envelope.id) from None
    if reference is not None:
        # A notice about a request is as confidential as the request: linked, the 24/7 view
        # shows it only to those who may see that request.
        with contextlib.suppress(InputError):
            store.link_inbox_to_request(
                session, envelope.id, str(RequestReference.parse(reference))
            )


def _package(node: Node, session: Session, envelope: OpenedEnvelope) -> None:
    Federation(node).complete_transfer(session, envelope)


registry.register(PING, _ping, description="connectivity check")
registry.register(NOTICE, _notice, description="a free-text message between authorities")
registry.register(
    PACKAGE, _package, description="an evidence package, transferred in chunks and verified"
)


# --- init -----------------------------------------------------------------------------------


def _init_federation(node: Node, session: Session) -> dict[str, Any]:
    origin = custody.ledger_origin(node.settings, session)
    identity = load_identity(node.keys, origin, node.settings.state, create=True)
    with _lock:
        _identities.pop(node.settings.keys_dir.resolve(), None)
    newest = max(identity.generations, key=lambda g: g.number)
    return {
        "origin": origin,
        "signing_key_id": newest.signing.public.key_id,
        "encryption_key_id": newest.decryption.public.key_id,
        "tls_sha256": identity.tls.fingerprint,
        "trust_anchor": str(trust_file(node.settings)),
    }


register_init_step("federation", _init_federation)


def split_view_message(error: SplitViewError) -> str:
    return f"split view of {error.evidence.origin}: {error.evidence.reason}"
