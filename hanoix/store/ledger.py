"""The custody ledger in the node's database: entries, tree nodes, head, checkpoints, witnessing.

Layout (SQLite and PostgreSQL alike):

* ``ledger_entries``: one row per entry: its index, leaf hash, canonical bytes, time appended.
* ``ledger_nodes``: every *complete* interior node ``(level >= 1, index)``. A complete node never
  changes once its last leaf is in, so an append writes about one node per entry and never
  rewrites one; a proof or a root reads O(log n) of them with one query. (Leaf hashes, level 0,
  are read from ``ledger_entries``.)
* ``ledger_head``: the single row holding the tree size and root. Appends lock it (``SELECT ...
  FOR UPDATE`` on PostgreSQL; on SQLite a write to it takes the database's write lock first), so
  appends are serialised and indices gapless across processes.
* ``ledger_checkpoints``: every checkpoint the log signed; ``ledger_witnessed``: every checkpoint
  of a peer log this node cosigned; ``ledger_split_views``: evidence of peers' split views.

Appends run in the caller's transaction and never commit: a custody event commits together with
the change it records, or neither does. A crash before commit leaves nothing; after commit,
the entry, its nodes and the new head are all there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from hanoix.errors import Problem
from hanoix.ledger.errors import LogInconsistencyError, MalformedEntryError
from hanoix.ledger.merkle import EMPTY_ROOT, HASH_SIZE, CompactRange, NodeID
from hanoix.ledger.witness import SplitViewEvidence
from hanoix.store.db import Base, UTCDateTime

#: The largest entry the store accepts (custody events are a few hundred bytes).
MAX_ENTRY_BYTES = 64 * 1024
#: The longest subject name or value indexed (digests and references are far shorter).
MAX_SUBJECT_LENGTH = 256

# SQLite only makes "INTEGER PRIMARY KEY" an alias of the rowid (the table's own B-tree key).
_Index = BigInteger().with_variant(Integer(), "sqlite")

entries_table = Table(
    "ledger_entries",
    Base.metadata,
    Column("idx", _Index, primary_key=True, autoincrement=False),
    Column("leaf_hash", LargeBinary(HASH_SIZE), nullable=False),
    Column("entry", LargeBinary(), nullable=False),
    Column("appended_at", UTCDateTime(), nullable=False),
)

nodes_table = Table(
    "ledger_nodes",
    Base.metadata,
    Column("level", SmallInteger(), primary_key=True, autoincrement=False),
    Column("idx", BigInteger(), primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(HASH_SIZE), nullable=False),
    sqlite_with_rowid=False,
)

# Which entries concern which object: (subject name, value) -> index. Derived from the
# entries (each event's "subject"), kept so a package's or request's custody chain is one
# indexed query; recompute() checks it against the entries.
subjects_table = Table(
    "ledger_subjects",
    Base.metadata,
    Column("name", String(MAX_SUBJECT_LENGTH), primary_key=True),
    Column("value", String(MAX_SUBJECT_LENGTH), primary_key=True),
    Column("idx", BigInteger(), primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)

# Which request a pseudonym in the entries stands for (hanoix.ledger.subjects): written with
# the entry that first names it, so that the node can say who may read an entry (the request's
# visibility) without ever writing the reference into the log. Not part of the log: proofs and
# recompute() never read it.
request_pseudonyms_table = Table(
    "ledger_request_pseudonyms",
    Base.metadata,
    Column("pseudonym", String(MAX_SUBJECT_LENGTH), primary_key=True),
    Column("reference", String(64), nullable=False, index=True),
)

head_table = Table(
    "ledger_head",
    Base.metadata,
    Column("id", SmallInteger(), primary_key=True, autoincrement=False),
    Column("tree_size", BigInteger(), nullable=False),
    Column("root_hash", LargeBinary(HASH_SIZE), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

checkpoints_table = Table(
    "ledger_checkpoints",
    Base.metadata,
    Column("tree_size", BigInteger(), primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(HASH_SIZE), nullable=False),
    Column("note", Text(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

witnessed_table = Table(
    "ledger_witnessed",
    Base.metadata,
    Column("origin", String(255), primary_key=True),
    Column("tree_size", BigInteger(), primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(HASH_SIZE), nullable=False),
    Column("note", Text(), nullable=False),
    Column("cosigned_note", Text(), nullable=False),
    Column("seen_at", UTCDateTime(), nullable=False),
)

split_views_table = Table(
    "ledger_split_views",
    Base.metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("origin", String(255), nullable=False, index=True),
    Column("first_size", BigInteger(), nullable=False),
    Column("second_size", BigInteger(), nullable=False),
    Column("first_note", Text(), nullable=False),
    Column("second_note", Text(), nullable=False),
    Column("consistency_proof", Text(), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("detected_at", UTCDateTime(), nullable=False),
)

_SELECT_HEAD = select(head_table.c.tree_size, head_table.c.root_hash).where(head_table.c.id == 1)


# --- values handed out (never rows) ---------------------------------------------------------------


@dataclass(frozen=True)
class TreeHead:
    size: int
    root_hash: bytes


@dataclass(frozen=True)
class AppendResult:
    """Where a batch landed: indices ``first_index .. first_index + len(leaf_hashes) - 1``."""

    first_index: int
    leaf_hashes: tuple[bytes, ...]
    tree_size: int
    root_hash: bytes

    @property
    def indices(self) -> range:
        return range(self.first_index, self.first_index + len(self.leaf_hashes))


@dataclass(frozen=True)
class StoredEntry:
    index: int
    leaf_hash: bytes
    entry: bytes
    appended_at: datetime


@dataclass(frozen=True)
class StoredCheckpoint:
    tree_size: int
    root_hash: bytes
    note: str
    created_at: datetime


@dataclass(frozen=True)
class WitnessedRecord:
    origin: str
    tree_size: int
    root_hash: bytes
    note: str
    cosigned_note: str
    seen_at: datetime


@dataclass(frozen=True)
class StoredSplitView:
    id: int
    evidence: SplitViewEvidence
    detected_at: datetime


# --- the tree -------------------------------------------------------------------------------------


def _connection(session: Session) -> Connection:
    return session.connection()


# One round trip per proof: leaf hashes (level 0) come from the entries, the rest from the nodes.
# SQLite answers an OR of primary-key equalities with index probes ("MULTI-INDEX OR") but scans
# the table for the row-value form (level, idx) IN (VALUES ...); PostgreSQL joins arrays.
_PG_LOOKUP = text(
    "SELECT 0 AS level, idx, leaf_hash AS hash FROM ledger_entries "
    "WHERE idx = ANY(CAST(:leaves AS BIGINT[])) "
    "UNION ALL "
    "SELECT n.level, n.idx, n.hash FROM ledger_nodes AS n "
    "JOIN unnest(CAST(:levels AS SMALLINT[]), CAST(:idxs AS BIGINT[])) AS k(level, idx) "
    "ON n.level = k.level AND n.idx = k.idx"
)


@lru_cache(maxsize=1024)
def _sqlite_lookup(leaves: int, inner: int) -> TextClause:
    """The lookup of ``leaves`` leaf hashes and ``inner`` nodes; one statement per shape."""
    parts = []
    if leaves:
        marks = ", ".join(f":e{n}" for n in range(leaves))
        # Only generated parameter names are interpolated, never values.
        parts.append(f"SELECT 0, idx, leaf_hash FROM ledger_entries WHERE idx IN ({marks})")  # noqa: S608
    if inner:
        terms = " OR ".join(f"(level = :l{n} AND idx = :i{n})" for n in range(inner))
        parts.append(f"SELECT level, idx, hash FROM ledger_nodes WHERE {terms}")  # noqa: S608
    return text(" UNION ALL ".join(parts))


def _get_nodes(conn: Connection, ids: Sequence[NodeID]) -> list[bytes]:
    if not ids:
        return []
    leaves = sorted({index for level, index in ids if level == 0})
    inner = sorted({(level, index) for level, index in ids if level > 0})
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            _PG_LOOKUP,
            {
                "leaves": leaves,
                "levels": [level for level, _ in inner],
                "idxs": [index for _, index in inner],
            },
        )
    else:
        parameters: dict[str, int] = {f"e{n}": index for n, index in enumerate(leaves)}
        for n, (level, index) in enumerate(inner):
            parameters[f"l{n}"] = level
            parameters[f"i{n}"] = index
        rows = conn.execute(_sqlite_lookup(len(leaves), len(inner)), parameters)
    found = {(int(level), int(index)): bytes(value) for level, index, value in rows}
    try:
        return [found[(level, index)] for level, index in ids]
    except KeyError as missing:
        level, index = missing.args[0]
        raise LogInconsistencyError(
            f"the ledger's stored tree lacks the node at level {level}, index {index}: "
            "the database was damaged or edited; run 'hanoix ledger verify'"
        ) from None


class StoredTree:
    """The stored tree as a :class:`~hanoix.ledger.merkle.NodeSource`, inside one session."""

    def __init__(self, session: Session) -> None:
        self._conn = _connection(session)

    def get_nodes(self, ids: Sequence[NodeID]) -> list[bytes]:
        return _get_nodes(self._conn, ids)


def tree_head(session: Session) -> TreeHead:
    """The tree's current size and root (not locked: a snapshot for readers)."""
    row = _connection(session).execute(_SELECT_HEAD).one_or_none()
    if row is None:
        return TreeHead(0, EMPTY_ROOT)
    return TreeHead(int(row.tree_size), bytes(row.root_hash))


