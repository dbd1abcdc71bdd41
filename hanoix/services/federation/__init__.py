"""Federation use cases: the directory, the outbox, the inbox, transfers and witnessing.

A node holds one :class:`Federation` (:attr:`hanoix.services.node.Node.federation`), built
once from its settings; the use cases are its parts, one module each:

* :mod:`.peers`: this node's identity and keys, the directory in force, its peers;
* :mod:`.outbox`: :meth:`~Federation.enqueue` seals a message into the outbox **in the
  caller's unit of work**, so it is sent if and only if the change that caused it commits::

      with node.unit_of_work() as session:
          request = ...  # the state change
          node.federation.enqueue(session, Message("vnm.example", "request.submit", {...}))

* :mod:`.inbox`: :meth:`~Federation.process_inbound` runs the handler :data:`registry` maps
  the envelope's type to, in the inbox transaction; refusals; the 24/7 view;
* :mod:`.transfers` (with :mod:`.staging`): evidence packages received in chunks;
* :mod:`.witnessing`: checkpoints cosigned with peers.

What they share in this process (caches, staged files, locks, the outbox signal) is the
node's :class:`~.state.FederationState`, never a module global.
"""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy.orm import Session

from hanoix.errors import InputError
from hanoix.federation import codec
from hanoix.federation.envelope import OpenedEnvelope
from hanoix.federation.errors import EnvelopeRejectedError, Reason
from hanoix.federation.identity import load_identity
from hanoix.federation.settings import trust_file
from hanoix.requests import RequestReference
from hanoix.services import custody
from hanoix.services.federation.inbox import (
    INBOX_HANDLERS,
    INBOX_READERS,
    Inbox,
    InboxMessage,
    inbox_view,
    pending_inbox_ids,
)
from hanoix.services.federation.messages import (
    MAX_NOTICE_TEXT,
    NOTICE,
    PACKAGE,
    PING,
    InboundResult,
    Message,
    after_commit,
    registry,
)
from hanoix.services.federation.outbox import Outbox
from hanoix.services.federation.transfers import Transfers
from hanoix.services.federation.witnessing import Witnessing
from hanoix.services.node import Node, register_init_step
from hanoix.store import federation as store

__all__ = [
    "INBOX_HANDLERS",
    "INBOX_READERS",
    "NOTICE",
    "PACKAGE",
    "PING",
    "Federation",
    "InboundResult",
    "InboxMessage",
    "Message",
    "after_commit",
    "inbox_view",
    "pending_inbox_ids",
    "registry",
]


class Federation(Outbox, Inbox, Transfers, Witnessing):
    """Federation for one node: every use case, over one identity, directory and state."""

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
    node.federation.complete_transfer(session, envelope)


registry.register(PING, _ping, description="connectivity check")
registry.register(NOTICE, _notice, description="a free-text message between authorities")
registry.register(
    PACKAGE, _package, description="an evidence package, transferred in chunks and verified"
)


def _init_federation(node: Node, session: Session) -> dict[str, Any]:
    origin = custody.ledger_origin(node.settings, session)
    identity = load_identity(node.keys, origin, node.settings.state, create=True)
    node.federation_state.forget_identity()
    newest = max(identity.generations, key=lambda g: g.number)
    return {
        "origin": origin,
        "signing_key_id": newest.signing.public.key_id,
        "encryption_key_id": newest.decryption.public.key_id,
        "tls_sha256": identity.tls.fingerprint,
        "trust_anchor": str(trust_file(node.settings)),
    }


register_init_step("federation", _init_federation)
