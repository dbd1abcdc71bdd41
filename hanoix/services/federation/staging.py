"""Incoming transfers on disk: staged files hashed while written, one writer each, fsynced at
checkpoints.

Bytes received are fsynced and their offset recorded at least every :data:`CHECKPOINT_BYTES`
and at the end of the transfer. In between, the offset answered to the sender ("held") may
count bytes not yet on disk: after a crash the transfer resumes from the last recorded offset,
and nothing is lost, since no receipt is signed before the whole file is on disk and verified.

Where the file system allows it, whole pages are written with ``O_DIRECT``, from the page-aligned
blocks the body is gathered in to the disk: through the page cache, the kernel's copy and
write-back of 1 GiB took 2.5 s of processor time on the two-core reference machine, more than
the hashing (0.8 s), against 0.3 s with ``O_DIRECT`` (``dd``, 4 MiB blocks, with and without
``oflag=direct``). The bytes before the first page boundary of a chunk and after its last one,
and everything on a file system that refuses ``O_DIRECT``, go through the page cache.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import mmap
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hanoix.errors import StorageFullError
from hanoix.evidence.verify import StreamedLeaves
from hanoix.federation.errors import TransferError
from hanoix.store import federation as store
from hanoix.store.files import ALIGNMENT, O_DIRECT, pwrite_all

if TYPE_CHECKING:
    from hanoix.services.node import Node

CHECKPOINT_BYTES = 256 * 1024 * 1024
# A chunk's body is written (and hashed) in blocks of this size, in a thread while the next
# one is gathered; a few blocks are kept for the next chunks.
BLOCK_SIZE = 4 * 1024 * 1024
_KEPT_BLOCKS = 6

Bytes = bytes | bytearray | memoryview


class Digests:
    """What is worked out from a staged file's bytes as they are written: its SHA-256 and the
    leaf hashes of the package's chunks (so that neither needs the file read again)."""

    def __init__(self) -> None:
        self.sha256: Any = hashlib.sha256()
        self.leaves = StreamedLeaves()

    def update(self, data: Bytes) -> None:
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
        self._buffers: list[mmap.mmap] = []
        # Cleared when the file system takes the O_DIRECT open but refuses the writes.
        self.direct = bool(O_DIRECT)
        # Where the chunk writers' blocks are written and a part of them hashed.
        self.helpers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hanoix-staged")

    def buffer(self) -> mmap.mmap:
        """A page-aligned buffer of :data:`BLOCK_SIZE` bytes (one kept, or a new one)."""
        with self._lock:
            if self._buffers:
                return self._buffers.pop()
        return mmap.mmap(-1, BLOCK_SIZE)

    def give_back(self, buffer: mmap.mmap) -> None:
        with self._lock:
            if len(self._buffers) < _KEPT_BLOCKS:
                self._buffers.append(buffer)

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


class Block:
    """Bytes of a chunk gathered for one write, in a page-aligned buffer: the byte for file
    offset ``o`` sits at ``o % ALIGNMENT`` in it, so the whole pages of the file it covers are
    whole pages of memory (what ``O_DIRECT`` requires), and it ends on a page boundary of the
    file unless it is the last of its chunk."""

    def __init__(self, buffer: mmap.mmap, start: int) -> None:
        self.buffer = buffer
        self.start = start
        self._skew = start % ALIGNMENT
        self.size = 0

    @property
    def room(self) -> int:
        return len(self.buffer) - self._skew - self.size

    def take(self, view: memoryview) -> int:
        """Copy as much of ``view`` as fits; return how much."""
        count = min(len(view), self.room)
        at = self._skew + self.size
        self.buffer[at : at + count] = view[:count]
        self.size += count
        return count

    def data(self) -> memoryview:
        return memoryview(self.buffer)[self._skew : self._skew + self.size]


