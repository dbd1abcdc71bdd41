"""The ledger's tables on SQLite and PostgreSQL: appends, proofs, tampering found, crash safety."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, Executable, delete, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from hanoix.config import load_settings
from hanoix.ledger.errors import LogInconsistencyError, MalformedEntryError
from hanoix.ledger.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    NodeID,
    consistency_proof,
    inclusion_proof,
    root_hash,
)
from hanoix.ledger.witness import SplitViewEvidence
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from hanoix.store import ledger as store
from hanoix.store.db import session_factory, unit_of_work
from hanoix.store.models import metadata

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LEDGER_TABLES = {
    "ledger_entries",
    "ledger_subjects",
    "ledger_nodes",
    "ledger_head",
    "ledger_checkpoints",
    "ledger_witnessed",
    "ledger_split_views",
}


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


def entry(i: int) -> bytes:
    return f'{{"entry":{i}}}'.encode()


def append(sessions: sessionmaker[Session], batches: list[int]) -> MemoryTree:
    tree = MemoryTree()
    for size in batches:
        data = [entry(tree.size + i) for i in range(size)]
        with unit_of_work(sessions) as session:
            result = store.append_many(session, data, AT)
        assert list(result.indices) == list(range(tree.size, tree.size + size))
        for item in data:
            tree.append(item)
        assert result.root_hash == tree.root()
        assert result.tree_size == tree.size
    return tree


def test_the_migration_creates_exactly_the_tables_the_store_declares(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    ours = [d for d in diffs if any(t in repr(d) for t in LEDGER_TABLES)]
    assert ours == []


def test_an_empty_log_has_the_empty_root(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        assert store.tree_head(session) == store.TreeHead(0, EMPTY_ROOT)
        assert store.recompute(session).problems == []


def test_batched_appends_store_every_complete_node_and_prove_like_memory(
    sessions: sessionmaker[Session],
) -> None:
    tree = append(sessions, [1, 2, 3, 5, 8, 13, 1, 1, 30])
    n = tree.size
    with unit_of_work(sessions) as session:
        stored = {
            (level, index): bytes(value)
            for level, index, value in session.execute(
                select(store.nodes_table.c.level, store.nodes_table.c.idx, store.nodes_table.c.hash)
            )
        }
        expected = {
            (level, index): value
            for level in range(1, n.bit_length())
            for index, value in enumerate(
                tree.get_nodes([NodeID(level, i) for i in range(n >> level)])
            )
        }
        assert stored == expected
        source = store.StoredTree(session)
        for size in range(1, n + 1):
            assert root_hash(source, size) == tree.root(size)
            for index in range(size):
                assert inclusion_proof(source, index, size) == tree.inclusion_proof(index, size)
            for old in range(size + 1):
                assert consistency_proof(source, old, size) == tree.consistency_proof(old, size)
        rows = list(store.iter_entries(session, 10, 20, chunk=3))
        assert [row.index for row in rows] == list(range(10, 20))
        assert all(row.entry == entry(row.index) and row.appended_at == AT for row in rows)
        assert store.get_entry(session, n) is None


def test_bulk_appends_store_times_exactly_as_sqlalchemy_does(
    sessions: sessionmaker[Session],
) -> None:
    moment = datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        store.append_many(session, [entry(0)], moment)
        store.add_checkpoint(session, 1, b"r" * 32, "note", moment)  # an ordinary Core insert
    with unit_of_work(sessions) as session:
        raw = session.execute(
            text(
                "SELECT CAST(e.appended_at AS TEXT), CAST(c.created_at AS TEXT) "
                "FROM ledger_entries e, ledger_checkpoints c"
            )
        ).one()
        assert raw[0] == raw[1]
        stored = store.get_entry(session, 0)
        assert stored is not None
        assert stored.appended_at == moment


def test_an_append_rolled_back_with_its_unit_of_work_leaves_nothing(
    sessions: sessionmaker[Session],
) -> None:
    append(sessions, [3])
    with pytest.raises(RuntimeError), unit_of_work(sessions) as session:
        store.append_many(session, [entry(3), entry(4)], AT)
        raise RuntimeError("the state change failed")
    with unit_of_work(sessions) as session:
        assert store.tree_head(session).size == 3
        assert store.get_entry(session, 3) is None
        assert store.recompute(session).problems == []


def test_bad_entries_append_nothing(sessions: sessionmaker[Session]) -> None:
    append(sessions, [2])
    for bad in ([entry(2), b""], [b"x" * (store.MAX_ENTRY_BYTES + 1)]):
        with pytest.raises(MalformedEntryError), unit_of_work(sessions) as session:
            store.append_many(session, bad, AT)
    with unit_of_work(sessions) as session:
        assert store.tree_head(session).size == 2


def test_concurrent_appenders_get_gapless_indices(engine: Engine) -> None:
    sessions = session_factory(engine)
    errors: list[BaseException] = []
    got: list[int] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        try:
            for batch in range(10):
                with unit_of_work(sessions) as session:
                    data = [f"w{worker}-b{batch}-{i}".encode() for i in range(4)]
                    result = store.append_many(session, data, AT)
                with lock:
                    got.extend(result.indices)
        except BaseException as exc:  # noqa: BLE001  (collected and re-raised below)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(got) == list(range(120))
    with unit_of_work(sessions) as session:
        report = store.recompute(session)
    assert report.problems == []
    assert report.tree_size == 120


# --- tampering is found ---------------------------------------------------------------------------


def tamper(sessions: sessionmaker[Session], statement: Executable) -> None:
    with unit_of_work(sessions) as session:
        session.execute(statement)


def problems(sessions: sessionmaker[Session], *sizes: int) -> list[str]:
    with unit_of_work(sessions) as session:
        return [p.message for p in store.recompute(session, sizes).problems]


def test_recompute_finds_a_rewritten_entry(sessions: sessionmaker[Session]) -> None:
    append(sessions, [20])
    entries = store.entries_table
    tamper(sessions, update(entries).where(entries.c.idx == 7).values(entry=b'{"entry":"x"}'))
    found = problems(sessions)
    # The entry first, then every stored node above it and the root: the tree is rebuilt from
    # the entries, which are what the log vouches for.
    assert found[0] == "entry 7: its stored leaf hash is not the hash of its bytes"
    assert found[1:5] == [
        f"the node at level {level}, index {7 >> level} is not the recomputed one"
        for level in range(1, 5)
    ]
    assert found[5:] == ["the stored root of size 20 is not the root recomputed from the entries"]


def test_recompute_finds_a_rewritten_entry_with_its_leaf_hash(
    sessions: sessionmaker[Session],
) -> None:
    append(sessions, [20])
    entries = store.entries_table
    forged = b'{"entry":"x"}'
    tamper(
        sessions,
        update(entries)
        .where(entries.c.idx == 7)
        .values(entry=forged, leaf_hash=MemoryTree([forged]).root()),
    )
    found = problems(sessions)
    assert "the node at level 1, index 3 is not the recomputed one" in found
    assert any("stored root" in message for message in found)


def test_recompute_finds_a_rewritten_node_and_a_moved_head(
    sessions: sessionmaker[Session],
) -> None:
    append(sessions, [20])
    nodes, head = store.nodes_table, store.head_table
    tamper(
        sessions,
        update(nodes).where(nodes.c.level == 2, nodes.c.idx == 1).values(hash=b"\x00" * 32),
    )
    tamper(sessions, update(head).values(root_hash=b"\x01" * 32))
    found = problems(sessions)
    assert "the node at level 2, index 1 is not the recomputed one" in found
    assert "the stored root of size 20 is not the root recomputed from the entries" in found


def test_recompute_finds_gaps_extra_rows_and_missing_nodes(
    sessions: sessionmaker[Session],
) -> None:
    append(sessions, [20])
    entries, nodes = store.entries_table, store.nodes_table
    tamper(sessions, delete(entries).where(entries.c.idx == 12))
    assert problems(sessions) == ["entries 12 to 12 are missing"]
    tamper(
        sessions, insert(entries).values(idx=12, leaf_hash=b"\0" * 32, entry=b"{}", appended_at=AT)
    )
    tamper(
        sessions, insert(entries).values(idx=25, leaf_hash=b"\0" * 32, entry=b"{}", appended_at=AT)
    )
    tamper(sessions, delete(nodes).where(nodes.c.level == 1, nodes.c.idx == 0))
    tamper(sessions, insert(nodes).values(level=9, idx=0, hash=b"\0" * 32))
    found = problems(sessions)
    assert "entry 12: its stored leaf hash is not the hash of its bytes" in found
    assert "1 entries lie beyond the tree size 20 of the head" in found
    assert "the node at level 1, index 0 is missing" in found
    assert "level 9 holds 1 nodes; a tree of size 20 has 0" in found


def test_the_subject_index_follows_the_entries_and_is_checked(
    sessions: sessionmaker[Session],
) -> None:
    subject_entries = [
        b'{"subject":{"package":"sha256:aa"}}',
        b'{"subject":{"package":"sha256:bb","request":"R-1"}}',
        b'{"subject":{"package":"sha256:aa"}}',
        b"not json at all",
    ]
    subjects = [{"package": "sha256:aa"}, {"package": "sha256:bb", "request": "R-1"}]
    subjects += [{"package": "sha256:aa"}, {}]
    with unit_of_work(sessions) as session:
        store.append_many(session, subject_entries, AT, subjects=subjects)
        assert [e.index for e in store.entries_about(session, "package", "sha256:aa")] == [0, 2]
        assert [e.index for e in store.entries_about(session, "request", "R-1")] == [1]
        assert store.entries_about(session, "request", "R-2") == []
        assert store.recompute(session).problems == []
        with pytest.raises(ValueError, match="one subject mapping per entry"):
            store.append_many(session, [b"{}"], AT, subjects=[])
        for bad in ({"package": "x" * 257}, {"": "x"}, {"package": ""}):
            with pytest.raises(MalformedEntryError, match="subject"):
                store.append_many(session, [b"{}"], AT, subjects=[bad])
    subjects_table = store.subjects_table
    tamper(sessions, delete(subjects_table).where(subjects_table.c.idx == 2))
    tamper(sessions, insert(subjects_table).values(name="package", value="sha256:zz", idx=3))
    tamper(sessions, insert(subjects_table).values(name="request", value="R-9", idx=40))
    assert problems(sessions) == [
        "entry 2 is missing from the subject index under package 'sha256:aa'",
        "the subject index lists entry 3 under package 'sha256:zz', which it does not name",
        "1 subject index rows point past the tree size 4",
    ]


def test_a_damaged_edge_stops_appends(sessions: sessionmaker[Session]) -> None:
    append(sessions, [6])
    nodes = store.nodes_table
    tamper(sessions, update(nodes).where(nodes.c.level == 2).values(hash=b"\x00" * 32))
    with pytest.raises(LogInconsistencyError, match="refusing to append"):
        append(sessions, [1])
    tamper(sessions, delete(nodes).where(nodes.c.level == 2))
    with pytest.raises(LogInconsistencyError, match="lacks the node at level 2"):
        append(sessions, [1])


# --- checkpoints and witnessing records -----------------------------------------------------------


def test_checkpoints_are_kept_once_per_size(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        first = store.add_checkpoint(session, 5, b"r" * 32, "note 5", AT)
        assert store.add_checkpoint(session, 5, b"r" * 32, "note 5", AT) == first
        store.add_checkpoint(session, 9, b"s" * 32, "note 9", AT)
        with pytest.raises(LogInconsistencyError, match="different root for size 5"):
            store.add_checkpoint(session, 5, b"x" * 32, "forged", AT)
    with unit_of_work(sessions) as session:
        assert [c.tree_size for c in store.list_checkpoints(session)] == [5, 9]
        latest = store.latest_checkpoint(session)
        assert latest is not None
        assert latest.note == "note 9"
        assert store.get_checkpoint(session, 7) is None
        head, at_five = store.head_with_checkpoint(session, 5)
        assert head == store.TreeHead(0, EMPTY_ROOT)
        assert at_five == first
        assert store.head_with_checkpoint(session) == (head, None)


def test_witnessed_checkpoints_and_split_views_are_kept(sessions: sessionmaker[Session]) -> None:
    record = store.WitnessedRecord("aut.example/log", 4, b"r" * 32, "note", "cosigned", AT)
    with unit_of_work(sessions) as session:
        store.save_witnessed(session, record)
        store.save_witnessed(session, record)
        store.save_witnessed(
            session, store.WitnessedRecord("aut.example/log", 9, b"s" * 32, "n9", "c9", AT)
        )
        with pytest.raises(LogInconsistencyError, match="split view"):
            store.save_witnessed(
                session, store.WitnessedRecord("aut.example/log", 4, b"x" * 32, "n", "c", AT)
            )
    evidence = SplitViewEvidence(
        origin="aut.example/log",
        first_note="first",
        second_note="second",
        first_size=4,
        second_size=9,
        reason="a reason",
        consistency_proof=(b"p" * 32,),
    )
    with unit_of_work(sessions) as session:
        assert store.witnessed_at(session, "aut.example/log", 4) == record
        last = store.last_witnessed(session, "aut.example/log")
        assert last is not None
        assert last.tree_size == 9
        assert store.last_witnessed(session, "other") is None
        assert len(store.list_witnessed(session)) == 2
        store.add_split_view(session, evidence, AT)
    with unit_of_work(sessions) as session:
        [kept] = store.list_split_views(session)
        assert kept.evidence == evidence
        assert kept.detected_at == AT


# --- a writer killed mid-batch --------------------------------------------------------------------

CRASHING_WRITER = r"""
import sys, time
from datetime import UTC, datetime
from hanoix.config import load_settings
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.services import custody
from hanoix.services.node import Node

