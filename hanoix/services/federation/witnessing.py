"""Witnessing, serving side: this node's checkpoint for a peer, and a peer's cosignature of
it in exchange for ours of the peer's (the asking side is the delivery worker's)."""

from __future__ import annotations

from typing import Any

from hanoix.federation import codec
from hanoix.federation.errors import DirectoryError, UnknownPeerError
from hanoix.ledger.checkpoint import open_checkpoint
from hanoix.ledger.errors import CheckpointError
from hanoix.ledger.witness import verify_cosignatures
from hanoix.services import custody
from hanoix.services.federation.peers import Peers
from hanoix.store import federation as store


class Witnessing(Peers):
    """Checkpoints exchanged with peers, so that neither can show two views of its log."""

    def checkpoint_for(self, since: int, witness: str | None) -> dict[str, Any]:
        """This node's signed checkpoint, a consistency proof from ``since``, and the size of
        ``witness``'s log this node saw last (so it can prove consistency from there)."""
        ledger = custody.CustodyLedger(self.node)
        signed = ledger.checkpoint()
        proof: list[str] = []
        if 0 < since < signed.size:
            proof = [h.hex() for h in ledger.prove_consistency(since, signed.size).consistency_path]
        seen = None
        if witness:
            with self.node.unit_of_work() as session:
                directory = self.directory(session)
            # Without a directory every witness is unknown: the checkpoint is still answered.
            entry = directory.node(witness) if directory is not None else None
            if entry is not None:
                last = ledger.last_witnessed(witness)
                seen = None if last is None else last.tree_size
        return {
            "checkpoint": signed.note,
            "tree_size": signed.size,
            "since": since,
            "consistency": proof,
            "witnessed_size": seen,
        }

    def accept_witness(self, body: dict[str, Any]) -> dict[str, Any]:
        """A peer cosigned our checkpoint and offers its own: keep the one, witness the other.

        Body: ``{"witness": ORIGIN, "cosigned": NOTE, "checkpoint": NOTE, "consistency": [HEX]}``.
        Answers ``{"cosigned": NOTE}`` (our cosignature of the peer's checkpoint). A split view
        of the peer's log raises :class:`SplitViewError` (recorded by the ledger).
        """
        try:
            codec.members(body, {"witness", "cosigned", "checkpoint", "consistency"}, set(), "body")
            witness = codec.origin(body, "witness")
            cosigned = codec.text(body, "cosigned", max_length=65536, multiline=True)
            note = codec.text(body, "checkpoint", max_length=65536, multiline=True)
            consistency = body["consistency"]
            if not isinstance(consistency, list) or len(consistency) > 64:
                raise codec.FieldError("consistency", "must be a list of at most 64 hashes")
            path = [bytes.fromhex(h) for h in consistency if isinstance(h, str)]
            if len(path) != len(consistency) or any(len(h) != 32 for h in path):
                raise codec.FieldError("consistency", "each hash is 64 hex digits")
        except (codec.FieldError, ValueError) as exc:
            raise DirectoryError(f"witness exchange: {exc}") from None
        ledger = custody.CustodyLedger(self.node)
        with self.node.unit_of_work() as session:
            entry = self.peer(session, witness)
        cosigner = entry.witness_verifier
        log_key = entry.ledger_verifier
        if cosigner is None or log_key is None:
            raise UnknownPeerError(f"the directory lists no ledger keys for {witness!r}")
        # 1. The cosignature is the witness's, on a checkpoint this node signed.
        own = open_checkpoint(cosigned, ledger.verifier)
        if not verify_cosignatures(cosigned, [cosigner]):
            raise CheckpointError(f"the checkpoint carries no cosignature of {witness!r}")
        with self.node.unit_of_work() as session:
            store.add_cosignature(session, witness, own.size, cosigned, self.node.clock.now())
        # 2. Witness the peer's log in return.
        witnessed = ledger.witness(note, log_key, path)
        return {"cosigned": witnessed.cosigned_note}
