"""Waking the delivery workers of this host the moment another process queues an urgent
envelope, instead of at their next poll (a second by default when the worker is idle).

Each running worker listens on a Unix datagram socket of its own in ``HOME/federation/wake/``;
a process that commits an urgent envelope (a command, an API process of ``serve --workers``)
sends an empty datagram to each socket there. The datagram carries nothing: it only makes the
worker claim now what it would have claimed at its next poll, so a stray one costs a read of
the outbox. A worker that cannot listen (a home whose path is too long for a Unix socket, a
file system without them) polls as before; workers on other machines (PostgreSQL) too.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from hanoix.logs import get_logger

_log = get_logger("hanoix.federation.wakeup")

# A Unix socket's path is at most 108 bytes on Linux (104 on the BSDs), its last one a NUL:
# past that the folder is reached through an open descriptor of it (/proc/self/fd/N/...).
_MAX_PATH_BYTES = 100
# How often the listening thread looks whether it was closed (it waits on the socket between).
_CLOSE_CHECK_SECONDS = 0.5


def wake_folder(home: Path) -> Path:
    """Where the workers of the node at ``home`` listen."""
    return home / "federation" / "wake"


@contextlib.contextmanager
def _reachable(folder: Path) -> Iterator[Path]:
    """``folder``, or a path short enough for a socket that leads there."""
    if len(os.fsencode(folder)) + 40 <= _MAX_PATH_BYTES or not Path("/proc/self/fd").is_dir():
        yield folder
        return
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield Path(f"/proc/self/fd/{descriptor}")
    finally:
        os.close(descriptor)


def wake_workers(home: Path) -> None:
    """Nudge every worker listening under ``home``; never blocks and never raises (a worker
    that misses it finds the envelope at its next poll). A socket nobody listens on any more
    (its worker was killed) is removed."""
    folder = wake_folder(home)
    try:
        paths = list(folder.glob("*.sock"))
    except OSError:
        return
    if not paths:
        return
    try:
        with (
            _reachable(folder) as reachable,
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender,
        ):
            sender.setblocking(False)
            for path in paths:
                try:
                    sender.sendto(b"", str(reachable / path.name))
                except ConnectionRefusedError:
                    with contextlib.suppress(OSError):
                        path.unlink()
                except OSError:
                    pass  # its queue is full (it is awake anyway), or it went away meanwhile
    except OSError:
        return


class WakeListener:
    """The socket one running worker is woken through; ``on_wake`` runs on its own thread."""

    def __init__(self, home: Path, on_wake: Callable[[], None]) -> None:
        self._folder = wake_folder(home)
        self._on_wake = on_wake
        self._socket: socket.socket | None = None
        self._path: Path | None = None
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Listen; False (and the worker polls) when this home cannot have the socket."""
        path = self._folder / f"{os.getpid()}-{id(self):x}.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            # Only the node's own user may nudge it (a nudge is harmless, but nobody else's).
            old_mask = os.umask(0o177)
            try:
                with _reachable(self._folder) as reachable:
                    listener.bind(str(reachable / path.name))
            finally:
                os.umask(old_mask)
        except OSError as exc:
            listener.close()
            _log.info("federation.wake_unavailable", reason=exc.strerror or str(exc))
            return False
        listener.settimeout(_CLOSE_CHECK_SECONDS)
        self._socket, self._path = listener, path
        self._thread = threading.Thread(target=self._listen, name="hanoix-wake", daemon=True)
        self._thread.start()
        return True

    def _listen(self) -> None:
        assert self._socket is not None
        while not self._closed.is_set():
            try:
                self._socket.recv(16)
            except TimeoutError:
                continue
            except OSError:
                return
            self._on_wake()

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        if self._path is not None:
            with contextlib.suppress(OSError):
                self._path.unlink()
