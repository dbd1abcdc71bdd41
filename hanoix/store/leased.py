"""Reading a file through a memory map that no other program can pull from under it.

Reading 1 GiB with ``read()`` costs a quarter of a core here: the kernel copies every page
into the reader's buffer. Copying from a memory map of the same cached pages costs less than
half of that. But if another program truncates a mapped file, the next access to a vanished
page kills the reader with ``SIGBUS``: a crash, not an error, with the output half-written.

So the map is taken only under a Linux read lease (``F_SETLEASE``): while it is held, any
other program that opens the file for writing or truncates it is made to wait (or refused,
if it does not wait), and this process is sent ``SIGIO``. The handler marks the lease broken;
the next read raises :class:`LeaseBrokenError`, the caller stops, and :meth:`close` gives the
lease back, only then letting the other program go on. A file that cannot be leased (open for
writing elsewhere, another owner, a network file system), or any file in a process whose main
thread has not called :func:`prepare` (only the main thread can install the handler), is read
with ``read()`` as before: :func:`open_for_reading` decides.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import mmap
import os
import signal
import stat
import threading
from collections import deque
from pathlib import Path
from types import FrameType
from typing import Any

from hanoix.errors import InputError

# Pages read through the map count in the process's resident memory until it lets go of
# them (MADV_DONTNEED; the page cache keeps them): every _RELEASE_EVERY bytes it does, up to
# the first view lent out and not yet released.
_RELEASE_EVERY = 16 * 1024 * 1024
# A file not yet in the page cache would be read a page fault at a time: the kernel is asked
# to read ahead (MADV_WILLNEED) this far beyond the position, as read() would. The position
# is the producer's, already a pipeline's worth of chunks ahead of the hashing, so a short
# step suffices; 64 MiB steps made packing a cold 1 GiB file 0.4 s slower (1.8 s against
# 1.4 s, medians of 5), the disk serving each burst of reads while the package's writes
# waited behind it.
_READ_AHEAD = 4 * 1024 * 1024
_F_SETLEASE = getattr(fcntl, "F_SETLEASE", 1024)
_F_GETLEASE = getattr(fcntl, "F_GETLEASE", 1025)
_SIGIO = getattr(signal, "SIGIO", None)


class LeaseBrokenError(InputError):
    """Another program opened the file for writing, or truncated it, while it was read."""


class _Leases:
    """The leases this process holds, and the SIGIO handler that watches them.

    Python runs signal handlers in the main thread, and only the main thread may install
    one: :func:`prepare` installs it (once, for the life of the process; it does nothing
    while no lease is held), after which any thread may take leases.
    """

    def __init__(self) -> None:
        # Reentrant: the handler runs in the main thread, possibly inside watch() or forget().
        self._lock = threading.RLock()
        self._held: dict[int, LeasedReader] = {}
        self._previous: Any = None
        self.ready = False

    def prepare(self) -> None:
        if self.ready or _SIGIO is None:
            return
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.signal(_SIGIO, self._on_sigio)
        self.ready = True

    def watch(self, reader: LeasedReader) -> None:
        with self._lock:
            self._held[reader.fd] = reader

    def forget(self, reader: LeasedReader) -> None:
        with self._lock:
            self._held.pop(reader.fd, None)

    def _on_sigio(self, signum: int, frame: FrameType | None) -> None:
        # SIGIO does not say which lease is being broken: ask each. A lease being broken
        # reports the type it must be downgraded to, F_UNLCK for a read lease.
        with self._lock:
            held = list(self._held.items())
        for fd, reader in held:
            with contextlib.suppress(OSError):
                if fcntl.fcntl(fd, _F_GETLEASE) == fcntl.F_UNLCK:
                    reader.broken = True
        previous = self._previous
        if callable(previous):
            previous(signum, frame)


_LEASES = _Leases()


def prepare() -> None:
    """Make leased reading possible in this process: call it from the main thread before
    files are opened with :func:`open_for_reading` (from any thread). Harmless elsewhere."""
    _LEASES.prepare()


class LeasedReader(io.RawIOBase):
    """A read-only, seekable view of one file, served from a memory map held under a lease."""

    def __init__(self, fd: int, path: Path, mapping: mmap.mmap) -> None:
        super().__init__()
        self.fd = fd
        self.path = path
        self.broken = False
        self._mapping = mapping
        self._view = memoryview(mapping)
        self._position = 0
        self._released_to = 0
        self._read_ahead_to = 0
        self._lent: deque[tuple[int, memoryview]] = deque()  # (offset, view), in order
        self._read_ahead(0)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: len(self._view)}
        self._position = max(0, base[whence] + offset)
        # Reading goes on from here: pages before it may be let go of again, and the pages
        # after it are to be read ahead.
        page = self._position - self._position % mmap.PAGESIZE
        self._released_to = min(self._released_to, page)
        self._lent.clear()
        if not page <= self._read_ahead_to <= page + _READ_AHEAD:
            self._read_ahead_to = page
        self._read_ahead(self._position)
        return self._position

    def readinto(self, buffer: Any) -> int:
        if self.broken:
            raise self._broken_error()
        target = memoryview(buffer).cast("B")
        start = min(self._position, len(self._view))
        count = min(len(target), len(self._view) - start)
        target[:count] = self._view[start : start + count]
        self._advance(start + count)
        return count

    def _read_ahead(self, position: int) -> None:
        if position + _READ_AHEAD // 2 < self._read_ahead_to:
            return
        start = max(position - position % mmap.PAGESIZE, self._read_ahead_to)
        length = min(_READ_AHEAD, len(self._view) - start)
        if length > 0:
            with contextlib.suppress(AttributeError, OSError, ValueError):
                self._mapping.madvise(mmap.MADV_WILLNEED, start, length)
        self._read_ahead_to = start + max(length, 0)

    def _advance(self, position: int) -> None:
        self._position = position
        self._read_ahead(position)
        while self._lent and _released(self._lent[0][1]):
            self._lent.popleft()
        upto = self._lent[0][0] if self._lent else position
        upto -= upto % mmap.PAGESIZE
        if upto - self._released_to >= _RELEASE_EVERY:
            with contextlib.suppress(AttributeError, OSError, ValueError):
                self._mapping.madvise(
                    mmap.MADV_DONTNEED, self._released_to, upto - self._released_to
                )
            self._released_to = upto

    def lend(self, size: int) -> memoryview:
        """The next ``size`` bytes (fewer at the end) as a view of the map, without a copy.

        The view must be released, and nothing may read it after :meth:`close`: closing
        gives the lease back, after which the file may change under the map.
        """
        if self.broken:
            raise self._broken_error()
        start = min(self._position, len(self._view))
        end = min(start + size, len(self._view))
        view = self._view[start:end]
        self._lent.append((start, view))
        self._advance(end)
        return view

    def _broken_error(self) -> LeaseBrokenError:
        return LeaseBrokenError(
            f"{self.path} was opened for writing by another program while it was being "
            "read; nothing was kept: try again once nothing writes to it"
        )

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._view.release()
            with contextlib.suppress(BufferError):
                # A lent view still referenced (a pipeline stopped by an error) keeps the
                # map until it is collected; nothing reads it any more.
                self._mapping.close()
            # Only now may the program waiting for the lease go on.
            with contextlib.suppress(OSError):
                fcntl.fcntl(self.fd, _F_SETLEASE, fcntl.F_UNLCK)
            _LEASES.forget(self)
            os.close(self.fd)
        finally:
            super().close()


def _released(view: memoryview) -> bool:
    try:
        view.nbytes  # noqa: B018 - raises once the view is released
    except ValueError:
        return True
    return False


def open_for_reading(path: Path) -> io.RawIOBase:
    """``path`` opened for reading: a :class:`LeasedReader` when the file can be leased and
    mapped, else an ordinary unbuffered file. Raises ``OSError`` as ``open`` does."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        return _leased(fd, Path(path)) or io.FileIO(fd, "rb", closefd=True)
    except BaseException:  # a folder (IsADirectoryError from FileIO), a failed lease
        os.close(fd)
        raise


def _leased(fd: int, path: Path) -> LeasedReader | None:
    info = os.fstat(fd)
    if not _LEASES.ready or not stat.S_ISREG(info.st_mode) or info.st_size == 0:
        return None
    size = info.st_size
    try:
        fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_RDLCK)
    except OSError as exc:
        # Open for writing elsewhere (EAGAIN), not ours (EACCES), no leases here (EINVAL,
        # ENOLCK): read it the ordinary way.
        if exc.errno in {errno.EAGAIN, errno.EACCES, errno.EPERM, errno.EINVAL, errno.ENOLCK}:
            return None
        raise
    try:
        mapping = mmap.mmap(fd, size, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_UNLCK)
        return None
    with contextlib.suppress(AttributeError, OSError):
        mapping.madvise(mmap.MADV_SEQUENTIAL)
    reader = LeasedReader(fd, path, mapping)
    _LEASES.watch(reader)
    if fcntl.fcntl(fd, _F_GETLEASE) == fcntl.F_UNLCK:
        reader.broken = True  # broken before it was watched: the handler could not tell
    return reader
