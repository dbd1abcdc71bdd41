"""The proof that a letter's issue is in the requesting node's custody ledger (docs/letters.md).

An inclusion proof alone shows that *some* entry sits at the index the QR code names, in a
checkpoint the requesting node's log signed. It does not show that the entry records *this*
letter: a node could put a QR code on a letter and point it at any entry. So the proof travels
with the entry itself, as the log holds it: the verifier hashes it to the proof's leaf, and reads
in it the ``request.letter-issued`` event and the SHA-256 of the document the letter embeds.

The entry names the request by its pseudonym (never in clear), the issuing user's identifier,
the authority, the time and the language: nothing a holder of the letter does not already read
on it, except who pressed the button.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hanoix.errors import InputError
from hanoix.ledger.errors import MalformedEntryError, MalformedProofError
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.ledger.proofs import InclusionProof

PROOF_FORMAT = "hanoix-letter-proof"
PROOF_VERSION = 1
MAX_ENTRY_BYTES = 64 * 1024


@dataclass(frozen=True)
class LetterProof:
    """A letter's custody entry (its canonical bytes) and the proof of its inclusion."""

    entry: bytes
    inclusion: InclusionProof

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": PROOF_FORMAT,
            "version": PROOF_VERSION,
            "entry": base64.b64encode(self.entry).decode("ascii"),
            "inclusion": self.inclusion.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> LetterProof:
        """Read a letter proof; InputError naming what is wrong (a bare inclusion proof from
        ``hanoix ledger prove`` included: it lacks the entry)."""
        if not isinstance(data, Mapping):
            raise InputError("a letter proof is a JSON object")
        if data.get("format") != PROOF_FORMAT:
            if "leaf_hash" in data:
                raise InputError(
                    "this is a bare inclusion proof: it does not carry the entry, so it cannot "
                    "show the entry is this letter's issue; ask the requesting node for "
                    "'hanoix letter proof LETTER.pdf'"
                )
            raise InputError(f"not a letter proof: its 'format' is not {PROOF_FORMAT!r}")
        if data.get("version") != PROOF_VERSION:
            raise InputError(
                f"letter proof version {data.get('version')!r} is not supported "
                f"(this node reads version {PROOF_VERSION})"
            )
        raw = data.get("entry")
        if not isinstance(raw, str) or len(raw) > MAX_ENTRY_BYTES * 4 // 3 + 4:
            raise InputError("the letter proof's 'entry' must be base64 text of at most 64 KiB")
        try:
            entry = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InputError("the letter proof's 'entry' is not base64") from None
        try:
            inclusion = InclusionProof.from_dict(data.get("inclusion"))
        except MalformedProofError as exc:
            raise InputError(f"the letter proof's inclusion proof: {exc.message}") from None
        return cls(entry, inclusion)


def issue_problem(entry: bytes, reference_sha256: str) -> str | None:
    """Why ``entry`` is not the record of the issue of the letter embedding the document of
    SHA-256 ``reference_sha256``; ``None`` when it is."""
    try:
        event = CustodyEvent.from_dict(json.loads(entry))
    except (ValueError, MalformedEntryError, InputError):
        return "the entry given is not a custody event"
    if event.kind is not EventKind.REQUEST_LETTER_ISSUED:
        return f"the entry records {event.kind.value}, not a letter's issue"
    recorded = event.details.get("document_sha256")
    if not isinstance(recorded, str) or not hmac.compare_digest(
        recorded.encode("ascii", "replace"), reference_sha256.encode("ascii")
    ):
        return "the entry records the issue of another letter (another embedded document)"
    return None
