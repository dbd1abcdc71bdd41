"""The custody ledger: an append-only, tamper-evident log of custody events.

The same structure as Certificate Transparency and Sigstore's Rekor, applied to custody:

* :mod:`~hanoix.ledger.merkle`: the RFC 9162 Merkle tree, proofs and their verification;
* :mod:`~hanoix.ledger.checkpoint`: signed notes and checkpoints (c2sp.org formats);
* :mod:`~hanoix.ledger.proofs`: self-contained proof documents, verifiable offline;
* :mod:`~hanoix.ledger.witness`: cosigning peers' checkpoints, catching split views;
* :mod:`~hanoix.ledger.events`: the custody events that are the log's entries.

Pure: nothing here does I/O. The store (:mod:`hanoix.store.ledger`) keeps the tree, and the
service (:mod:`hanoix.services.custody`) is the one interface other modules record through.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hanoix.ledger.checkpoint import (
        Checkpoint,
        NoteSigner,
        NoteVerifier,
        SignedCheckpoint,
        open_checkpoint,
        sign_checkpoint,
    )
    from hanoix.ledger.errors import (
        CheckpointError,
        InvalidProofError,
        LogInconsistencyError,
        MalformedEntryError,
        ProofRangeError,
        SplitViewError,
        StaleCheckpointError,
    )
    from hanoix.ledger.events import CustodyEvent, EventKind, canonical_json, load_events
    from hanoix.ledger.merkle import (
        EMPTY_ROOT,
        CompactRange,
        MemoryTree,
        NodeID,
        NodeSource,
        consistency_proof,
        inclusion_proof,
        leaf_and_inclusion_proof,
        leaf_hash,
        leaves_and_inclusion_proofs,
        node_hash,
        root_hash,
        verify_consistency,
        verify_inclusion,
    )
    from hanoix.ledger.proofs import ConsistencyProof, InclusionProof
    from hanoix.ledger.witness import (
        Cosignature,
        CosignatureVerifier,
        Cosigner,
        SplitViewEvidence,
        WitnessedCheckpoint,
        verify_cosignatures,
        witness_checkpoint,
    )

# Each name is loaded from its module when first asked for (PEP 562): a module that needs the
# events alone (the requests core) does not load the signatures' cryptography (issue 13).
_WHERE = {
    "Checkpoint": "hanoix.ledger.checkpoint",
    "CheckpointError": "hanoix.ledger.errors",
    "CompactRange": "hanoix.ledger.merkle",
    "ConsistencyProof": "hanoix.ledger.proofs",
    "Cosignature": "hanoix.ledger.witness",
    "CosignatureVerifier": "hanoix.ledger.witness",
    "Cosigner": "hanoix.ledger.witness",
    "CustodyEvent": "hanoix.ledger.events",
    "EMPTY_ROOT": "hanoix.ledger.merkle",
    "EventKind": "hanoix.ledger.events",
    "InclusionProof": "hanoix.ledger.proofs",
    "InvalidProofError": "hanoix.ledger.errors",
    "LogInconsistencyError": "hanoix.ledger.errors",
    "MalformedEntryError": "hanoix.ledger.errors",
    "MemoryTree": "hanoix.ledger.merkle",
    "NodeID": "hanoix.ledger.merkle",
    "NodeSource": "hanoix.ledger.merkle",
    "NoteSigner": "hanoix.ledger.checkpoint",
    "NoteVerifier": "hanoix.ledger.checkpoint",
    "ProofRangeError": "hanoix.ledger.errors",
    "SignedCheckpoint": "hanoix.ledger.checkpoint",
    "SplitViewError": "hanoix.ledger.errors",
    "SplitViewEvidence": "hanoix.ledger.witness",
    "StaleCheckpointError": "hanoix.ledger.errors",
    "WitnessedCheckpoint": "hanoix.ledger.witness",
    "canonical_json": "hanoix.ledger.events",
    "consistency_proof": "hanoix.ledger.merkle",
    "inclusion_proof": "hanoix.ledger.merkle",
    "leaf_and_inclusion_proof": "hanoix.ledger.merkle",
    "leaf_hash": "hanoix.ledger.merkle",
    "leaves_and_inclusion_proofs": "hanoix.ledger.merkle",
    "load_events": "hanoix.ledger.events",
    "node_hash": "hanoix.ledger.merkle",
    "open_checkpoint": "hanoix.ledger.checkpoint",
    "root_hash": "hanoix.ledger.merkle",
    "sign_checkpoint": "hanoix.ledger.checkpoint",
    "verify_consistency": "hanoix.ledger.merkle",
    "verify_cosignatures": "hanoix.ledger.witness",
    "verify_inclusion": "hanoix.ledger.merkle",
    "witness_checkpoint": "hanoix.ledger.witness",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "EMPTY_ROOT",
    "Checkpoint",
    "CheckpointError",
    "CompactRange",
    "ConsistencyProof",
    "Cosignature",
    "CosignatureVerifier",
    "Cosigner",
    "CustodyEvent",
    "EventKind",
    "InclusionProof",
    "InvalidProofError",
    "LogInconsistencyError",
    "MalformedEntryError",
    "MemoryTree",
    "NodeID",
    "NodeSource",
    "NoteSigner",
    "NoteVerifier",
    "ProofRangeError",
    "SignedCheckpoint",
    "SplitViewError",
    "SplitViewEvidence",
    "StaleCheckpointError",
    "WitnessedCheckpoint",
    "canonical_json",
    "consistency_proof",
    "inclusion_proof",
    "leaf_and_inclusion_proof",
    "leaf_hash",
    "leaves_and_inclusion_proofs",
    "load_events",
    "node_hash",
    "open_checkpoint",
    "root_hash",
    "sign_checkpoint",
    "verify_consistency",
    "verify_cosignatures",
    "verify_inclusion",
    "witness_checkpoint",
]
