"""Property tests: tampering with any part of a proof makes verification fail, closed.

Pure paths (leaf, index, path element, root) and whole proof documents (which also bind the
tree sizes through the signed checkpoint, and the entry through its leaf hash).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hanoix.errors import VerificationError
from hanoix.ledger.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from hanoix.ledger.errors import InvalidProofError
from hanoix.ledger.merkle import MemoryTree, leaf_hash, verify_consistency, verify_inclusion
from hanoix.ledger.proofs import ConsistencyProof, InclusionProof

SIZE = 300
ENTRIES = [f'{{"entry":{i}}}'.encode() for i in range(SIZE)]
TREE = MemoryTree(ENTRIES)
SIGNER = NoteSigner("test.hanoix.invalid/tamper", Ed25519PrivateKey.generate())
VERIFIER = SIGNER.verifier()
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def flip(value: bytes, bit: int) -> bytes:
    position = (bit // 8) % len(value)
    return value[:position] + bytes([value[position] ^ (1 << (bit % 8))]) + value[position + 1 :]


def signed_note(size: int) -> str:
    return sign_checkpoint(Checkpoint(SIGNER.name, size, TREE.root(size)), SIGNER).note


def inclusion_document(index: int, size: int) -> InclusionProof:
    return InclusionProof(
        index=index,
        tree_size=size,
        leaf_hash=TREE.leaf_hash(index),
        root_hash=TREE.root(size),
        audit_path=tuple(TREE.inclusion_proof(index, size)),
        checkpoint=signed_note(size),
    )


def consistency_document(old: int, new: int) -> ConsistencyProof:
    return ConsistencyProof(
        from_size=old,
        to_size=new,
        from_root=TREE.root(old),
        to_root=TREE.root(new),
        consistency_path=tuple(TREE.consistency_proof(old, new)),
        from_checkpoint=signed_note(old),
        to_checkpoint=signed_note(new),
    )


positions = st.integers(1, SIZE).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n)))
size_pairs = st.integers(1, SIZE).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n)))


# --- the bare Merkle path -------------------------------------------------------------------------


@PROPERTY
@given(where=positions, element=st.integers(0, 64), bit=st.integers(0, 255))
def test_any_flipped_path_element_fails(where: tuple[int, int], element: int, bit: int) -> None:
    index, size = where
    path = TREE.inclusion_proof(index, size)
    assume(path)
    bad = list(path)
    bad[element % len(path)] = flip(bad[element % len(path)], bit)
    with pytest.raises(InvalidProofError):
        verify_inclusion(TREE.leaf_hash(index), index, size, bad, TREE.root(size))


@PROPERTY
@given(where=positions, bit=st.integers(0, 255))
def test_any_flipped_root_or_leaf_fails(where: tuple[int, int], bit: int) -> None:
    index, size = where
    path = TREE.inclusion_proof(index, size)
    leaf, root = TREE.leaf_hash(index), TREE.root(size)
    with pytest.raises(InvalidProofError):
        verify_inclusion(leaf, index, size, path, flip(root, bit))
    with pytest.raises(InvalidProofError):
        verify_inclusion(flip(leaf, bit), index, size, path, root)


@PROPERTY
@given(where=positions, other=st.integers(-5, 2 * SIZE))
def test_any_other_index_fails(where: tuple[int, int], other: int) -> None:
    index, size = where
    assume(other != index)
    path = TREE.inclusion_proof(index, size)
    with pytest.raises(InvalidProofError):
        verify_inclusion(TREE.leaf_hash(index), other, size, path, TREE.root(size))


@PROPERTY
@given(pair=size_pairs, element=st.integers(0, 64), bit=st.integers(0, 255))
def test_any_flipped_consistency_element_or_root_fails(
    pair: tuple[int, int], element: int, bit: int
) -> None:
    old, new = pair
    proof = TREE.consistency_proof(old, new)
    old_root, new_root = TREE.root(old), TREE.root(new)
    with pytest.raises(VerificationError):
        verify_consistency(old, new, flip(old_root, bit), new_root, proof)
    with pytest.raises(VerificationError):
        verify_consistency(old, new, old_root, flip(new_root, bit), proof)
    if proof:
        bad = list(proof)
        bad[element % len(bad)] = flip(bad[element % len(bad)], bit)
        with pytest.raises(VerificationError):
            verify_consistency(old, new, old_root, new_root, bad)


# --- whole proof documents: sizes, roots, entries and checkpoints are bound together --------------


@PROPERTY
@given(
    where=positions,
    field=st.sampled_from(["index", "tree_size", "leaf_hash", "root_hash", "audit_path"]),
    number=st.integers(0, 2 * SIZE),
    bit=st.integers(0, 255),
)
def test_any_tampered_inclusion_document_fails(
    where: tuple[int, int], field: str, number: int, bit: int
) -> None:
    index, size = where
    proof = inclusion_document(index, size)
    proof.verify(VERIFIER, entry=ENTRIES[index])
    if field in ("index", "tree_size"):
        assume(number != getattr(proof, field))
        changes: dict[str, Any] = {field: number}
        bad = dataclasses.replace(proof, **changes)
    elif field == "audit_path":
        assume(proof.audit_path)
        path = list(proof.audit_path)
        path[number % len(path)] = flip(path[number % len(path)], bit)
        bad = dataclasses.replace(proof, audit_path=tuple(path))
    else:
        flipped: dict[str, Any] = {field: flip(getattr(proof, field), bit)}
        bad = dataclasses.replace(proof, **flipped)
    with pytest.raises(VerificationError):
        bad.verify(VERIFIER)


@PROPERTY
@given(where=positions, bit=st.integers(0, 8 * 64))
def test_any_tampered_entry_fails(where: tuple[int, int], bit: int) -> None:
    index, size = where
    proof = inclusion_document(index, size)
    with pytest.raises(InvalidProofError, match="step 3"):
        proof.verify(VERIFIER, entry=flip(ENTRIES[index], bit))


@PROPERTY
@given(where=positions, position=st.integers(0, 10_000), char=st.characters(codec="utf-8"))
def test_any_tampered_checkpoint_text_fails(
    where: tuple[int, int], position: int, char: str
) -> None:
    index, size = where
    proof = inclusion_document(index, size)
    note = proof.checkpoint
    at = position % len(note)
    assume(note[at] != char)
    bad = dataclasses.replace(proof, checkpoint=note[:at] + char + note[at + 1 :])
    with pytest.raises(VerificationError):
        bad.verify(VERIFIER)


@PROPERTY
@given(
    pair=size_pairs,
    field=st.sampled_from(["from_size", "to_size", "from_root", "to_root", "consistency_path"]),
    number=st.integers(0, 2 * SIZE),
    bit=st.integers(0, 255),
)
def test_any_tampered_consistency_document_fails(
    pair: tuple[int, int], field: str, number: int, bit: int
) -> None:
    old, new = pair
    proof = consistency_document(old, new)
    proof.verify(VERIFIER)
    if field in ("from_size", "to_size"):
        assume(number != getattr(proof, field))
        changes: dict[str, Any] = {field: number}
        bad = dataclasses.replace(proof, **changes)
    elif field == "consistency_path":
        assume(proof.consistency_path)
        path = list(proof.consistency_path)
        path[number % len(path)] = flip(path[number % len(path)], bit)
        bad = dataclasses.replace(proof, consistency_path=tuple(path))
    else:
        flipped: dict[str, Any] = {field: flip(getattr(proof, field), bit)}
        bad = dataclasses.replace(proof, **flipped)
    with pytest.raises(VerificationError):
        bad.verify(VERIFIER)


def test_documents_round_trip_through_json() -> None:
    inclusion = inclusion_document(17, 123)
    assert InclusionProof.from_dict(inclusion.as_dict()) == inclusion
    consistency = consistency_document(17, 123)
    assert ConsistencyProof.from_dict(consistency.as_dict()) == consistency
    assert leaf_hash(ENTRIES[17]) == inclusion.leaf_hash


def test_documents_from_another_log_fail() -> None:
    other = NoteSigner(SIGNER.name, Ed25519PrivateKey.generate()).verifier()
    with pytest.raises(VerificationError, match="not signed by"):
        inclusion_document(1, 2).verify(other)
    with pytest.raises(VerificationError, match="not signed by"):
        consistency_document(1, 2).verify(other)
