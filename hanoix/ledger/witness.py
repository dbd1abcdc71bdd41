"""Witnessing between States: cosigning other logs' checkpoints and catching split views.

A node *witnesses* the logs of the nodes it talks to. Given a checkpoint from a peer log and the
last checkpoint it saw from that log, it checks (1) the log's signature and origin, (2) that the
new checkpoint extends the old one (a consistency proof, or equal roots at equal sizes), and only
then (3) cosigns it. Two validly signed checkpoints of one log that cannot both be true (the same
size with different roots, or a consistency proof showing a rewritten past) are a *split view*:
:class:`~hanoix.ledger.errors.SplitViewError` carries both notes as evidence that anyone holding
the log's public key can check.

Cosignatures follow c2sp.org/tlog-cosignature v1: a note signature line whose key ID uses
signature type 0x04, and whose signature is ``timestamp (u64, big-endian) || Ed25519 signature``
over ``"cosignature/v1\\ntime <timestamp>\\n" || checkpoint note text``.

Pure: the caller supplies the previously seen checkpoint and the time, and keeps what it saw.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hanoix.ledger.checkpoint import (
    NoteSignature,
    NoteVerifier,
    SignedCheckpoint,
    SignedNote,
    check_key_name,
    key_id,
    open_checkpoint,
    parse_note,
)
from hanoix.ledger.errors import (
    CheckpointError,
    InvalidProofError,
    LogInconsistencyError,
    SplitViewError,
    StaleCheckpointError,
)
from hanoix.ledger.merkle import verify_consistency
from hanoix.signer import Ed25519Signer

SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04
COSIGNATURE_HEADER = "cosignature/v1\n"
_MAX_TIMESTAMP = 2**63 - 1


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The bytes a v1 cosignature signs: header line, time line, the checkpoint's note text."""
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise ValueError("a cosignature timestamp is between 0 and 2**63 - 1")
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{checkpoint_text}".encode()


@dataclass(frozen=True)
class Cosignature:
    """A witness's statement that, at ``timestamp``, this was the largest consistent checkpoint
    it had seen of the log."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)

    def note_signature(self) -> NoteSignature:
        return NoteSignature(
            self.name, self.key_id, self.timestamp.to_bytes(8, "big") + self.signature
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "witness": self.name,
            "key_id": self.key_id.hex(),
            "time": self.time.isoformat().replace("+00:00", "Z"),
            "signature_line": self.note_signature().line().rstrip("\n"),
        }


class Cosigner:
    """A witness's Ed25519 cosigning key (signature type 0x04) under its name."""

    def __init__(self, name: str, private_key: Ed25519Signer) -> None:
        self.name = check_key_name(name)
        self._private_key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id(name, SIGNATURE_TYPE_COSIGNATURE_V1, self.public_key)

    def cosign(self, checkpoint_text: str, timestamp: int) -> Cosignature:
        signature = self._private_key.sign(cosigned_message(checkpoint_text, timestamp))
        return Cosignature(self.name, self.key_id, timestamp, signature)

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.public_key)

    def __repr__(self) -> str:
        return f"Cosigner({self.name!r}, key_id={self.key_id.hex()})"


class CosignatureVerifier(NoteVerifier):
    """Verifies one witness's v1 cosignatures; its vkey has signature type 0x04."""

    signature_type = SIGNATURE_TYPE_COSIGNATURE_V1

    def cosignature(self, text: str, signature: NoteSignature) -> Cosignature:
        """Verify ``signature`` on the checkpoint note ``text``; return it read."""
        if not self.matches(signature):
            raise CheckpointError(f"the cosignature is not from the witness {self.name}")
        if len(signature.signature) != 8 + 64:
            raise CheckpointError(f"the cosignature of {self.name} is not 72 bytes long")
        timestamp = int.from_bytes(signature.signature[:8], "big")
        if timestamp > _MAX_TIMESTAMP:
            raise CheckpointError(f"the cosignature of {self.name} has an impossible timestamp")
        raw = signature.signature[8:]
        try:
            self._key.verify(raw, cosigned_message(text, timestamp))
        except InvalidSignature:
            raise CheckpointError(
                f"the cosignature of {self.name} (key {self.key_id.hex()}) does not verify"
            ) from None
        return Cosignature(self.name, self.key_id, timestamp, raw)

    def verify_text(self, text: str, signature: NoteSignature) -> None:
        self.cosignature(text, signature)


def verify_cosignatures(
    note: str | bytes | SignedNote, witnesses: Sequence[CosignatureVerifier]
) -> list[Cosignature]:
    """The valid cosignatures of ``witnesses`` found on ``note``.

    Lines of unknown keys are ignored; a line of a known witness that does not verify raises
    :class:`CheckpointError` (the whole note is then suspect). Use :func:`require_cosignatures`
    to enforce a quorum.
    """
    parsed = note if isinstance(note, SignedNote) else parse_note(note)
    found: list[Cosignature] = []
    for witness in witnesses:
        for signature in parsed.signatures:
            if witness.matches(signature):
                found.append(witness.cosignature(parsed.text, signature))
                break
    return found


def require_cosignatures(
    note: str | bytes | SignedNote, witnesses: Sequence[CosignatureVerifier], quorum: int
) -> list[Cosignature]:
    """Like :func:`verify_cosignatures`, but fail unless at least ``quorum`` witnesses cosigned."""
    found = verify_cosignatures(note, witnesses)
    if len(found) < quorum:
        raise CheckpointError(
            f"the checkpoint carries {len(found)} valid cosignature(s) of the trusted witnesses; "
            f"{quorum} are required"
        )
    return found