def _lock_head(conn: Connection) -> TreeHead:
    if conn.dialect.name == "sqlite":
        # A write first: SQLite takes its single write lock now (waiting on busy_timeout), so
        # the head read next is the latest and no other writer can move it before commit.
        conn.execute(
            update(head_table).where(head_table.c.id == 1).values(tree_size=head_table.c.tree_size)
        )
    row = conn.execute(_SELECT_HEAD.with_for_update()).one_or_none()
    if row is None:
        conn.execute(insert(head_table).values(id=1, tree_size=0, root_hash=EMPTY_ROOT))
        return TreeHead(0, EMPTY_ROOT)
    return TreeHead(int(row.tree_size), bytes(row.root_hash))


def lock_appends(session: Session) -> TreeHead:
    """Take the append lock now, for the rest of the caller's transaction, and return the head.

    For a use case that reads, decides, then appends (witnessing a peer's checkpoint: the last
    one seen decides whether the new one is cosigned): holding the lock from the read on, no
    other process of the node can write the same decision between them."""
    return _lock_head(_connection(session))


def append_many(
    session: Session,
    entries: Sequence[bytes],
    appended_at: datetime,
    *,
    subjects: Sequence[Mapping[str, str]] | None = None,
) -> AppendResult:
    """Append ``entries`` (canonical bytes) in the caller's transaction; return where they landed.

    ``subjects``, one mapping per entry, indexes each entry under the objects it concerns (the
    ``subject`` of a custody event). Cost per batch: one lock, one read of O(log n) edge nodes,
    bulk inserts, one update. Refuses to append to a tree whose stored edge does not give the
    stored root.
    """
    if subjects is not None:
        if len(subjects) != len(entries):
            raise ValueError("one subject mapping per entry")
        for position, subject in enumerate(subjects):
            for name, value in subject.items():
                if not (isinstance(name, str) and isinstance(value, str)) or not (
                    0 < len(name) <= MAX_SUBJECT_LENGTH and 0 < len(value) <= MAX_SUBJECT_LENGTH
                ):
                    raise MalformedEntryError(
                        f"entry {position} of the batch: its subject {name!r} must name a "
                        f"non-empty text of at most {MAX_SUBJECT_LENGTH} characters"
                    )
    for position, entry in enumerate(entries):
        if not isinstance(entry, bytes) or not entry:
            raise MalformedEntryError(f"entry {position} of the batch is empty or not bytes")
        if len(entry) > MAX_ENTRY_BYTES:
            raise MalformedEntryError(
                f"entry {position} of the batch is {len(entry)} bytes; "
                f"the limit is {MAX_ENTRY_BYTES}"
            )
    conn = _connection(session)
    head = _lock_head(conn)
    edge = CompactRange(head.size, _get_nodes(conn, CompactRange.peak_ids(head.size)))
    if edge.root() != head.root_hash:
        raise LogInconsistencyError(
            f"the ledger's stored tree of size {head.size} does not give its stored root: "
            "refusing to append; run 'hanoix ledger verify'"
        )
    if not entries:
        return AppendResult(head.size, (), head.size, head.root_hash)
    sha256 = hashlib.sha256
    leaves = [sha256(b"\x00" + entry).digest() for entry in entries]
    first = head.size
    # The batch's one timestamp goes through the column type once, not once per row.
    stamp = _bind_value(conn, entries_table.c.appended_at, appended_at)
    entry_rows = [
        (first + offset, leaf, entry, stamp)
        for offset, (leaf, entry) in enumerate(zip(leaves, entries, strict=True))
    ]
    node_rows: list[tuple[int, int, bytes]] = []
    extend = node_rows.extend
    for leaf in leaves:
        extend(edge.append(leaf))
    _bulk_insert(conn, entries_table, entry_rows)
    if node_rows:
        _bulk_insert(conn, nodes_table, node_rows)
    if subjects is not None:
        subject_rows = [
            (name, value, first + offset)
            for offset, subject in enumerate(subjects)
            for name, value in sorted(subject.items())
        ]
        if subject_rows:
            _bulk_insert(conn, subjects_table, subject_rows)
    root = edge.root()
    conn.execute(
        update(head_table).where(head_table.c.id == 1).values(tree_size=edge.size, root_hash=root)
    )
    return AppendResult(first, tuple(leaves), edge.size, root)


