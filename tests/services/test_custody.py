"""The custody service on SQLite and PostgreSQL: recording in the caller's unit of work,
checkpoints, proofs, whole-log verification, and witnessing between two nodes."""

from __future__ import annotations

import shutil
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, text, update

from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.errors import ConfigurationError
from hanoix.ledger.checkpoint import open_checkpoint
from hanoix.ledger.errors import (
    CheckpointError,
    InvalidProofError,
    LogInconsistencyError,
    ProofRangeError,
    SplitViewError,
    StaleCheckpointError,
)
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.ledger.merkle import EMPTY_ROOT
from hanoix.ledger.witness import verify_cosignatures, witness_checkpoint
from hanoix.services import custody
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from hanoix.store import ledger as store
from hanoix.store.meta import get_meta, set_meta
from tests.conftest import pg_lock_waiter

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def event(number: int, kind: EventKind = EventKind.PACKAGE_SEALED) -> CustodyEvent:
    return CustodyEvent(
        kind=kind,
        actor="examiner:ngo.van.a",
        authority="VNM-MPS-A05",
        at=AT + timedelta(minutes=number),
        subject={"package": f"sha256:{number:064x}"},
        details={"number": number},
    )


def fill(node: Node, count: int, start: int = 0) -> None:
    with node.unit_of_work() as session:
        custody.record_many(session, [event(start + i) for i in range(count)], clock=node.clock)


# --- recording ------------------------------------------------------------------------------------


def test_record_joins_the_callers_unit_of_work(node: Node) -> None:
    with node.unit_of_work() as session:
        set_meta(session, "example.state", "sealed")
        assert custody.record(session, event(0), clock=node.clock) == 0
        assert custody.record(session, event(1), clock=node.clock) == 1
    with node.unit_of_work() as session:
        assert store.tree_head(session).size == 2
        stored = store.get_entry(session, 1)
        assert stored is not None
        assert stored.entry == event(1).canonical_bytes()
        assert stored.appended_at == node.clock.now()


def test_a_failed_use_case_records_neither_its_change_nor_its_entry(node: Node) -> None:
    with pytest.raises(RuntimeError), node.unit_of_work() as session:
        set_meta(session, "example.state", "sealed")
        custody.record(session, event(0))
        raise RuntimeError("sealing failed")
    with node.unit_of_work() as session:
        assert get_meta(session, "example.state") is None
        assert store.tree_head(session).size == 0


def test_record_many_appends_in_order(node: Node) -> None:
    with node.unit_of_work() as session:
        assert custody.record_many(session, []) == []
        assert custody.record_many(session, [event(i) for i in range(5)]) == [0, 1, 2, 3, 4]
        assert custody.record(session, event(5)) == 5


def test_history_reads_an_objects_chain_of_custody_through_the_index(node: Node) -> None:
    shared = {"package": "sha256:" + "cd" * 32, "request": "AUT-2026-0042"}
    with node.unit_of_work() as session:
        custody.record_many(session, [event(i) for i in range(4)])
        custody.record(session, CustodyEvent(EventKind.PACKAGE_SENT, "a", "b", AT, shared))
        custody.record(session, event(9))
        custody.record(session, CustodyEvent(EventKind.REQUEST_CLOSED, "a", "b", AT, shared))
    ledger = CustodyLedger(node)
    chain = ledger.history("package", shared["package"])
    assert [entry.index for entry in chain] == [4, 6]
    assert [entry.as_dict()["entry"]["kind"] for entry in chain] == [
        "package.sent",
        "request.closed",
    ]
    assert [entry.index for entry in ledger.history("request", "AUT-2026-0042")] == [4, 6]
    assert [entry.index for entry in ledger.history("package", f"sha256:{2:064x}")] == [2]
    assert ledger.history("package", "sha256:unknown") == []
    for entry in chain:
        ledger.prove_inclusion(entry.index).verify(ledger.verifier, entry=entry.entry)


# --- identity and checkpoints ---------------------------------------------------------------------


def test_the_log_key_is_private_and_the_origin_is_remembered(node: Node) -> None:
    ledger = CustodyLedger(node)
    key_file = node.settings.keys_dir / custody.LEDGER_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(node.settings.keys_dir.stat().st_mode) == 0o700
    with node.unit_of_work() as session:
        assert get_meta(session, custody.ORIGIN_META_KEY) == ledger.origin
    assert ledger.origin == custody.derived_origin(node.settings)
    assert CustodyLedger(node).verifier == ledger.verifier


