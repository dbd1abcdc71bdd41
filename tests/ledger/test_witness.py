"""Witnessing between logs, pure: cosignatures in the C2SP format and split-view detection."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hanoix.ledger.checkpoint import (
    Checkpoint,
    NoteSignature,
    NoteSigner,
    SignedCheckpoint,
    key_id,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
)
from hanoix.ledger.errors import (
    CheckpointError,
    InvalidProofError,
    SplitViewError,
    StaleCheckpointError,
)
from hanoix.ledger.merkle import MemoryTree
from hanoix.ledger.witness import (
    CosignatureVerifier,
    Cosigner,
    check_same_view,
    cosigned_message,
    require_cosignatures,
    verify_cosignatures,
    witness_checkpoint,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Log:
    """A log in memory: a tree and the key that signs its checkpoints."""

    signer: NoteSigner
    tree: MemoryTree = field(default_factory=MemoryTree)

    def append(self, *entries: str) -> None:
        for entry in entries:
            self.tree.append(entry.encode())

    def checkpoint(self, size: int | None = None) -> str:
        size = self.tree.size if size is None else size
        return sign_checkpoint(
            Checkpoint(self.signer.name, size, self.tree.root(size)), self.signer
        ).note

    def fork(self, keep: int, *entries: str) -> Log:
        """The same key and origin, the first ``keep`` entries, then another history."""
        other = Log(self.signer, MemoryTree())
        for index in range(keep):
            other.tree.append_leaf_hash(self.tree.leaf_hash(index))
        other.append(*entries)
        return other


@pytest.fixture
def log() -> Log:
    result = Log(NoteSigner("aut.hanoix.invalid/ledger", Ed25519PrivateKey.generate()))
    result.append("a", "b", "c")
    return result


@pytest.fixture
def witness() -> Cosigner:
    return Cosigner("vnm.hanoix.invalid/ledger/witness", Ed25519PrivateKey.generate())


def seen(log: Log, note: str) -> SignedCheckpoint:
    return open_checkpoint(note, log.signer.verifier())


def test_first_checkpoint_is_cosigned_in_the_c2sp_cosignature_format(
    log: Log, witness: Cosigner
) -> None:
    note = log.checkpoint()
    result = witness_checkpoint(witness, note, log.signer.verifier(), previous=None, now=NOW)
    # The cosigned note is the log's note plus one signature line.
    assert result.cosigned_note.startswith(note)
    line = result.cosigned_note[len(note) :]
    name, encoded = line.rstrip("\n").removeprefix("\u2014 ").split(" ")
    assert name == witness.name
    raw = base64.b64decode(encoded)
    assert len(raw) == 4 + 8 + 64
    assert raw[:4] == key_id(witness.name, 0x04, witness.public_key)
    timestamp = int.from_bytes(raw[4:12], "big")
    assert timestamp == int(NOW.timestamp())
    message = f"cosignature/v1\ntime {timestamp}\n".encode() + parse_note(note).text.encode()
    Ed25519PublicKey.from_public_bytes(witness.public_key).verify(raw[12:], message)
    # Log clients still read it as the log's checkpoint, and find the cosignature.
    assert seen(log, result.cosigned_note).size == 3
    found = verify_cosignatures(result.cosigned_note, [witness.verifier()])
    assert [c.time for c in found] == [NOW]
    assert CosignatureVerifier.from_vkey(witness.verifier().vkey) == witness.verifier()


def test_a_growing_log_is_cosigned_with_a_consistency_proof(log: Log, witness: Cosigner) -> None:
    first = seen(log, log.checkpoint())
    log.append("d", "e")
    proof = log.tree.consistency_proof(3, 5)
    result = witness_checkpoint(
        witness,
        log.checkpoint(),
        log.signer.verifier(),
        previous=first,
        consistency_proof=proof,
        now=NOW + timedelta(minutes=5),
    )
    assert result.checkpoint.size == 5
    assert result.cosignature.time == NOW + timedelta(minutes=5)


def test_the_same_checkpoint_again_is_cosigned_again(log: Log, witness: Cosigner) -> None:
    first = seen(log, log.checkpoint())
    again = witness_checkpoint(
        witness, log.checkpoint(), log.signer.verifier(), previous=first, now=NOW
    )
    assert again.checkpoint.root_hash == first.root_hash


def test_quorum_of_cosignatures(log: Log, witness: Cosigner) -> None:
    other = Cosigner("mex.hanoix.invalid/witness", Ed25519PrivateKey.generate())
    cosigned = witness_checkpoint(
        witness, log.checkpoint(), log.signer.verifier(), previous=None, now=NOW
    ).cosigned_note
    verifiers = [witness.verifier(), other.verifier()]
    assert len(require_cosignatures(cosigned, verifiers, 1)) == 1
    with pytest.raises(CheckpointError, match="2 are required"):
        require_cosignatures(cosigned, verifiers, 2)
    forged = cosigned.replace(cosigned.rstrip("\n")[-8:], "AAAAAAA=")
    with pytest.raises(CheckpointError):
        verify_cosignatures(forged, verifiers)


def test_two_checkpoints_of_one_size_are_a_split_view(log: Log, witness: Cosigner) -> None:
    first = seen(log, log.checkpoint())
    fork = log.fork(2, "rewritten c")
    with pytest.raises(SplitViewError, match="SPLIT VIEW") as caught:
        witness_checkpoint(
            witness, fork.checkpoint(), log.signer.verifier(), previous=first, now=NOW
        )
    evidence = caught.value.evidence
    assert evidence.first_size == evidence.second_size == 3
    assert {evidence.first_note, evidence.second_note} == {log.checkpoint(), fork.checkpoint()}
    # Anyone holding the log's public key can confirm the evidence.
    with pytest.raises(SplitViewError):
        evidence.confirm(log.signer.verifier())


def test_a_grown_fork_is_a_split_view_through_its_own_proof(log: Log, witness: Cosigner) -> None:
    first = seen(log, log.checkpoint())
    fork = log.fork(1, "x", "y", "z", "w")
    with pytest.raises(SplitViewError, match="different older root") as caught:
        witness_checkpoint(
            witness,
            fork.checkpoint(),
            log.signer.verifier(),
            previous=first,
            consistency_proof=fork.tree.consistency_proof(3, 5),
            now=NOW,
        )
    assert caught.value.evidence.consistency_proof
    with pytest.raises(SplitViewError):
        caught.value.evidence.confirm(log.signer.verifier())


def test_a_bad_proof_is_refused_but_is_not_a_split_view(log: Log, witness: Cosigner) -> None:
    first = seen(log, log.checkpoint())
    log.append("d")
    with pytest.raises(InvalidProofError, match="witness step 3") as caught:
        witness_checkpoint(
            witness,
            log.checkpoint(),
            log.signer.verifier(),
            previous=first,
            consistency_proof=[b"\x00" * 32],
            now=NOW,
        )
    assert not isinstance(caught.value, SplitViewError)


def test_evidence_of_consistent_checkpoints_does_not_confirm(log: Log, witness: Cosigner) -> None:
    first = seen(log, log.checkpoint())
    fork = log.fork(2, "rewritten c")
    with pytest.raises(SplitViewError) as caught:
        witness_checkpoint(
            witness, fork.checkpoint(), log.signer.verifier(), previous=first, now=NOW
        )
    import dataclasses

    honest = dataclasses.replace(caught.value.evidence, second_note=log.checkpoint())
    with pytest.raises(InvalidProofError, match="does not show a split view"):
        honest.confirm(log.signer.verifier())


def test_an_older_checkpoint_is_stale(log: Log, witness: Cosigner) -> None:
    old = log.checkpoint(2)
    latest = seen(log, log.checkpoint())
    with pytest.raises(StaleCheckpointError, match="older than size 3"):
        witness_checkpoint(witness, old, log.signer.verifier(), previous=latest, now=NOW)


def test_checkpoints_with_a_wrong_key_or_origin_are_refused(log: Log, witness: Cosigner) -> None:
    stranger = NoteSigner(log.signer.name, Ed25519PrivateKey.generate())
    with pytest.raises(CheckpointError, match="not signed by"):
        witness_checkpoint(witness, log.checkpoint(), stranger.verifier(), previous=None, now=NOW)
    with pytest.raises(CheckpointError, match="step 4"):
        witness_checkpoint(
            witness,
            log.checkpoint(),
            log.signer.verifier(),
            previous=None,
            now=NOW,
            origin="another.example/log",
        )


# --- each refusal named exactly, the bounds of a cosignature's time, and the records' dicts --


def test_a_cosignature_time_runs_from_zero_to_two_to_the_63_minus_one() -> None:
    assert cosigned_message("x\n", 0) == b"cosignature/v1\ntime 0\nx\n"
    assert cosigned_message("x\n", 2**63 - 1).startswith(
        b"cosignature/v1\ntime 9223372036854775807\n"
    )
    for impossible in (-1, 2**63):
        with pytest.raises(
            ValueError, match=r"^a cosignature timestamp is between 0 and 2\*\*63 - 1$"
        ):
            cosigned_message("x\n", impossible)


def _cosigned(log: Log, witness: Cosigner) -> tuple[str, NoteSignature]:
    result = witness_checkpoint(
        witness, log.checkpoint(), log.signer.verifier(), previous=None, now=NOW
    )
    return parse_note(log.checkpoint()).text, result.cosignature.note_signature()


def test_a_cosignature_read_back_is_the_one_made(log: Log, witness: Cosigner) -> None:
    text, line = _cosigned(log, witness)
    assert line.signature[:8] == int(NOW.timestamp()).to_bytes(8, "big")
    read = witness.verifier().cosignature(text, line)
    assert (read.name, read.key_id, read.timestamp) == (
        witness.name,
        witness.key_id,
        int(NOW.timestamp()),
    )
    assert read.signature == line.signature[8:]
    assert read.note_signature() == line
    witness.verifier().verify_text(text, line)
    assert read.as_dict() == {
        "witness": witness.name,
        "key_id": witness.key_id.hex(),
        "time": "2026-11-23T12:00:00Z",
        "signature_line": line.line().rstrip("\n"),
    }


def test_each_way_a_cosignature_fails_is_named(log: Log, witness: Cosigner) -> None:
    text, line = _cosigned(log, witness)
    verifier = witness.verifier()
    name = re.escape(witness.name)
    other = Cosigner("mex.hanoix.invalid/witness", Ed25519PrivateKey.generate())
    with pytest.raises(CheckpointError, match=rf"^the cosignature is not from the witness {name}$"):
        verifier.cosignature(text, other.cosign(text, 1).note_signature())
    with pytest.raises(CheckpointError, match=rf"^the cosignature of {name} is not 72 bytes long$"):
        verifier.cosignature(text, NoteSignature(line.name, line.key_id, line.signature[:-1]))
    impossible = (2**63).to_bytes(8, "big") + line.signature[8:]
    with pytest.raises(
        CheckpointError, match=rf"^the cosignature of {name} has an impossible timestamp$"
    ):
        verifier.cosignature(text, NoteSignature(line.name, line.key_id, impossible))
    # The largest possible time is read, then the signature checked (and found wrong).
    largest = (2**63 - 1).to_bytes(8, "big") + line.signature[8:]
    does_not_verify = rf"^the cosignature of {name} \(key {witness.key_id.hex()}\) does not verify$"
    with pytest.raises(CheckpointError, match=does_not_verify):
        verifier.cosignature(text, NoteSignature(line.name, line.key_id, largest))
    with pytest.raises(CheckpointError, match=does_not_verify):
        verifier.verify_text(text + "changed\n", line)


def test_cosignatures_are_found_on_a_note_already_parsed(log: Log, witness: Cosigner) -> None:
    cosigned = witness_checkpoint(
        witness, log.checkpoint(), log.signer.verifier(), previous=None, now=NOW
    ).cosigned_note
    found = verify_cosignatures(parse_note(cosigned), [witness.verifier()])
    assert [c.timestamp for c in found] == [int(NOW.timestamp())]


def test_the_evidence_of_a_split_view_reads_as_it_was_found(log: Log, witness: Cosigner) -> None:
    first = seen(log, log.checkpoint())
    fork = log.fork(2, "rewritten c")
    with pytest.raises(SplitViewError) as caught:
        check_same_view(first, seen(log, fork.checkpoint()), [b"\x01" * 32])
    assert caught.value.evidence.as_dict() == {
        "origin": log.signer.name,
        "first_size": 3,
        "second_size": 3,
        "first_checkpoint": log.checkpoint(),
        "second_checkpoint": fork.checkpoint(),
        # Of equal sizes the roots are compared: a proof offered is not evidence.
        "consistency_proof": [],
        "reason": "two different root hashes for the same tree size 3",
    }


def test_checkpoints_of_two_logs_or_in_the_wrong_order_are_not_compared(
    log: Log, witness: Cosigner
) -> None:
    other = Log(NoteSigner("zaf.hanoix.invalid/ledger", Ed25519PrivateKey.generate()))
    other.append("a")
    ours, theirs = seen(log, log.checkpoint()), seen(other, other.checkpoint())
    with pytest.raises(
        CheckpointError,
        match=r"^checkpoints of two logs \('aut.hanoix.invalid/ledger', "
        r"'zaf.hanoix.invalid/ledger'\) cannot be compared$",
    ):
        check_same_view(ours, theirs)
    small = seen(log, log.checkpoint(1))
    with pytest.raises(ValueError, match=r"^check_same_view wants the smaller checkpoint first$"):
        check_same_view(ours, small)
    with pytest.raises(
        CheckpointError,
        match=r"^witness step 2: the previous checkpoint is of 'zaf.hanoix.invalid/ledger', "
        r"not of 'aut.hanoix.invalid/ledger'$",
    ):
        witness_checkpoint(
            witness, log.checkpoint(), log.signer.verifier(), previous=theirs, now=NOW
        )
    with pytest.raises(ValueError, match=r"^the witness needs a timezone-aware time$"):
        witness_checkpoint(
            witness,
            log.checkpoint(),
            log.signer.verifier(),
            previous=None,
            now=NOW.replace(tzinfo=None),
        )