# --- witnessing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitViewEvidence:
    """Two signed checkpoints of one log that cannot both be true, and why.

    ``consistency_proof`` is the proof the log offered from the first to the second when their
    sizes differ (it leads to the second root but gives another first root).
    """

    origin: str
    first_note: str
    second_note: str
    first_size: int
    second_size: int
    reason: str
    consistency_proof: tuple[bytes, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "first_size": self.first_size,
            "second_size": self.second_size,
            "first_checkpoint": self.first_note,
            "second_checkpoint": self.second_note,
            "consistency_proof": [value.hex() for value in self.consistency_proof],
            "reason": self.reason,
        }

    def confirm(self, log_key: NoteVerifier) -> None:
        """Re-check the evidence with only the log's public key, as a third party would.

        Raises :class:`SplitViewError` when the evidence holds (that is the finding), and
        :class:`CheckpointError` or :class:`InvalidProofError` when it does not prove anything.
        """
        first = open_checkpoint(self.first_note, log_key, origin=self.origin)
        second = open_checkpoint(self.second_note, log_key, origin=self.origin)
        if first.size > second.size:
            first, second = second, first
        check_same_view(first, second, self.consistency_proof)
        raise InvalidProofError(
            "the evidence does not show a split view: the two checkpoints are consistent"
        )


@dataclass(frozen=True)
class WitnessedCheckpoint:
    """A peer's checkpoint this witness checked and cosigned."""

    checkpoint: SignedCheckpoint
    cosignature: Cosignature
    cosigned_note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.checkpoint.checkpoint.as_dict(),
            "cosignature": self.cosignature.as_dict(),
            "cosigned_checkpoint": self.cosigned_note,
        }


def check_same_view(
    first: SignedCheckpoint, second: SignedCheckpoint, consistency_proof: Sequence[bytes] = ()
) -> None:
    """Check that two *verified* checkpoints of one log can both be true; ``first`` is the
    smaller (or equal) one and the proof leads from it to ``second``.

    Raises :class:`SplitViewError` with the evidence when they provably cannot, and
    :class:`InvalidProofError` when the proof is merely unusable.
    """
    if first.origin != second.origin:
        raise CheckpointError(
            f"checkpoints of two logs ({first.origin!r}, {second.origin!r}) cannot be compared"
        )
    if first.size > second.size:
        raise ValueError("check_same_view wants the smaller checkpoint first")
    try:
        if first.size == second.size:
            if not hmac.compare_digest(first.root_hash, second.root_hash):
                raise LogInconsistencyError(
                    f"two different root hashes for the same tree size {first.size}"
                )
        else:
            verify_consistency(
                first.size, second.size, first.root_hash, second.root_hash, consistency_proof
            )
    except LogInconsistencyError as finding:
        evidence = SplitViewEvidence(
            origin=first.origin,
            first_note=first.note,
            second_note=second.note,
            first_size=first.size,
            second_size=second.size,
            reason=finding.message,
            consistency_proof=tuple(consistency_proof) if first.size != second.size else (),
        )
        raise SplitViewError(
            f"SPLIT VIEW of the log {first.origin!r}: {finding.message}; both checkpoints carry "
            "valid signatures of the log's key",
            evidence=evidence,
        ) from None


def witness_checkpoint(
    cosigner: Cosigner,
    note: str | bytes,
    log_key: NoteVerifier,
    *,
    previous: SignedCheckpoint | None,
    consistency_proof: Sequence[bytes] = (),
    now: datetime,
    origin: str | None = None,
) -> WitnessedCheckpoint:
    """Check a peer log's checkpoint against the last one seen from it, then cosign it.

    1. The note verifies with the log's key and names the log's origin
       (:class:`CheckpointError`).
    2. It is not older than ``previous`` (:class:`StaleCheckpointError`).
    3. It extends ``previous``: equal roots at equal sizes, or a valid consistency proof
       (:class:`InvalidProofError`; :class:`SplitViewError` when the two provably disagree).
    4. Cosign it at ``now`` (tlog-cosignature v1).

    With no ``previous`` the first checkpoint is trusted as seen (trust on first use).
    """
    if now.tzinfo is None:
        raise ValueError("the witness needs a timezone-aware time")
    checkpoint = open_checkpoint(note, log_key, origin=origin)
    if previous is not None:
        if previous.origin != checkpoint.origin:
            raise CheckpointError(
                f"witness step 2: the previous checkpoint is of {previous.origin!r}, "
                f"not of {checkpoint.origin!r}"
            )
        if checkpoint.size < previous.size:
            raise StaleCheckpointError(
                f"witness step 2: the checkpoint of {checkpoint.origin!r} has size "
                f"{checkpoint.size}, older than size {previous.size} already seen"
            )
        try:
            check_same_view(previous, checkpoint, consistency_proof)
        except InvalidProofError as exc:
            raise InvalidProofError(f"witness step 3: {exc.message}") from None
    cosignature = cosigner.cosign(parse_note(checkpoint.note).text, int(now.timestamp()))
    cosigned = parse_note(checkpoint.note).with_signature(cosignature.note_signature())
    return WitnessedCheckpoint(checkpoint, cosignature, cosigned.serialize())