node = Node.open(load_settings(sys.argv[1], environ={}))
ledger = custody.CustodyLedger(node)
batch = 0
while True:
    with node.unit_of_work() as session:
        events = [
            CustodyEvent(EventKind.REQUEST_CHANGED, "crash-test", "TST", datetime.now(UTC),
                         {"request": f"R-{batch}-{i}"})
            for i in range(40)
        ]
        indices = custody.record_many(session, events)
        time.sleep(0.005)  # widen the window in which a kill lands mid-batch, uncommitted
    print(indices[-1] + 1, flush=True)  # acknowledged: committed
    batch += 1
    if batch % 4 == 0:
        ledger.checkpoint()
"""


@pytest.fixture
def crash_home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "crash-node"
    node = Node.open(load_settings(home, environ={}))
    node.initialise()
    node.close()
    yield home


def run_and_kill(home: Path, rng: random.Random) -> int:
    """Start a writer, let it acknowledge a few batches, SIGKILL it; return the last ack."""
    writer = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged = 0
    deadline = time.monotonic() + 60
    try:
        for _ in range(rng.randint(2, 6)):
            line = writer.stdout.readline()
            if not line:
                raise AssertionError(
                    f"the writer stopped: {writer.stderr.read() if writer.stderr else ''}"
                )
            acknowledged = int(line)
            assert time.monotonic() < deadline, "the writer is too slow"
        time.sleep(rng.uniform(0, 0.05))
    finally:
        writer.send_signal(signal.SIGKILL)
        rest, _ = writer.communicate(timeout=30)
    for line in rest.split():
        acknowledged = max(acknowledged, int(line))
    assert writer.returncode == -signal.SIGKILL
    return acknowledged


@pytest.mark.slow
def test_a_writer_killed_mid_batch_loses_no_acknowledged_entry(crash_home: Path) -> None:
    rng = random.Random(20261123)
    acknowledged = 0
    for _round in range(4):
        acknowledged = max(acknowledged, run_and_kill(crash_home, rng))
        node = Node.open(load_settings(crash_home, environ={}))
        try:
            report = CustodyLedger(node).verify()  # raises on any inconsistency
            with node.unit_of_work() as session:
                head = store.tree_head(session)
                count = session.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one()
        finally:
            node.close()
        assert report.tree_size == head.size == count
        assert head.size >= acknowledged
        assert head.size % 40 == 0, "a batch was half written"
    assert report.checkpoints_checked >= 1
