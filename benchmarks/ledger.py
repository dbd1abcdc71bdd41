"""Benchmark of the custody ledger (not a test): appends, proofs, verification, database size.

    .venv/bin/python -m benchmarks.ledger                      # 1,000,000 entries, both databases
    .venv/bin/python -m benchmarks.ledger --entries 100000 --db sqlite

For each database: append N custody events in batches through the service (event -> RFC 8785
JSON -> leaf hash -> tree nodes -> commit), then generate and verify random inclusion proofs
and consistency proofs against the final tree, and report the database size. Proof generation
is timed at the store (one session, as a server answering many requests on one connection) and
through the whole service call (its own unit of work, checkpoint lookup, self-check); proof
verification both for the bare Merkle path and for the whole document with its signed checkpoint.

Targets (the issue): >= 20,000 appends/s on SQLite in batches; a proof in < 1 ms; verification
in < 100 us.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text

from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.ledger.merkle import (
    consistency_proof,
    leaf_and_inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from hanoix.services import custody
from hanoix.services.node import Node
from hanoix.store import ledger as store
from hanoix.store.db import make_engine, session_factory

PG_ADMIN_URL = os.environ.get("HANOIX_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
KINDS = [EventKind.PACKAGE_SEALED, EventKind.PACKAGE_SENT, EventKind.REQUEST_CREATED]
START = datetime(2026, 11, 23, tzinfo=UTC)


@dataclass
class Figures:
    database: str
    entries: int
    append_seconds: float
    proof_store_us: float
    proof_service_us: float
    verify_path_us: float
    verify_document_us: float
    consistency_store_us: float
    consistency_verify_us: float
    verify_log_seconds: float
    database_bytes: int

    def lines(self) -> list[str]:
        rate = self.entries / self.append_seconds
        return [
            f"[{self.database}] {self.entries:,} entries",
            f"  appends:                  {rate:,.0f} /s ({self.append_seconds:.1f} s)",
            f"  inclusion proof, store:   {self.proof_store_us:,.0f} us per proof",
            f"  inclusion proof, service: {self.proof_service_us:,.0f} us per proof",
            f"  verify audit path:        {self.verify_path_us:,.1f} us per proof",
            f"  verify proof + checkpoint signature: {self.verify_document_us:,.1f} us",
            f"  consistency proof, store: {self.consistency_store_us:,.0f} us per proof",
            f"  verify consistency:       {self.consistency_verify_us:,.1f} us per proof",
            f"  verify the whole log:     {self.verify_log_seconds:,.1f} s",
            f"  database size:            {self.database_bytes / 2**20:,.1f} MiB "
            f"({self.database_bytes / self.entries:,.0f} bytes per entry)",
        ]


def events(start: int, count: int) -> list[CustodyEvent]:
    return [
        CustodyEvent(
            kind=KINDS[number % len(KINDS)],
            actor=f"examiner:{number % 97}",
            authority="VNM-MPS-A05",
            at=START + timedelta(seconds=number),
            subject={"package": f"sha256:{number:064x}"},
            details={"chunks": number % 64, "bytes": number * 4096},
        )
        for number in range(start, start + count)
    ]


def timed(count: int, run: Callable[[int], object]) -> float:
    """Microseconds per call of ``run(i)`` for ``i`` in ``range(count)``."""
    begin = time.perf_counter()
    for position in range(count):
        run(position)
    return (time.perf_counter() - begin) / count * 1e6


@contextmanager
def sqlite_url(workdir: Path) -> Iterator[tuple[str, Callable[[Any], int]]]:
    path = workdir / "bench.db"

    def size(engine: Any) -> int:
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        wal = path.with_name(path.name + "-wal")
        return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)

    yield f"sqlite:///{path}", size


@contextmanager
def postgresql_url(_workdir: Path) -> Iterator[tuple[str, Callable[[Any], int]]]:
    name = f"hanoix_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def size(engine: Any) -> int:
        with engine.connect() as connection:
            connection.execute(text("CHECKPOINT"))
            return int(
                connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            )

    try:
        yield url, size
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(database: str, entries: int, batch: int, proofs: int, consistency: int) -> Figures:
    rng = random.Random(1)
    opener = sqlite_url if database == "sqlite" else postgresql_url
    with tempfile.TemporaryDirectory() as workdir, opener(Path(workdir)) as (url, size_of):
        settings = load_settings(Path(workdir) / "home", environ={}, database_url=url)
        engine = make_engine(url)
        clock = FixedClock(START)
        node = Node(settings, engine, session_factory(engine), clock)
        node.initialise()
        ledger = custody.CustodyLedger(node)

        begin = time.perf_counter()
        for start in range(0, entries, batch):
            with node.unit_of_work() as session:
                custody.record_many(
                    session, events(start, min(batch, entries - start)), clock=clock
                )
        append_seconds = time.perf_counter() - begin
        if database == "postgresql":
            # What autovacuum does within a minute on a live node: fresh planner statistics
            # after a million COPYed rows (else the first plans assume empty tables).
            with engine.begin() as connection:
                connection.execute(text("ANALYZE ledger_entries, ledger_nodes"))

        n = entries
        signed = ledger.checkpoint()
        indices = [rng.randrange(n) for _ in range(proofs)]
        pairs = [tuple(sorted((rng.randint(1, n), rng.randint(1, n)))) for _ in range(consistency)]
        generated: list[tuple[int, bytes, list[bytes]]] = []
        with node.unit_of_work() as session:
            source = store.StoredTree(session)
            root = root_hash(source, n)
            assert root == signed.root_hash

            def prove(position: int) -> None:
                index = indices[position]
                leaf, path = leaf_and_inclusion_proof(source, index, n)
                generated.append((index, leaf, path))

            proof_store_us = timed(proofs, prove)
            consistency_paths: list[list[bytes]] = []
            roots: dict[int, bytes] = {}

            def prove_consistency(position: int) -> None:
                old, new = pairs[position]
                consistency_paths.append(consistency_proof(source, old, new))

            consistency_store_us = timed(consistency, prove_consistency)
            for old, new in pairs:
                for size in (old, new):
                    if size not in roots:
                        roots[size] = root_hash(source, size)

        service_count = min(proofs, 1000)
        documents = []
        proof_service_us = timed(
            service_count, lambda p: documents.append(ledger.prove_inclusion(indices[p], n))
        )

        def verify_path(position: int) -> None:
            index, leaf, path = generated[position]
            verify_inclusion(leaf, index, n, path, root)

        verify_path_us = timed(proofs, verify_path)
        verifier = ledger.verifier
        verify_document_us = timed(service_count, lambda p: documents[p].verify(verifier))

        def verify_pair(position: int) -> None:
            old, new = pairs[position]
            verify_consistency(old, new, roots[old], roots[new], consistency_paths[position])

        consistency_verify_us = timed(consistency, verify_pair)
        begin = time.perf_counter()
        report = ledger.verify()
        verify_log_seconds = time.perf_counter() - begin
        assert report.tree_size == n
        database_bytes = size_of(engine)
        node.close()
    return Figures(
        database=database,
        entries=entries,
        append_seconds=append_seconds,
        proof_store_us=proof_store_us,
        proof_service_us=proof_service_us,
        verify_path_us=verify_path_us,
        verify_document_us=verify_document_us,
        consistency_store_us=consistency_store_us,
        consistency_verify_us=consistency_verify_us,
        verify_log_seconds=verify_log_seconds,
        database_bytes=database_bytes,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=2_000, help="events per unit of work")
    parser.add_argument("--proofs", type=int, default=10_000)
    parser.add_argument("--consistency", type=int, default=1_000)
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both")
    args = parser.parse_args()
    for database in args.db.split(","):
        figures = run(database.strip(), args.entries, args.batch, args.proofs, args.consistency)
        print("\n".join(figures.lines()), flush=True)
    print(f"(single runs; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
