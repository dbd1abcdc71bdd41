"""Output files written whole or not at all, at the disk's speed.

* :func:`atomic_file` writes into a temporary sibling, fsyncs it, then links (or renames) it
  into place and fsyncs the folder: the target is either absent or complete and durable.
* :class:`StreamingWriter` is how the bytes reach the disk; :func:`atomic_file` and the
  folder an evidence package is opened into both use it.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import queue
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from hanoix.errors import ConflictError, InputError

BLOCK_SIZE = 8 * 1024 * 1024
# O_DIRECT wants buffer addresses, offsets and lengths aligned to the device's logical block
# (512 or 4096 bytes); mmap's buffers are page-aligned and BLOCK_SIZE is a multiple of 4096.
ALIGNMENT = 4096
_SYNC_EVERY = 64 * 1024 * 1024
O_DIRECT = getattr(os, "O_DIRECT", 0)

Bytes = bytes | bytearray | memoryview


class OutputWriteError(InputError):
    """An output file could not be written (a full disk, a vanished folder)."""


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a file created, renamed or linked into it) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class StreamingWriter:
    """Writes one file from its first byte to its last, holding at most a few blocks of it.

    Bytes are gathered into page-aligned blocks; a helper thread writes each full block at its
    offset while the caller fills the next. Where the file system allows it, blocks are
    written with ``O_DIRECT``: the data goes from the block to the disk, the page cache is
    left alone (a 10 GiB package does not evict the node's working set) and the kernel spends
    no processor time copying it and writing it back, time that on a two-core machine would be
    taken from hashing. Where the file system refuses ``O_DIRECT`` (tmpfs, some network file
    systems), blocks go through the page cache and every 64 MiB the helper syncs them and
    drops them from the cache, so that :meth:`finish` finds little left to do. A file smaller
    than one block never starts the helper.

    :meth:`finish` writes the last partial block through the ordinary descriptor and fsyncs
    the file; :meth:`close` releases everything (and is all an abandoned file needs). An
    error met by the helper (a full disk) is raised by the next :meth:`write` or by
    :meth:`finish` as :class:`OutputWriteError`, naming ``name``.
    """

    def __init__(
        self,
        fd: int,
        path: Path,
        *,
        name: str | None = None,
        block_size: int = BLOCK_SIZE,
        depth: int = 2,
        direct: bool = True,
    ) -> None:
        if block_size <= 0 or block_size % ALIGNMENT:
            raise ValueError(f"block_size must be a positive multiple of {ALIGNMENT}")
        self._fd = fd
        self._path = Path(path)
        self._name = name or str(path)
        self._block_size = block_size
        self._depth = depth
        self._want_direct = direct and O_DIRECT != 0
        self._direct_fd: int | None = None
        self._current = mmap.mmap(-1, block_size)
        self._buffers = [self._current]
        self._filled = 0
        self._offset = 0  # file offset of the current block
        self._free: queue.SimpleQueue[mmap.mmap] = queue.SimpleQueue()
        self._full: queue.Queue[tuple[int, mmap.mmap] | None] = queue.Queue(depth)
        self._helper: threading.Thread | None = None
        self._error: BaseException | None = None
        self._unsynced = 0
        self._closed = False

    # --- the caller's side ----------------------------------------------------------------

    def write(self, data: Bytes, /) -> int:
        self._raise_helper_error()
        view = memoryview(data).cast("B")
        size, pos = len(view), 0
        while pos < size:
            take = min(size - pos, self._block_size - self._filled)
            self._current[self._filled : self._filled + take] = view[pos : pos + take]
            self._filled += take
            pos += take
            if self._filled == self._block_size:
                self._hand_over()
        return size

    def fileno(self) -> int:
        return self._fd

    def finish(self) -> None:
        """Write what is left, wait for the helper, fsync: the file is then complete."""
        self._stop_helper()
        self._raise_helper_error()
        try:
            with memoryview(self._current) as block:
                pwrite_all(self._fd, block[: self._filled], self._offset)
            self._offset += self._filled
            self._filled = 0
            os.fsync(self._fd)
        except OSError as exc:
            raise self._failure(exc) from exc

    def close(self) -> None:
        """Release the descriptors, the helper and the blocks (whether finished or not)."""
        if self._closed:
            return
        self._closed = True
        self._stop_helper()
        for fd in (self._direct_fd, self._fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        for buffer in self._buffers:
            # A view still held elsewhere (an error's traceback) keeps a block alive; it is
            # unmapped when that view goes.
            with contextlib.suppress(BufferError):
                buffer.close()

    # --- the helper -----------------------------------------------------------------------

    def _hand_over(self) -> None:
        if self._helper is None:
            self._start_helper()
        self._full.put((self._offset, self._current))
        self._offset += self._block_size
        self._filled = 0
        self._current = self._free.get()
        self._raise_helper_error()

    def _start_helper(self) -> None:
        if self._want_direct:
            try:
                self._direct_fd = os.open(self._path, os.O_WRONLY | O_DIRECT)
            except OSError:
                self._direct_fd = None  # refused by this file system: the page cache it is
        for _ in range(self._depth):
            buffer = mmap.mmap(-1, self._block_size)
            self._buffers.append(buffer)
            self._free.put(buffer)
        self._helper = threading.Thread(target=self._drain, name="hanoix-writer", daemon=True)
        self._helper.start()

    def _drain(self) -> None:
        # Keeps taking blocks after an error, so that the caller never waits for a free one.
        while (item := self._full.get()) is not None:
            offset, block = item
            if self._error is None:
                try:
                    self._write_block(block, offset)
                except OSError as exc:
                    # Its traceback would keep views of the block alive, and the block open.
                    self._error = exc.with_traceback(None)
                except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
                    self._error = exc
            self._free.put(block)

    def _write_block(self, block: mmap.mmap, offset: int) -> None:
        with memoryview(block) as view:
            if self._direct_fd is not None:
                try:
                    pwrite_all(self._direct_fd, view, offset)
                    return
                except OSError as exc:
                    if exc.errno != errno.EINVAL:
                        raise
                    # The file system took the open but refuses the write: use the page cache.
                    os.close(self._direct_fd)
                    self._direct_fd = None
            pwrite_all(self._fd, view, offset)
        self._unsynced += self._block_size
        if self._unsynced >= _SYNC_EVERY:
            self._unsynced = 0
            getattr(os, "fdatasync", os.fsync)(self._fd)
            if hasattr(os, "posix_fadvise"):
                os.posix_fadvise(self._fd, 0, offset + self._block_size, os.POSIX_FADV_DONTNEED)

    def _stop_helper(self) -> None:
        if self._helper is not None:
            self._full.put(None)
            self._helper.join()
            self._helper = None

    def _raise_helper_error(self) -> None:
        error = self._error
        if error is None:
            return
        if isinstance(error, OSError):
            raise self._failure(error) from error
        raise error

    def _failure(self, error: OSError) -> OutputWriteError:
        return OutputWriteError(f"cannot write {self._name}: {error.strerror or error}")


def pwrite_all(fd: int, view: memoryview, offset: int) -> None:
    done = 0
    while done < len(view):
        written = os.pwrite(fd, view[done:], offset + done)
        if written <= 0:
            raise OSError(errno.EIO, "the file system accepted no bytes")
        done += written


@contextlib.contextmanager
def atomic_file(target: Path, *, overwrite: bool = False) -> Iterator[StreamingWriter]:
    """Write ``target`` atomically: into a temporary sibling, fsynced, then put in place.

    If the block raises, the temporary file is removed and ``target`` is untouched. Without
    ``overwrite`` an existing target is an error, also when it appears while writing.
    """
    target = Path(target)
    if not overwrite and target.exists():
        raise ConflictError(f"{target} exists already; choose another output path")
    parent = target.parent
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise InputError(f"cannot write into {parent}: {exc.strerror}") from exc
    temp = Path(temp_name)
    try:
        writer = StreamingWriter(fd, temp, name=str(target))
        try:
            yield writer
            writer.finish()
        finally:
            writer.close()
        if overwrite:
            temp.replace(target)
        else:
            # link() fails if the target appeared meanwhile: no silent overwrite in a race.
            try:
                os.link(temp, target)
            except FileExistsError as exc:
                raise ConflictError(f"{target} exists already; choose another output path") from exc
            temp.unlink()
        fsync_dir(parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
