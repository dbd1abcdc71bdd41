"""The messages a node sends and takes: the built-in types, the node's handler registry, a
message to send, the answer to a delivery, and the hook that wakes the worker after a commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from hanoix.federation.handlers import HandlerRegistry
from hanoix.logs import get_logger

if TYPE_CHECKING:
    from hanoix.services.node import Node

_log = get_logger("hanoix.federation")

PING = "federation.ping"
NOTICE = "federation.notice"
PACKAGE = "evidence.package"
MAX_NOTICE_TEXT = 20_000

registry: HandlerRegistry[Node] = HandlerRegistry()
"""The message types this node handles. Modules add theirs by registering them::

    from hanoix.services.federation import registry

    @registry.handler("request.submit", description="a new cooperation request")
    def receive_request(node: Node, session: Session, envelope: OpenedEnvelope) -> None: ...
"""


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
