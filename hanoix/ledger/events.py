"""Custody events: what the custody ledger records, as canonical JSON (RFC 8785).

Every module that changes custody of evidence or the state of a request records one of these
through the ledger service; the ledger hashes their canonical bytes into its Merkle tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import rfc8785

from hanoix.errors import InputError


class EventKind(StrEnum):
    # evidence packages
    PACKAGE_SEALED = "package.sealed"
    PACKAGE_SENT = "package.sent"
    PACKAGE_RECEIVED = "package.received"
    PACKAGE_OPENED = "package.opened"
    PACKAGE_VERIFIED = "package.verified"
    PACKAGE_FORWARDED = "package.forwarded"
    PACKAGE_DELETED = "package.deleted"
    # cooperation requests
    REQUEST_CREATED = "request.created"
    REQUEST_APPROVED = "request.approved"
    REQUEST_SENT = "request.sent"
    REQUEST_ACKNOWLEDGED = "request.acknowledged"
    REQUEST_EXECUTED = "request.executed"
    REQUEST_REFUSED = "request.refused"
    REQUEST_CLOSED = "request.closed"
    REQUEST_CHANGED = "request.changed"  # any other lifecycle step; details say which
    # the log and its peers
    CHECKPOINT_COSIGNED = "checkpoint.cosigned"
    SPLIT_VIEW_DETECTED = "checkpoint.split-view"
    ENVELOPE_REJECTED = "envelope.rejected"


@dataclass(frozen=True)
class CustodyEvent:
    """One custody event. ``subject`` names the object: ``{"package": "sha256:..."}`` or
    ``{"request": "AUT-2026-0001"}``; ``details`` holds anything else worth keeping (never
    evidence content, never personal data beyond identifiers)."""

    kind: EventKind
    actor: str
    authority: str
    at: datetime
    subject: dict[str, str]
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise InputError("a custody event's time must be timezone-aware (UTC)")
        if not self.actor.strip():
            raise InputError("a custody event needs an actor (who did it)")
        if not self.authority.strip():
            raise InputError("a custody event needs an authority (on whose behalf)")
        if not self.subject:
            raise InputError("a custody event needs a subject (package digest or request ref)")

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "actor": self.actor,
            "authority": self.authority,
            "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "subject": dict(self.subject),
            "details": dict(self.details),
        }

    def canonical_bytes(self) -> bytes:
        """The RFC 8785 canonical JSON of the event: the bytes that become the Merkle leaf."""
        return bytes(rfc8785.dumps(self.as_dict()))