class ChunkWriter:
    """One chunk of an incoming transfer being appended (see
    :meth:`~hanoix.services.federation.transfers.Transfers.begin_chunk`).

    The body is gathered into blocks (:meth:`gather`, then :meth:`rest` for the last, partial
    one), each written to the staged file and into its running digests by :meth:`write`, in
    order (so verification never reads them again). :meth:`finish` fsyncs and records the
    offset at each checkpoint (:data:`CHECKPOINT_BYTES`) and at the end, so the recorded offset
    never counts a byte that is not on disk. Holds the transfer's lock until finished or
    aborted.
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
        self._gathered = held
        self._block: Block | None = None
        self._digests = staged.digests(path, held)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)
        self._direct: int | None = None
        if staged.direct:
            try:
                self._direct = os.open(path, os.O_WRONLY | O_DIRECT)
            except OSError:
                self._direct = None  # refused by this file system: the page cache it is
        self._done = False

    def gather(self, data: Bytes) -> list[Block]:
        """Copy ``data`` into blocks; return the blocks it filled, for :meth:`write`."""
        view = memoryview(data).cast("B")
        if self._gathered + len(view) > self.transfer.size:
            raise TransferError(
                f"transfer {self.transfer.id}: more bytes than the {self.transfer.size} announced"
            )
        full: list[Block] = []
        while len(view):
            if self._block is None:
                self._block = Block(self.staged.buffer(), self._gathered)
            taken = self._block.take(view)
            self._gathered += taken
            view = view[taken:]
            if not self._block.room:
                full.append(self._block)
                self._block = None
        return full

    def rest(self) -> Block | None:
        """The last block, partly filled (None when the body ended on a block)."""
        block, self._block = self._block, None
        return block

    def write(self, block: Block) -> None:
        """Write a block gathered (the blocks in the order gathered) and hash it."""
        if block.start != self.written:
            raise ValueError(f"a block at {block.start} written at {self.written}")
        try:
            with block.data() as data:
                # The write waits for the disk while this thread takes the SHA-256 and another
                # the BLAKE3 of the package's chunks: none waits for the others (and the
                # buffer is not given back before all three are done).
                writing = self.staged.helpers.submit(self._pwrite, data, block.start)
                leaves = self.staged.helpers.submit(self._digests.leaves.update, data)
                try:
                    self._digests.sha256.update(data)
                finally:
                    wait((writing, leaves))
                with _disk_full_is_storage_full(self.transfer.id):
                    writing.result()
                leaves.result()
                self.written += len(data)
        finally:
            self.staged.give_back(block.buffer)

    def _pwrite(self, data: memoryview, offset: int) -> None:
        # Whole pages with O_DIRECT; the bytes before the first page boundary and after the
        # last one (the ends of a chunk) through the page cache.
        direct = self._direct
        head = min(len(data), -offset % ALIGNMENT) if direct is not None else len(data)
        pages = (len(data) - head) // ALIGNMENT * ALIGNMENT
        if head:
            pwrite_all(self._fd, data[:head], offset)
        if pages and direct is not None:
            try:
                pwrite_all(direct, data[head : head + pages], offset + head)
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                # The file system took the open but refuses the write: the page cache it is,
                # for this chunk and the next ones.
                self._direct = None
                self.staged.direct = False
                os.close(direct)
                pwrite_all(self._fd, data[head : head + pages], offset + head)
        if head + pages < len(data):
            pwrite_all(self._fd, data[head + pages :], offset + head + pages)

    def finish(self) -> int:
        try:
            checkpoint = (
                self.written >= self.transfer.size
                or self.written - self.transfer.offset >= CHECKPOINT_BYTES
            )
            if checkpoint:
                with _disk_full_is_storage_full(self.transfer.id):
                    os.fsync(self._fd)
                with self.node.unit_of_work() as session:
                    store.update_transfer(
                        session, self.transfer.id, self.node.clock.now(), offset=self.written
                    )
            elif self._direct is None:
                # Through the page cache: start its write-back now (with O_DIRECT, only the
                # ends of chunks are there).
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
            block = self.rest()
            if block is not None:
                self.staged.give_back(block.buffer)
            for fd in (self._direct, self._fd):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._lock.release()