def test_a_readable_key_file_is_refused(node: Node) -> None:
    key_file = node.settings.keys_dir / custody.LEDGER_KEY_FILE
    key_file.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        CustodyLedger(node).verifier  # noqa: B018


def test_the_origin_cannot_be_renamed(node: Node, clock: FixedClock) -> None:
    origin = CustodyLedger(node).origin
    renamed = load_settings(
        node.settings.home, environ={}, database_url=node.settings.database_url, origin="x/y"
    )
    other = Node(renamed, node.engine, node.sessions, clock)
    with pytest.raises(ConfigurationError, match="cannot be renamed"):
        CustodyLedger(other).origin  # noqa: B018
    assert CustodyLedger(node).origin == origin


def test_checkpoints_are_signed_notes_kept_once_per_size(node: Node) -> None:
    ledger = CustodyLedger(node)
    fill(node, 3)
    first = ledger.checkpoint()
    assert first.size == 3
    assert open_checkpoint(first.note, ledger.verifier).checkpoint == first.checkpoint
    assert ledger.checkpoint() == first
    fill(node, 2, start=3)
    second = ledger.checkpoint()
    older = ledger.checkpoint(2)
    assert [c.size for c in ledger.checkpoints()] == [2, 3, 5]
    assert second.size == 5
    assert older.root_hash != first.root_hash
    with pytest.raises(ProofRangeError, match="no tree of size 6"):
        ledger.checkpoint(6)


def test_the_log_refuses_to_sign_over_a_rewritten_past(node: Node) -> None:
    ledger = CustodyLedger(node)
    fill(node, 8)
    ledger.checkpoint()
    fill(node, 1, start=8)
    nodes = store.nodes_table
    with node.unit_of_work() as session:
        session.execute(update(nodes).where(nodes.c.level == 3).values(hash=b"\x00" * 32))
    with pytest.raises(LogInconsistencyError, match="refusing to sign"):
        ledger.checkpoint()


def _signed_then_changed(node: Node) -> CustodyLedger:
    """A ledger of 8 entries whose checkpoint is signed, then one stored node (level 1,
    index 0: over entries 0 and 1) overwritten in the database."""
    ledger = CustodyLedger(node)
    fill(node, 8)
    ledger.checkpoint()
    nodes = store.nodes_table
    with node.unit_of_work() as session:
        session.execute(
            update(nodes).where(nodes.c.level == 1, nodes.c.idx == 0).values(hash=b"\x00" * 32)
        )
    return ledger


def test_a_proof_from_a_damaged_tree_is_reported_as_damage_not_as_a_bad_proof(
    node: Node,
) -> None:
    ledger = _signed_then_changed(node)
    # The signed root of size 8 is one intact stored node, so only a proof exposes the change.
    with pytest.raises(LogInconsistencyError, match="database was changed"):
        ledger.prove_inclusion(2, 8)
    # Signing an older size needs a proof against the signed size 8: refused, nothing kept.
    with pytest.raises(LogInconsistencyError, match="refusing to sign"):
        ledger.prove_consistency(3, 8)
    with pytest.raises(LogInconsistencyError, match="refusing to sign"):
        ledger.checkpoint(3)
    assert [c.size for c in ledger.checkpoints()] == [8]


# --- proofs ---------------------------------------------------------------------------------------


def test_every_inclusion_proof_verifies_with_only_the_public_key(node: Node) -> None:
    ledger = CustodyLedger(node)
    fill(node, 13)
    verifier = ledger.verifier
    for size in (1, 6, 13):
        for index in range(size):
            proof = ledger.prove_inclusion(index, size)
            checkpoint = proof.verify(verifier, entry=event(index).canonical_bytes())
            assert checkpoint.size == size
    default = ledger.prove_inclusion(4)
    assert default.tree_size == 13
    with pytest.raises(InvalidProofError, match="step 3"):
        default.verify(verifier, entry=event(5).canonical_bytes())


