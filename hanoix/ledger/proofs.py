"""Proof documents: everything a verifier needs travels together (proof + signed checkpoint).

An :class:`InclusionProof` or :class:`ConsistencyProof` is checked with nothing but itself and
the log's public key (:class:`~hanoix.ledger.checkpoint.NoteVerifier`), offline: a court can do
it without trusting the node that produced it. JSON forms use lower-case hex for hashes; the
checkpoints are the signed notes verbatim.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hanoix.ledger.checkpoint import NoteVerifier, SignedCheckpoint, open_checkpoint
from hanoix.ledger.errors import InvalidProofError, MalformedProofError
from hanoix.ledger.merkle import HASH_SIZE, leaf_hash, verify_consistency, verify_inclusion


def _hex_hash(data: Mapping[str, Any], name: str) -> bytes:
    value = data.get(name)
    if not isinstance(value, str):
        raise MalformedProofError(f"proof field {name!r} must be a hex string")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise MalformedProofError(f"proof field {name!r} is not hex") from None
    if len(raw) != HASH_SIZE or value != raw.hex():
        raise MalformedProofError(f"proof field {name!r} is not a 32-byte lower-case hex hash")
    return raw


def _hex_path(data: Mapping[str, Any], name: str) -> tuple[bytes, ...]:
    values = data.get(name)
    if not isinstance(values, list):
        raise MalformedProofError(f"proof field {name!r} must be a list of hex hashes")
    return tuple(_hex_hash({name: value}, name) for value in values)


def _size(data: Mapping[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise MalformedProofError(f"proof field {name!r} must be a whole number, at least 0")
    return value


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise MalformedProofError(f"proof field {name!r} must be a signed checkpoint (text)")
    return value


def _check_fields(data: Any, expected: set[str]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise MalformedProofError("a proof document is a JSON object")
    missing = expected - set(data)
    if missing:
        raise MalformedProofError(f"the proof lacks the field(s) {', '.join(sorted(missing))}")
    return data


def _matches(verified: SignedCheckpoint, size: int, root: bytes, step: int) -> None:
    if verified.size != size:
        raise InvalidProofError(
            f"step {step}: the checkpoint is of size {verified.size}, the proof of size {size}"
        )
    if not hmac.compare_digest(verified.root_hash, root):
        raise InvalidProofError(
            f"step {step}: the proof's root hash is not the checkpoint's root hash"
        )


@dataclass(frozen=True)
class InclusionProof:
    """Entry ``index`` (with ``leaf_hash``) is in the tree of ``tree_size`` the checkpoint signs."""

    index: int
    tree_size: int
    leaf_hash: bytes
    root_hash: bytes
    audit_path: tuple[bytes, ...]
    checkpoint: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash.hex(),
            "root_hash": self.root_hash.hex(),
            "audit_path": [value.hex() for value in self.audit_path],
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_dict(cls, data: Any) -> InclusionProof:
        fields = {"index", "tree_size", "leaf_hash", "root_hash", "audit_path", "checkpoint"}
        checked = _check_fields(data, fields)
        return cls(
            index=_size(checked, "index"),
            tree_size=_size(checked, "tree_size"),
            leaf_hash=_hex_hash(checked, "leaf_hash"),
            root_hash=_hex_hash(checked, "root_hash"),
            audit_path=_hex_path(checked, "audit_path"),
            checkpoint=_text(checked, "checkpoint"),
        )

    def verify(self, log_key: NoteVerifier, *, entry: bytes | None = None) -> SignedCheckpoint:
        """Check the proof; return the verified checkpoint. Steps:

        1. the checkpoint is signed by the log's key and names its origin;
        2. it is of the proof's tree size and root hash;
        3. if ``entry`` (the canonical entry bytes) is given, its leaf hash is the proof's;
        4. the audit path leads from the leaf hash to the root hash (RFC 9162, 2.1.3.2).
        """
        verified = open_checkpoint(self.checkpoint, log_key)
        _matches(verified, self.tree_size, self.root_hash, 2)
        if entry is not None and not hmac.compare_digest(leaf_hash(entry), self.leaf_hash):
            raise InvalidProofError("step 3: the entry given is not the entry the proof is about")
        try:
            verify_inclusion(
                self.leaf_hash, self.index, self.tree_size, self.audit_path, self.root_hash
            )
        except InvalidProofError as exc:
            raise InvalidProofError(f"step 4: {exc.message}") from None
        return verified


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree the first checkpoint signs is a prefix of the tree the second one signs."""

    from_size: int
    to_size: int
    from_root: bytes
    to_root: bytes
    consistency_path: tuple[bytes, ...]
    from_checkpoint: str
    to_checkpoint: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "from_size": self.from_size,
            "to_size": self.to_size,
            "from_root": self.from_root.hex(),
            "to_root": self.to_root.hex(),
            "consistency_path": [value.hex() for value in self.consistency_path],
            "from_checkpoint": self.from_checkpoint,
            "to_checkpoint": self.to_checkpoint,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ConsistencyProof:
        fields = {
            "from_size",
            "to_size",
            "from_root",
            "to_root",
            "consistency_path",
            "from_checkpoint",
            "to_checkpoint",
        }
        checked = _check_fields(data, fields)
        return cls(
            from_size=_size(checked, "from_size"),
            to_size=_size(checked, "to_size"),
            from_root=_hex_hash(checked, "from_root"),
            to_root=_hex_hash(checked, "to_root"),
            consistency_path=_hex_path(checked, "consistency_path"),
            from_checkpoint=_text(checked, "from_checkpoint"),
            to_checkpoint=_text(checked, "to_checkpoint"),
        )

    def verify(self, log_key: NoteVerifier) -> tuple[SignedCheckpoint, SignedCheckpoint]:
        """Check the proof; return both verified checkpoints. Steps:

        1. both checkpoints are signed by the log's key and name its origin;
        2. they are of the proof's sizes and root hashes;
        3. the path proves the first tree a prefix of the second (RFC 9162, 2.1.4.2); a proof
           that leads to the second root but not from the first raises
           :class:`~hanoix.ledger.errors.LogInconsistencyError`: the log signed two histories.
        """
        first = open_checkpoint(self.from_checkpoint, log_key)
        second = open_checkpoint(self.to_checkpoint, log_key)
        _matches(first, self.from_size, self.from_root, 2)
        _matches(second, self.to_size, self.to_root, 2)
        try:
            verify_consistency(
                self.from_size, self.to_size, self.from_root, self.to_root, self.consistency_path
            )
        except InvalidProofError as exc:
            raise InvalidProofError(f"step 3: {exc.message}") from None
        return first, second
