"""Incoming transfers on disk: staged files hashed while written, one writer each, fsynced at
checkpoints.

Bytes received are fsynced and their offset recorded at least every :data:`CHECKPOINT_BYTES`
and at the end of the transfer. In between, the offset answered to the sender ("held") may
count bytes not yet on disk: after a crash the transfer resumes from the last recorded offset,
and nothing is lost, since no receipt is signed before the whole file is on disk and verified.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hanoix.errors import StorageFullError
from hanoix.evidence.verify import StreamedLeaves
from hanoix.federation.errors import TransferError
from hanoix.store import federation as store

if TYPE_CHECKING:
    from hanoix.services.node import Node

CHECKPOINT_BYTES = 256 * 1024 * 1024


class Digests:
    """What is worked out from a staged file's bytes as they are written: its SHA-256 and the
    leaf hashes of the package's chunks (so that neither needs the file read again)."""

    def __init__(self) -> None:
        self.sha256: Any = hashlib.sha256()
        self.leaves = StreamedLeaves()

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self.sha256.update(data)
        self.leaves.update(data)


class StagedFiles:
    """What this process knows of the staged files of a node beyond the database: a lock per
    file, the running digests of what was written, the offset held past the last checkpoint,
    and the write-back started ahead of the next fsync."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hashes: dict[Path, tuple[int, Digests]] = {}
        self._locks: dict[Path, threading.Lock] = {}
        self._held: dict[Path, int] = {}
        self._sync_ahead: dict[Path, threading.Thread] = {}

    def writer_lock(self, path: Path) -> threading.Lock:
        """One writer per staged file (two chunks at one offset cannot interleave)."""
        with self._lock:
            return self._locks.setdefault(path, threading.Lock())

    def digests(self, path: Path, offset: int) -> Digests:
        """The digests of the first ``offset`` bytes of ``path``: the ones kept while
        receiving, or (after a restart, or a truncation) computed again from the file."""
        with self._lock:
            kept = self._hashes.pop(path, None)
        if kept is not None and kept[0] == offset:
            return kept[1]
        digests = Digests()
        left = offset
        with contextlib.suppress(FileNotFoundError), path.open("rb") as handle:
            while left > 0 and (block := handle.read(min(left, 8 * 1024 * 1024))):
                digests.update(block)
                left -= len(block)
        return digests

    def received(self, path: Path, size: int) -> Digests:
        """The digests of a whole staged file of ``size`` bytes (kept for a second look)."""
        digests = self.digests(path, size)
        with self._lock:
            self._hashes[path] = (size, digests)
        return digests

    def written(self, path: Path, offset: int, digests: Digests) -> None:
        """``path`` holds ``offset`` bytes, hashed so far into ``digests``."""
        with self._lock:
            self._hashes[path] = (offset, digests)
            self._held[path] = offset

    def drop(self, path: Path) -> None:
        with self._lock:
            self._hashes.pop(path, None)
            self._locks.pop(path, None)
            self._held.pop(path, None)
            self._sync_ahead.pop(path, None)
        path.unlink(missing_ok=True)

    def held_offset(self, path: Path, recorded: int) -> int:
        """What this process holds of a staged file: past the recorded (durable) offset when
        chunks were taken since the last checkpoint, and the file still has them."""
        with self._lock:
            held = self._held.get(path)
        if held is None or held <= recorded:
            return recorded
        try:
            return held if path.stat().st_size >= held else recorded
        except FileNotFoundError:
            return recorded

    def start_sync_ahead(self, path: Path) -> None:
        """Start the write-back of what was written (one fdatasync at a time, in a thread), so
        that the fsync of the next checkpoint finds little left to do."""

        def sync() -> None:
            with contextlib.suppress(OSError):
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fdatasync(fd)
                finally:
                    os.close(fd)

        with self._lock:
            running = self._sync_ahead.get(path)
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(target=sync, name="hanoix-sync-ahead", daemon=True)
            self._sync_ahead[path] = thread
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
    """One chunk of an incoming transfer being appended (see
    :meth:`~hanoix.services.federation.transfers.Transfers.begin_chunk`).

    The bytes go straight to the staged file and into its running digests (so verification
    never reads them again). :meth:`finish` fsyncs and records the offset at each checkpoint
    (:data:`CHECKPOINT_BYTES`) and at the end, so the recorded offset never counts a byte
    that is not on disk. Holds the transfer's lock until finished or aborted.
    """

    def __init__(
        self,
        node: Node,
        staged: StagedFiles,
        transfer: store.Transfer,
        path: Path,
        lock: threading.Lock,
        held: int,
    ) -> None:
        self.node = node
        self.staged = staged
        self.transfer = transfer
        self.path = path
        self._lock = lock
        self.written = held
        self._digests = staged.digests(path, held)
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
        self._digests.update(data)

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
                with self.node.unit_of_work() as session:
                    store.update_transfer(
                        session, self.transfer.id, self.node.clock.now(), offset=self.written
                    )
            else:
                self.staged.start_sync_ahead(self.path)
            self.staged.written(self.path, self.written, self._digests)
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