def test_several_inclusion_proofs_are_the_proofs_one_by_one(node: Node) -> None:
    ledger = CustodyLedger(node)
    fill(node, 13)
    for size in (None, 13, 6):
        indices = [0, 4, 5, 4] if size == 6 else [12, 0, 7]
        together = ledger.prove_inclusions(indices, size)
        assert together == [ledger.prove_inclusion(index, size) for index in indices]
        for index, proof in zip(indices, together, strict=True):
            proof.verify(ledger.verifier, entry=event(index).canonical_bytes())
    assert ledger.prove_inclusions([]) == []


def test_the_nodes_own_ledger_is_kept_and_proves_as_a_new_one_does(node: Node) -> None:
    fill(node, 5)
    kept = node.custody_ledger
    assert node.custody_ledger is kept
    assert kept.prove_inclusions([1, 4]) == CustodyLedger(node).prove_inclusions([1, 4])
    fill(node, 2, start=5)  # the head moved: the kept ledger proves in the new tree
    assert [p.tree_size for p in kept.prove_inclusions([6])] == [7]


@pytest.mark.parametrize(
    ("indices", "size", "message"),
    [
        ([0, 13], None, "entry 13 is not in the tree of size 13"),
        ([5, 2], 3, "entry 5 is not in the tree of size 3"),
        ([2], 14, "no tree of size 14 yet"),
        ([], 14, "no tree of size 14 yet"),
    ],
)
def test_several_inclusion_proofs_refuse_what_the_tree_cannot_prove(
    node: Node, indices: list[int], size: int | None, message: str
) -> None:
    fill(node, 13)
    with pytest.raises(ProofRangeError, match=message):
        CustodyLedger(node).prove_inclusions(indices, size)


def test_several_inclusion_proofs_expose_a_changed_tree(node: Node) -> None:
    ledger = _signed_then_changed(node)
    assert ledger.prove_inclusions([7])[0].tree_size == 8  # its path misses the changed node
    with pytest.raises(LogInconsistencyError, match="database was changed"):
        ledger.prove_inclusions([7, 2])


@pytest.mark.parametrize(
    ("index", "size", "message"),
    [
        (13, None, "not in the tree of size 13"),
        (5, 3, "not in the tree of size 3"),
        (2, 14, "no tree of size 14 yet"),
        (-1, None, "not in the tree"),
    ],
)
def test_impossible_inclusion_proofs_are_input_errors(
    node: Node, index: int, size: int | None, message: str
) -> None:
    fill(node, 13)
    with pytest.raises(ProofRangeError, match=message) as caught:
        CustodyLedger(node).prove_inclusion(index, size)
    assert caught.value.exit_code == 2


def test_every_consistency_proof_verifies(node: Node) -> None:
    ledger = CustodyLedger(node)
    fill(node, 9)
    for new in range(0, 10, 3):
        for old in range(new + 1):
            first, second = ledger.prove_consistency(old, new).verify(ledger.verifier)
            assert (first.size, second.size) == (old, new)
    with pytest.raises(ProofRangeError):
        ledger.prove_consistency(5, 3)
    with pytest.raises(ProofRangeError):
        ledger.prove_consistency(1, 10)


# --- verifying the whole log ----------------------------------------------------------------------


def test_an_intact_log_verifies(node: Node) -> None:
    ledger = CustodyLedger(node)
    report = ledger.verify()
    assert (report.tree_size, report.checkpoints_checked) == (0, 0)
    fill(node, 10)
    ledger.checkpoint(4)
    ledger.checkpoint()
    fill(node, 5, start=10)
    report = ledger.verify()
    assert report.as_dict()["verified"] is True
    assert (report.tree_size, report.entries, report.checkpoints_checked) == (15, 15, 2)


def test_a_rebuilt_history_fails_verification_against_its_checkpoint(node: Node) -> None:
    ledger = CustodyLedger(node)
    fill(node, 10)
    ledger.checkpoint()
    # An administrator rebuilds the log with entry 3 changed: entries, tree and head agree with
    # each other; only the signed checkpoint, which needs the log key, gives it away.
    with node.unit_of_work() as session:
        session.execute(delete(store.nodes_table))
        session.execute(delete(store.entries_table))
        session.execute(delete(store.subjects_table))
        session.execute(update(store.head_table).values(tree_size=0, root_hash=EMPTY_ROOT))
        custody.record_many(session, [event(99 if i == 3 else i) for i in range(10)])
    with node.unit_of_work() as session:
        assert store.recompute(session).problems == []
    with pytest.raises(LogInconsistencyError) as caught:
        ledger.verify()
    assert "the log was changed after signing" in caught.value.message
    assert caught.value.exit_code == 1


