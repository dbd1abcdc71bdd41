"""The worked example of docs/ledger.md, recomputed: the document cannot drift from the code."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoix.ledger.checkpoint import Checkpoint, NoteSigner, open_checkpoint, sign_checkpoint
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.ledger.merkle import MemoryTree
from hanoix.ledger.proofs import ConsistencyProof, InclusionProof
from hanoix.ledger.witness import Cosigner, witness_checkpoint

DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"
PACKAGE = "sha256:3b1f0e6c2d4a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344"


def seeded(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_worked_example_is_what_the_code_computes(doc: str) -> None:
    signer = NoteSigner("vnm.hanoix.example/ledger", seeded("hanoix docs example: log key"))
    witness = Cosigner(
        "aut.hanoix.example/ledger/witness", seeded("hanoix docs example: witness key")
    )
    events = [
        CustodyEvent(
            EventKind.PACKAGE_SEALED,
            "examiner:ngo.van.a",
            "VNM-MPS-A05",
            datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
            {"package": PACKAGE},
            {"chunks": 12, "bytes": 50331648},
        ),
        CustodyEvent(
            EventKind.PACKAGE_SENT,
            "officer:le.thi.c",
            "VNM-MPS-A05",
            datetime(2026, 11, 23, 9, 45, tzinfo=UTC),
            {"package": PACKAGE, "request": "AUT-2026-0042"},
            {"to": "AUT-BMJ"},
        ),
        CustodyEvent(
            EventKind.REQUEST_EXECUTED,
            "clerk:tran.thi.b",
            "VNM-CA",
            datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
            {"request": "AUT-2026-0042"},
        ),
    ]
    tree = MemoryTree(event.canonical_bytes() for event in events)
    for index, event in enumerate(events):
        shown = event.canonical_bytes().decode().replace(PACKAGE, "sha256:3b1f…3344")
        assert f"| {index} | `{shown}` |" in doc
        leaf = tree.leaf_hash(index).hex()
        assert f"`{leaf[:8]}…{leaf[-8:]}`" in doc
    assert signer.verifier().vkey in doc
    assert witness.verifier().vkey in doc
    first = sign_checkpoint(Checkpoint(signer.name, 1, tree.root(1)), signer)
    third = sign_checkpoint(Checkpoint(signer.name, 3, tree.root(3)), signer)
    assert first.note in doc
    assert third.note in doc
    inclusion = InclusionProof(
        1, 3, tree.leaf_hash(1), tree.root(3), tuple(tree.inclusion_proof(1, 3)), third.note
    )
    inclusion.verify(signer.verifier(), entry=events[1].canonical_bytes())
    shown_proof = json.dumps(inclusion.as_dict(), indent=2, ensure_ascii=False)
    assert shown_proof in doc
    consistency = ConsistencyProof(
        1,
        3,
        tree.root(1),
        tree.root(3),
        tuple(tree.consistency_proof(1, 3)),
        first.note,
        third.note,
    )
    consistency.verify(signer.verifier())
    cosigned = witness_checkpoint(
        witness,
        third.note,
        signer.verifier(),
        previous=open_checkpoint(first.note, signer.verifier()),
        consistency_proof=consistency.consistency_path,
        now=datetime(2026, 11, 23, 10, 5, tzinfo=UTC),
    )
    assert cosigned.cosigned_note in doc
    assert str(cosigned.cosignature.timestamp) in doc
