"""What a node's federation keeps between calls in this process, owned by the node
(:attr:`hanoix.services.node.Node.federation_state`) rather than by the module: every
:class:`~hanoix.services.federation.Federation` of a node shares it, and two nodes in one
process (tests, the demo) share nothing."""

from __future__ import annotations

import threading

from hanoix.federation.directory import Directory
from hanoix.federation.identity import NodeIdentity
from hanoix.services.federation.staging import StagedFiles


class FederationState:
    """The node's identity and parsed directories (cached: every envelope needs them), the
    staged files of incoming transfers, the inbox writer lock, and the outbox signal."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._identity: NodeIdentity | None = None
        self._directories: dict[str, Directory] = {}
        self.staged = StagedFiles()
        self.inbound_lock = threading.Lock()
        self.outbox_signal = threading.Event()
        """Set when an envelope is queued: wakes the delivery workers of this process (the
        others poll)."""

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