def _bind_value(conn: Connection, column: Column[Any], value: Any) -> Any:
    """``value`` as SQLAlchemy would hand it to the driver for ``column`` on this database."""
    processor = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return value if processor is None else processor(value)


def _bulk_insert(conn: Connection, table: Table, rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows (tuples in column order) through the driver, in the open transaction.

    Appends are bound by per-row overhead, so this skips SQLAlchemy's parameter processing:
    PostgreSQL gets COPY, SQLite one prepared executemany. Values must already be in the form
    the driver takes (bytes, ints, and a timestamp processed by :func:`_bind_value`).
    """
    names = ", ".join(column.name for column in table.columns)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        return
    marks = ", ".join("?" for _ in table.columns)
    # Only the table's own column names are interpolated, never values.
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)  # noqa: S608


# --- entries --------------------------------------------------------------------------------------


def _entry(row: Any) -> StoredEntry:
    return StoredEntry(int(row.idx), bytes(row.leaf_hash), bytes(row.entry), row.appended_at)


# Indices and sizes are BIGINT columns: a number beyond them (asked for through the API or
# the CLI) names nothing stored, and must not reach the database driver, which would refuse it.
_BIGINT_MAX = 2**63 - 1


def _storable(number: int) -> bool:
    return 0 <= number <= _BIGINT_MAX


def get_entry(session: Session, index: int) -> StoredEntry | None:
    if not _storable(index):
        return None
    row = (
        _connection(session)
        .execute(select(entries_table).where(entries_table.c.idx == index))
        .one_or_none()
    )
    return None if row is None else _entry(row)


def remember_pseudonyms(session: Session, pseudonyms: dict[str, str]) -> None:
    """Record which request each pseudonym stands for (those not recorded yet). Called under
    the append lock, so two writers never insert the same one."""
    if not pseudonyms:
        return
    conn = _connection(session)
    known = set(
        conn.execute(
            select(request_pseudonyms_table.c.pseudonym).where(
                request_pseudonyms_table.c.pseudonym.in_(list(pseudonyms))
            )
        ).scalars()
    )
    new = [{"pseudonym": p, "reference": r} for p, r in pseudonyms.items() if p not in known]
    if new:
        conn.execute(insert(request_pseudonyms_table), new)


def references_of(session: Session, pseudonyms: Iterable[str]) -> dict[str, str]:
    """The requests the given pseudonyms stand for (those this node wrote)."""
    wanted = list(set(pseudonyms))
    if not wanted:
        return {}
    rows = _connection(session).execute(
        select(request_pseudonyms_table.c.pseudonym, request_pseudonyms_table.c.reference).where(
            request_pseudonyms_table.c.pseudonym.in_(wanted)
        )
    )
    return {pseudonym: reference for pseudonym, reference in rows}


def entries_about(session: Session, name: str, value: str) -> list[StoredEntry]:
    """The entries whose subject names ``name: value`` (a package digest, a request), in order."""
    rows = _connection(session).execute(
        select(entries_table)
        .join(subjects_table, subjects_table.c.idx == entries_table.c.idx)
        .where(subjects_table.c.name == name, subjects_table.c.value == value)
        .order_by(entries_table.c.idx)
    )
    return [_entry(row) for row in rows]


def iter_entries(
    session: Session, start: int = 0, stop: int | None = None, *, chunk: int = 4096
) -> Iterator[StoredEntry]:
    """Entries ``start <= index < stop`` in order, read a chunk at a time (no open cursor)."""
    conn = _connection(session)
    end = tree_head(session).size if stop is None else stop
    position = max(start, 0)
    while position < end:
        upper = min(position + chunk, end)
        rows = conn.execute(
            select(entries_table)
            .where(entries_table.c.idx >= position, entries_table.c.idx < upper)
            .order_by(entries_table.c.idx)
        ).all()
        for row in rows:
            yield _entry(row)
        position = upper


# --- checkpoints ----------------------------------------------------------------------------------


def _checkpoint(row: Any) -> StoredCheckpoint:
    return StoredCheckpoint(int(row.tree_size), bytes(row.root_hash), row.note, row.created_at)


def _insert_ignoring_duplicates(session: Session, table: Table, values: dict[str, Any]) -> None:
    conn = _connection(session)
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(table).values(**values).on_conflict_do_nothing())
    else:
        conn.execute(sqlite.insert(table).values(**values).on_conflict_do_nothing())


def add_checkpoint(
    session: Session, tree_size: int, root_hash: bytes, note: str, created_at: datetime
) -> StoredCheckpoint:
    """Keep a checkpoint the log signed; a second one of the same size must be the same."""
    _insert_ignoring_duplicates(
        session,
        checkpoints_table,
        {"tree_size": tree_size, "root_hash": root_hash, "note": note, "created_at": created_at},
    )
    stored = get_checkpoint(session, tree_size)
    if stored is None or stored.root_hash != root_hash:
        raise LogInconsistencyError(
            f"the ledger already signed a different root for size {tree_size}"
        )
    return stored


def get_checkpoint(session: Session, tree_size: int) -> StoredCheckpoint | None:
    if not _storable(tree_size):
        return None
    row = (
        _connection(session)
        .execute(select(checkpoints_table).where(checkpoints_table.c.tree_size == tree_size))
        .one_or_none()
    )
    return None if row is None else _checkpoint(row)


def head_with_checkpoint(
    session: Session, tree_size: int | None = None
) -> tuple[TreeHead, StoredCheckpoint | None]:
    """The head and the stored checkpoint of ``tree_size`` (default: the head's), in one query."""
    head, checkpoint = head_table.alias("h"), checkpoints_table.alias("c")
    if tree_size is not None and not _storable(tree_size):
        tree_size = -1  # no checkpoint has it; the caller compares it with the head's size
    wanted = head.c.tree_size if tree_size is None else tree_size
    row = (
        _connection(session)
        .execute(
            select(
                head.c.tree_size.label("head_size"),
                head.c.root_hash.label("head_root"),
                checkpoint.c.tree_size,
                checkpoint.c.root_hash,
                checkpoint.c.note,
                checkpoint.c.created_at,
            )
            .select_from(head.outerjoin(checkpoint, checkpoint.c.tree_size == wanted))
            .where(head.c.id == 1)
        )
        .one_or_none()
    )
    if row is None:
        return TreeHead(0, EMPTY_ROOT), None
    tree_head_ = TreeHead(int(row.head_size), bytes(row.head_root))
    return tree_head_, None if row.tree_size is None else _checkpoint(row)


def latest_checkpoint(session: Session) -> StoredCheckpoint | None:
    row = (
        _connection(session)
        .execute(select(checkpoints_table).order_by(checkpoints_table.c.tree_size.desc()).limit(1))
        .one_or_none()
    )
    return None if row is None else _checkpoint(row)


def list_checkpoints(session: Session) -> list[StoredCheckpoint]:
    rows = _connection(session).execute(
        select(checkpoints_table).order_by(checkpoints_table.c.tree_size)
    )
    return [_checkpoint(row) for row in rows]


# --- witnessing -----------------------------------------------------------------------------------


def _witnessed(row: Any) -> WitnessedRecord:
    return WitnessedRecord(
        row.origin,
        int(row.tree_size),
        bytes(row.root_hash),
        row.note,
        row.cosigned_note,
        row.seen_at,
    )


def last_witnessed(session: Session, origin: str) -> WitnessedRecord | None:
    """The largest checkpoint of ``origin`` this node cosigned."""
    row = (
        _connection(session)
        .execute(
            select(witnessed_table)
            .where(witnessed_table.c.origin == origin)
            .order_by(witnessed_table.c.tree_size.desc())
            .limit(1)
        )
        .one_or_none()
    )
    return None if row is None else _witnessed(row)


def witnessed_at(session: Session, origin: str, tree_size: int) -> WitnessedRecord | None:
    if not _storable(tree_size):
        return None
    row = (
        _connection(session)
        .execute(
            select(witnessed_table).where(
                witnessed_table.c.origin == origin, witnessed_table.c.tree_size == tree_size
            )
        )
        .one_or_none()
    )
    return None if row is None else _witnessed(row)


def list_witnessed(session: Session, origin: str | None = None) -> list[WitnessedRecord]:
    query = select(witnessed_table).order_by(witnessed_table.c.origin, witnessed_table.c.tree_size)
    if origin is not None:
        query = query.where(witnessed_table.c.origin == origin)
    return [_witnessed(row) for row in _connection(session).execute(query)]


def save_witnessed(session: Session, record: WitnessedRecord) -> None:
    """Keep a cosigned peer checkpoint; cosigning the same one again refreshes the cosignature."""
    existing = witnessed_at(session, record.origin, record.tree_size)
    conn = _connection(session)
    if existing is None:
        conn.execute(insert(witnessed_table).values(**asdict(record)))
        return
    if existing.root_hash != record.root_hash:
        raise LogInconsistencyError(
            f"a different checkpoint of {record.origin!r} at size {record.tree_size} was "
            "already cosigned: this is a split view and must be recorded as such"
        )
    conn.execute(
        update(witnessed_table)
        .where(
            witnessed_table.c.origin == record.origin,
            witnessed_table.c.tree_size == record.tree_size,
        )
        .values(cosigned_note=record.cosigned_note, seen_at=record.seen_at)
    )


def add_split_view(session: Session, evidence: SplitViewEvidence, detected_at: datetime) -> int:
    result = _connection(session).execute(
        insert(split_views_table).values(
            origin=evidence.origin,
            first_size=evidence.first_size,
            second_size=evidence.second_size,
            first_note=evidence.first_note,
            second_note=evidence.second_note,
            consistency_proof=json.dumps([value.hex() for value in evidence.consistency_proof]),
            reason=evidence.reason,
            detected_at=detected_at,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def list_split_views(session: Session, origin: str | None = None) -> list[StoredSplitView]:
    query = select(split_views_table).order_by(split_views_table.c.id)
    if origin is not None:
        query = query.where(split_views_table.c.origin == origin)
    out: list[StoredSplitView] = []
    for row in _connection(session).execute(query):
        evidence = SplitViewEvidence(
            origin=row.origin,
            first_note=row.first_note,
            second_note=row.second_note,
            first_size=int(row.first_size),
            second_size=int(row.second_size),
            reason=row.reason,
            consistency_proof=tuple(bytes.fromhex(v) for v in json.loads(row.consistency_proof)),
        )
        out.append(StoredSplitView(int(row.id), evidence, row.detected_at))
    return out


# --- recomputing the whole log --------------------------------------------------------------------


@dataclass
class Recomputation:
    """The log recomputed from its entries alone, and every way the stored state disagrees."""

    tree_size: int
    root_hash: bytes
    entries: int
    nodes_checked: int
    roots: dict[int, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problems_total: int = 0

    MAX_PROBLEMS = 100

    def add(self, message: str, *, field: str | None = None) -> None:
        self.problems_total += 1
        if len(self.problems) < self.MAX_PROBLEMS:
            self.problems.append(Problem(message=message, field=field))


def recompute(
    session: Session, at_sizes: Iterable[int] = (), *, chunk: int = 1 << 14
) -> Recomputation:
    """Rebuild the tree from the stored entries and compare it with everything stored.

    Checks that entries are gapless ``0 .. n-1`` with no extra rows, that each leaf hash is the
    hash of its entry's bytes, that every stored interior node equals the recomputed one and that
    no node is missing or extra, and that the stored head is the recomputed root. Returns the
    recomputed roots at ``at_sizes`` (for the checkpoints) and every problem found.
    """
    if chunk <= 0 or chunk & (chunk - 1):
        raise ValueError("chunk must be a power of two")
    conn = _connection(session)
    head = tree_head(session)
    n = head.size
    wanted = set(at_sizes)
    report = Recomputation(tree_size=n, root_hash=head.root_hash, entries=0, nodes_checked=0)
    for size in sorted(wanted):
        if size > n:
            report.add(f"a checkpoint of size {size} exists but the log has only {n} entries")
    if 0 in wanted:
        report.roots[0] = EMPTY_ROOT
    edge = CompactRange()
    expected = 0
    broken = False
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        rows = conn.execute(
            select(entries_table.c.idx, entries_table.c.leaf_hash, entries_table.c.entry)
            .where(entries_table.c.idx >= start, entries_table.c.idx < stop)
            .order_by(entries_table.c.idx)
        ).all()
        computed: dict[tuple[int, int], bytes] = {}
        subjects: set[tuple[str, str, int]] = set()
        for index, stored_leaf, entry in rows:
            if index != expected:
                report.add(f"entries {expected} to {index - 1} are missing", field="entries")
                broken = True
                break
            leaf = hashlib.sha256(b"\x00" + bytes(entry)).digest()
            if bytes(stored_leaf) != leaf:
                report.add(
                    f"entry {index}: its stored leaf hash is not the hash of its bytes",
                    field="entries",
                )
            for level, position, value in edge.append(leaf):
                computed[(level, position)] = value
            subjects.update((name, value, index) for name, value in _subject_of(bytes(entry)))
            expected += 1
            if edge.size in wanted:
                report.roots[edge.size] = edge.root()
        if broken:
            break
        if expected != stop:
            report.add(f"entries {expected} to {stop - 1} are missing", field="entries")
            broken = True
            break
        report.nodes_checked += _compare_nodes(conn, computed, report)
        _compare_subjects(conn, start, stop, subjects, report)
    report.entries = expected
    if not broken:
        if edge.root() != head.root_hash:
            report.add(
                f"the stored root of size {n} is not the root recomputed from the entries",
                field="head",
            )
        _check_node_counts(conn, n, report)
    extra = conn.execute(
        select(func.count()).select_from(entries_table).where(entries_table.c.idx >= n)
    ).scalar_one()
    if extra:
        report.add(f"{extra} entries lie beyond the tree size {n} of the head", field="entries")
    stray = conn.execute(
        select(func.count()).select_from(subjects_table).where(subjects_table.c.idx >= n)
    ).scalar_one()
    if stray:
        report.add(f"{stray} subject index rows point past the tree size {n}", field="subjects")
    if not broken:
        report.root_hash = edge.root()
    return report


def _subject_of(entry: bytes) -> list[tuple[str, str]]:
    """The (name, value) pairs an entry is indexed under: its "subject" if it has one."""
    try:
        parsed = json.loads(entry)
    except ValueError:
        return []
    subject = parsed.get("subject") if isinstance(parsed, dict) else None
    if not isinstance(subject, dict):
        return []
    return [(k, v) for k, v in subject.items() if isinstance(k, str) and isinstance(v, str)]


def _compare_subjects(
    conn: Connection,
    start: int,
    stop: int,
    expected: set[tuple[str, str, int]],
    report: Recomputation,
) -> None:
    stored = {
        (name, value, int(index))
        for name, value, index in conn.execute(
            select(subjects_table.c.name, subjects_table.c.value, subjects_table.c.idx).where(
                subjects_table.c.idx >= start, subjects_table.c.idx < stop
            )
        )
    }
    for name, value, index in sorted(expected - stored, key=lambda row: row[2]):
        report.add(
            f"entry {index} is missing from the subject index under {name} {value!r}",
            field="subjects",
        )
    for name, value, index in sorted(stored - expected, key=lambda row: row[2]):
        report.add(
            f"the subject index lists entry {index} under {name} {value!r}, which it does not name",
            field="subjects",
        )


def _compare_nodes(
    conn: Connection, computed: dict[tuple[int, int], bytes], report: Recomputation
) -> int:
    by_level: dict[int, list[int]] = {}
    for level, position in computed:
        by_level.setdefault(level, []).append(position)
    checked = 0
    for level, positions in sorted(by_level.items()):
        low, high = min(positions), max(positions)
        stored = {
            int(index): bytes(value)
            for index, value in conn.execute(
                select(nodes_table.c.idx, nodes_table.c.hash).where(
                    nodes_table.c.level == level,
                    nodes_table.c.idx >= low,
                    nodes_table.c.idx <= high,
                )
            )
        }
        for position in positions:
            value = stored.get(position)
            if value is None:
                report.add(f"the node at level {level}, index {position} is missing", field="nodes")
            elif value != computed[(level, position)]:
                report.add(
                    f"the node at level {level}, index {position} is not the recomputed one",
                    field="nodes",
                )
            checked += 1
    return checked


def _check_node_counts(conn: Connection, n: int, report: Recomputation) -> None:
    rows = conn.execute(
        select(
            nodes_table.c.level,
            func.count(),
            func.min(nodes_table.c.idx),
            func.max(nodes_table.c.idx),
        ).group_by(nodes_table.c.level)
    ).all()
    for level, count, low, high in rows:
        expected = n >> level if level >= 1 else 0
        if count != expected or (expected and (low != 0 or high != expected - 1)):
            report.add(
                f"level {level} holds {count} nodes; a tree of size {n} has {expected}",
                field="nodes",
            )