def test_a_forged_checkpoint_row_fails_verification(node: Node) -> None:
    ledger = CustodyLedger(node)
    fill(node, 4)
    ledger.checkpoint()
    with node.unit_of_work() as session:
        session.execute(
            text("UPDATE ledger_checkpoints SET note = replace(note, '\n4\n', '\n3\n')")
        )
    with pytest.raises(LogInconsistencyError, match="does not verify"):
        ledger.verify()


# --- witnessing between two nodes -----------------------------------------------------------------


@pytest.fixture
def peer(tmp_path: Path, clock: FixedClock) -> Iterator[Node]:
    """Another State's node, in process, on its own SQLite database."""
    node = Node.open(load_settings(tmp_path / "peer", environ={}, state="AUT"), clock=clock)
    node.initialise()
    yield node
    node.close()


def forked(peer: Node, tmp_path: Path, clock: FixedClock, name: str) -> Node:
    """A node that holds the peer log's key and origin but can write another history."""
    home = tmp_path / name
    shutil.copytree(peer.settings.keys_dir, home / "keys")
    settings = load_settings(home, environ={}, origin=CustodyLedger(peer).origin)
    node = Node.open(settings, clock=clock)
    node.initialise()
    return node


def test_a_node_cosigns_a_peer_after_checking_consistency(
    node: Node, peer: Node, clock: FixedClock
) -> None:
    witness, log = CustodyLedger(node), CustodyLedger(peer)
    fill(peer, 3)
    first = witness.witness(log.checkpoint().note, log.verifier)
    assert first.checkpoint.size == 3
    fill(peer, 4, start=3)
    clock.advance(timedelta(minutes=10))
    last = witness.last_witnessed(log.origin)
    assert last is not None
    proof = log.prove_consistency(last.tree_size)
    second = witness.witness(log.checkpoint().note, log.verifier, proof.consistency_path)
    assert second.checkpoint.size == 7
    [cosignature] = verify_cosignatures(second.cosigned_note, [witness.witness_verifier])
    assert cosignature.time == clock.now()
    # What it saw is kept, and its own ledger records that it cosigned.
    saved = witness.last_witnessed(log.origin)
    assert saved is not None
    assert (saved.tree_size, saved.cosigned_note) == (7, second.cosigned_note)
    kinds = [entry.as_dict()["entry"]["kind"] for entry in witness.entries()]
    assert kinds == ["checkpoint.cosigned", "checkpoint.cosigned"]
    assert witness.verify().tree_size == 2


def test_a_forked_peer_is_caught_recorded_and_reported(
    node: Node, peer: Node, clock: FixedClock, tmp_path: Path
) -> None:
    witness, log = CustodyLedger(node), CustodyLedger(peer)
    fill(peer, 5)
    witness.witness(log.checkpoint().note, log.verifier)
    fork = forked(peer, tmp_path, clock, "fork")
    try:
        fill(fork, 5, start=100)  # the same size, another history, the same key
        other = CustodyLedger(fork)
        assert other.origin == log.origin
        with pytest.raises(SplitViewError, match="SPLIT VIEW") as caught:
            witness.witness(other.checkpoint().note, log.verifier)
    finally:
        fork.close()
    assert caught.value.exit_code == 1
    [kept] = witness.split_views()
    assert kept.evidence == caught.value.evidence
    assert kept.detected_at == clock.now()
    with pytest.raises(SplitViewError):
        kept.evidence.confirm(log.verifier)
    entries = [entry.as_dict()["entry"] for entry in witness.entries()]
    assert [e["kind"] for e in entries] == ["checkpoint.cosigned", "checkpoint.split-view"]
    assert entries[1]["subject"] == {"log": log.origin}
    # The conflicting checkpoint was not cosigned, and the last one seen is unchanged.
    last = witness.last_witnessed(log.origin)
    assert last is not None
    assert last.root_hash == log.checkpoint().root_hash


