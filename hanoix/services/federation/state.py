"""What a node's federation keeps between calls in this process, owned by the node
(:attr:`hanoix.services.node.Node.federation_state`) rather than by the module: every
:class:`~hanoix.services.federation.Federation` of a node shares it, and two nodes in one
process (tests, the demo) share nothing."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from hanoix.federation.batch import OpeningSessions, SealingSessions
from hanoix.federation.directory import Directory
from hanoix.federation.identity import NodeIdentity
from hanoix.services.federation.staging import StagedFiles


class WriterTurns:
    """One inbox writer at a time in this process, and an urgent one waiting goes before the
    ordinary ones waiting (it still waits for the writer that holds the turn)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = False
        self._urgent_waiting = 0
        self.waiting = 0
        """How many writers are waiting for the turn."""

    @contextlib.contextmanager
    def turn(self, *, urgent: bool) -> Iterator[None]:
        with self._changed:
            if urgent:
                self._urgent_waiting += 1
            self.waiting += 1
            try:
                while self._busy or (not urgent and self._urgent_waiting):
                    self._changed.wait()
            finally:
                self.waiting -= 1
                if urgent:
                    self._urgent_waiting -= 1
            self._busy = True
        try:
            yield
        finally:
            with self._changed:
                self._busy = False
                self._changed.notify_all()


@contextlib.contextmanager
def sqlite_turn(turns: WriterTurns, dialect: str, *, urgent: bool) -> Iterator[None]:
    """On SQLite, take a turn of ``turns`` for a write transaction: SQLite takes one writer
    anyway, and threads waiting on a condition resume at once, where SQLite's busy handler
    has them sleep up to 100 ms between tries (an urgent envelope would wait for that). Other
    databases lock rows, not the file: no turn."""
    if dialect != "sqlite":
        yield
        return
    with turns.turn(urgent=urgent):
        yield


class FederationState:
    """The node's identity and parsed directories (cached: every envelope needs them), the
    staged files of incoming transfers, the inbox writers' turns, and the outbox signals."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._identity: NodeIdentity | None = None
        self._directories: dict[str, Directory] = {}
        self.staged = StagedFiles()
        self.sealing = SealingSessions()
        """This process's sessions with each peer key, for ``hanoix-envelope/2``."""
        self.opening = OpeningSessions()
        """The session keys of the ``hanoix-envelope/2`` received, by sender's session."""
        self.inbound_turns = WriterTurns()
        self.ordinary_checks = threading.Semaphore(1)
        """Taken while an ordinary batch of envelopes is checked (see ``Inbox._checking``)."""
        self.outbox_turns = WriterTurns()
        """The delivery workers' write transactions on the outbox (claims and outcomes)."""
        self.outbox_signal = threading.Event()
        """Set when an envelope is queued: wakes the delivery workers of this process (the
        others poll)."""
        self.urgent_signal = threading.Event()
        """Set when an urgent envelope is queued: wakes the urgent lane of the delivery
        workers of this process at once (the others poll)."""

    def identity(self) -> NodeIdentity | None:
        with self._lock:
            return self._identity

    def keep_identity(self, identity: NodeIdentity) -> None:
        with self._lock:
            self._identity = identity

    def forget_identity(self) -> None:
        """Read the keys again at the next use (after a rotation or a new TLS certificate)."""
        with self._lock:
            self._identity = None

    def directory(self, digest: str) -> Directory | None:
        with self._lock:
            return self._directories.get(digest)

    def keep_directory(self, digest: str, directory: Directory) -> None:
        with self._lock:
            self._directories[digest] = directory
