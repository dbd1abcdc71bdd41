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