def test_a_grown_fork_with_its_own_proof_is_a_split_view(
    node: Node, peer: Node, clock: FixedClock, tmp_path: Path
) -> None:
    witness, log = CustodyLedger(node), CustodyLedger(peer)
    fill(peer, 5)
    witness.witness(log.checkpoint().note, log.verifier)
    fork = forked(peer, tmp_path, clock, "fork")
    try:
        fill(fork, 9, start=200)
        other = CustodyLedger(fork)
        proof = other.prove_consistency(5)
        with pytest.raises(SplitViewError, match="different older root"):
            witness.witness(other.checkpoint().note, log.verifier, proof.consistency_path)
    finally:
        fork.close()
    assert len(witness.split_views()) == 1


def test_an_older_conflicting_checkpoint_is_still_a_split_view(
    node: Node, peer: Node, clock: FixedClock, tmp_path: Path
) -> None:
    witness, log = CustodyLedger(node), CustodyLedger(peer)
    fill(peer, 3)
    witness.witness(log.checkpoint().note, log.verifier)
    fill(peer, 3, start=3)
    witness.witness(log.checkpoint().note, log.verifier, log.prove_consistency(3).consistency_path)
    # An older checkpoint that matches what was seen is just stale ...
    with pytest.raises(StaleCheckpointError):
        witness.witness(log.checkpoint(3).note, log.verifier)
    # ... but one that contradicts it is a split view.
    fork = forked(peer, tmp_path, clock, "fork")
    try:
        fill(fork, 3, start=300)
        with pytest.raises(SplitViewError):
            witness.witness(CustodyLedger(fork).checkpoint().note, log.verifier)
    finally:
        fork.close()
    assert len(witness.split_views()) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_checkpoint_another_process_is_cosigning_is_cosigned_once_without_an_error(
    node: Node, peer: Node, clock: FixedClock
) -> None:
    # Two delivery workers of one node (two processes, one database) contact the same peer
    # and cosign its checkpoint at the same moment. Each used to find no record of it, and the
    # second to insert failed on the first's row: the delivery it followed was sent again.
    witness, log = CustodyLedger(node), CustodyLedger(peer)
    fill(peer, 2)
    note = log.checkpoint().note
    other = Node.open(node.settings, clock=clock)  # the other process
    outcome: list[object] = []
    try:
        with other.unit_of_work() as session:
            store.lock_appends(session)
            cosigned = witness_checkpoint(
                custody.load_identity(other, session).cosigner,
                note,
                log.verifier,
                previous=None,
                now=clock.now(),
            )
            checkpoint = cosigned.checkpoint
            store.save_witnessed(
                session,
                store.WitnessedRecord(
                    checkpoint.origin,
                    checkpoint.size,
                    checkpoint.root_hash,
                    checkpoint.note,
                    cosigned.cosigned_note,
                    clock.now(),
                ),
            )

            def cosign() -> None:
                try:
                    outcome.append(witness.witness(note, log.verifier))
                except Exception as exc:  # noqa: BLE001  (kept for the assertion below)
                    outcome.append(exc)

            racing = threading.Thread(target=cosign)
            racing.start()
            # Commit only once this process waits on the other's transaction.
            assert pg_lock_waiter(other.engine), "the second cosigner never waited"
        racing.join(timeout=30)
    finally:
        other.close()
    [result] = outcome
    assert not isinstance(result, Exception), result
    [kept] = [w for w in store_witnessed(node) if w.origin == log.origin]
    assert kept.tree_size == 2
    kinds = [entry.as_dict()["entry"]["kind"] for entry in witness.entries()]
    assert kinds == ["checkpoint.cosigned"]
    assert witness.verify().tree_size == 1


def store_witnessed(node: Node) -> list[store.WitnessedRecord]:
    with node.unit_of_work() as session:
        return store.list_witnessed(session)


def test_checkpoints_with_a_bad_signature_or_proof_are_refused_and_not_recorded(
    node: Node, peer: Node
) -> None:
    witness, log = CustodyLedger(node), CustodyLedger(peer)
    fill(peer, 2)
    note = log.checkpoint().note
    with pytest.raises(CheckpointError):
        witness.witness(note, witness.verifier)  # another log's key
    with pytest.raises(CheckpointError):
        witness.witness(note.replace("\n2\n", "\n3\n"), log.verifier)
    witness.witness(note, log.verifier)
    fill(peer, 2, start=2)
    with pytest.raises(InvalidProofError):
        witness.witness(log.checkpoint().note, log.verifier, [b"\x00" * 32])
    assert witness.split_views() == []
    assert [e.index for e in witness.entries()] == [0]
