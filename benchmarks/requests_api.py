"""Benchmark (not a test): the requests API on PostgreSQL, over HTTP on loopback, from several
clients at once.

Seeds ``--count`` requests (default 100,000) into a fresh PostgreSQL database in bulk through
the store, starts a real ``hanoix serve`` process on 127.0.0.1 (``--workers`` passed on when
given), and measures from ``--clients`` concurrent clients (default 8; one thread and one
keep-alive ``httpx.Client`` each), every client making ``--runs`` calls per line:

* health: ``GET /api/v1/health``, the reference: the HTTP stack and one database round trip,
  without a caller; every other line says its throughput as a ratio of this one;
* list: ``GET /api/v1/requests?limit=50`` (first pages and pages deep into the cursor chain);
* filter: the same with ``kind``, ``status``, ``state`` and ``deadline_before``;
* create: ``POST /api/v1/requests`` (validation, reference counter, ledger append, commit).

Prints calls per second (all clients together) and p50/p95/p99 latencies, then the reads
(lists and filtered lists together) against the target of issue 13: 500 reads per second or
more with p99 under 100 ms from 8 clients. The load average is printed before and after: the
machine may be shared. Usage::

    .venv/bin/python -m benchmarks.requests_api --count 10000 --clients 8 --workers 2
    HANOIX_BENCH_PG=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m ...

The seeded requests are inserted in bulk through the store (their creation is not what is
measured); the timed creations go through the whole API.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import DEVNULL, Popen, TimeoutExpired
from typing import Any

import httpx
import psycopg
from sqlalchemy import insert, text

from hanoix.clock import SystemClock
from hanoix.config import load_settings
from hanoix.convention import RequestKind
from hanoix.logs import configure_logging
from hanoix.requests import (
    Channel,
    NewRequest,
    Party,
    RequestReference,
    RequestTerms,
    draft_request,
)
from hanoix.services import auth
from hanoix.services.node import Node
from hanoix.store import requests as store
from tests.requests.builders import complete_contents
from tests.services.requests_world import document, populate, user

ADMIN_URL = os.environ.get("HANOIX_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
KINDS = [RequestKind.MLA, RequestKind.PRESERVATION, RequestKind.STORED_DATA_ACCESS]
STATES = ["VNM", "ZAF", "FRA", "BRA", "JPN"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(node: Node, count: int) -> None:
    """Insert ``count`` drafted requests of AUT-CA in bulk (documents and list columns).

    One request is drafted (validated) per kind and requested State; each row is a copy of one
    of them with its own id, reference, time and proceeding: drafting 100,000 one by one took
    most of the seeding's time, and what is measured is reading them, not drafting them."""
    author = user(node, "drafter")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    templates = {
        (kind, requested): draft_request(
            NewRequest(
                kind=kind,
                requesting=Party("AUT", "AUT-CA", "Europe/Vienna"),
                requested=Party(requested, f"{requested}-CA", "UTC"),
                channel=Channel.CENTRAL_AUTHORITY,
                terms=RequestTerms(
                    language="en",
                    proceeding="case",
                    contents=complete_contents(kind),
                    legal_basis_other="bilateral treaty",
                ),
            ),
            author=author,
            at=start,
            new_id=lambda: str(uuid.uuid4()),
            sequence=1,
        ).request
        for kind in KINDS
        for requested in STATES
    }
    batch: list[dict[str, Any]] = []
    for i in range(count):
        template = templates[(KINDS[i % len(KINDS)], STATES[i % len(STATES)])]
        at = start + timedelta(minutes=i)
        request = replace(
            template,
            id=str(uuid.uuid4()),
            reference=RequestReference("AUT", 2026, i + 1),
            created_at=at,
            terms=replace(template.terms, proceeding=f"case {i}"),
            history=tuple(replace(entry, at=at) for entry in template.history),
        )
        status = ["draft", "sent", "received", "executed"][i % 4]
        columns = store.row_values(request, at + timedelta(days=60) if i % 7 == 0 else None)
        columns["status"] = status
        batch.append({"id": request.id, **columns})
        if len(batch) == 5000:
            _flush(node, batch)
            batch = []
    if batch:
        _flush(node, batch)
    with node.unit_of_work() as session:
        session.execute(
            insert(store.RequestSequenceRow).values(state="AUT", year=2026, last_value=count)
        )
    # A bulk load leaves the planner's statistics empty until autovacuum gets to the table;
    # without them the filtered lists are planned badly (3-4x slower). A live node's tables
    # grow slowly and are analysed as they do: measure that.
    with node.engine.connect() as connection:
        connection.execute(text("ANALYZE requests"))
        connection.commit()


def _flush(node: Node, rows: list[dict[str, Any]]) -> None:
    # The table, not the ORM class: the ORM's bulk insert starts a new statement wherever the
    # columns left empty change (every few rows here), the table's sends them in pages.
    with node.unit_of_work() as session:
        session.execute(insert(store.RequestRow.__table__), rows)


READ_TARGET_PER_SECOND = 500
READ_TARGET_P99_MS = 100.0
TARGET_CLIENTS = 8


@dataclass(frozen=True)
class Figures:
    name: str
    calls: int
    seconds: float
    latencies: list[float]  # sorted, seconds

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds

    def percentile_ms(self, fraction: float) -> float:
        index = min(len(self.latencies) - 1, int(len(self.latencies) * fraction))
        return self.latencies[index] * 1000

    def line(self, reference: Figures | None, versus: str = "health") -> str:
        ratio = f"   {self.per_second / reference.per_second:5.2f}x {versus}" if reference else ""
        return (
            f"{self.name:<28} {self.per_second:8.1f} req/s   "
            f"p50 {self.percentile_ms(0.50):7.2f} ms   p95 {self.percentile_ms(0.95):7.2f} ms   "
            f"p99 {self.percentile_ms(0.99):7.2f} ms{ratio}"
        )


Call = Callable[[httpx.Client, int], httpx.Response]


def measure(name: str, clients: list[httpx.Client], runs: int, call: Call) -> Figures:
    """Every client makes ``runs`` calls at once with the others; ``call`` gets a number unique
    across clients (for idempotency keys and for spreading pages and filters)."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(len(clients) + 1)

    def work(position: int, client: httpx.Client) -> None:
        mine = []
        ready.wait()
        for run in range(runs):
            started = time.perf_counter()
            response = call(client, position * runs + run)
            mine.append(time.perf_counter() - started)
            if response.status_code >= 400:
                with lock:
                    failures.append(f"{response.status_code} {response.text[:300]}")
                break
        with lock:
            latencies.extend(mine)

    threads = [
        threading.Thread(target=work, args=(position, client), daemon=True)
        for position, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    ready.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    total = time.perf_counter() - began
    if failures:
        raise SystemExit(f"{name}: {failures[0]}")
    return Figures(name, len(latencies), total, sorted(latencies))


def _page_urls(client: httpx.Client, base: str, pages: int) -> list[str]:
    """The URLs of the first ``pages`` pages of 50, following the cursors: a small seed has
    fewer pages, and the last page has no ``next_cursor``."""
    urls = [f"{base}?limit=50"]
    while len(urls) < pages:
        cursor = client.get(urls[-1]).json().get("next_cursor")
        if not cursor:
            break
        urls.append(f"{base}?limit=50&cursor={cursor}")
    return urls


def start_server(home: Path, database_url: str, port: int, workers: int | None) -> Popen[bytes]:
    """``hanoix serve`` as its own process, as an operator starts it (no delivery worker: no
    peer is configured, and its polling is not what is measured)."""
    command = [
        str(Path(sys.executable).parent / "hanoix"),
        "--home",
        str(home),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-worker",
    ]
    if workers is not None:
        command += ["--workers", str(workers)]
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HANOIX_DATABASE_URL": database_url,
        "HANOIX_LOG_LEVEL": "warning",  # one log line per call would be measured too
    }
    if "TMPDIR" in os.environ:
        environment["TMPDIR"] = os.environ["TMPDIR"]
    # A file, not a pipe: a pipe nobody reads while measuring would stop the server once full.
    with (home / "serve.log").open("wb") as log:
        return Popen(command, env=environment, stdout=DEVNULL, stderr=log)


def wait_until_serving(server: Popen[bytes], home: Path, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            error = (home / "serve.log").read_text(errors="replace")
            raise SystemExit(f"hanoix serve stopped ({server.returncode}): {error[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"hanoix serve did not answer {url} within {timeout:.0f} s")


def stop_server(server: Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except TimeoutExpired:
            server.kill()
            server.wait()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} cores)"


def verdict(reads: list[Figures], clients: int) -> str:
    calls = sum(f.calls for f in reads)
    seconds = sum(f.seconds for f in reads)
    latencies = sorted(latency for f in reads for latency in f.latencies)
    together = Figures("reads (lists and filters)", calls, seconds, latencies)
    met = (
        clients >= TARGET_CLIENTS
        and together.per_second >= READ_TARGET_PER_SECOND
        and together.percentile_ms(0.99) < READ_TARGET_P99_MS
    )
    target = (
        f"target {READ_TARGET_PER_SECOND}/s with p99 < {READ_TARGET_P99_MS:.0f} ms "
        f"from {TARGET_CLIENTS} clients: {'met' if met else 'missed'}"
    )
    return f"{together.line(None)}\n{target} ({clients} clients)"


def run_phases(base: str, headers: dict[str, str], clients_count: int, runs: int) -> None:
    clients = [httpx.Client(headers=headers, timeout=30) for _ in range(clients_count)]
    try:
        health = measure(
            "health (reference)",
            clients,
            runs,
            lambda client, i: client.get(base.replace("/requests", "/health")),
        )
        print(health.line(None))
        pages = _page_urls(clients[0], base, pages=41)
        reads = [
            measure("list (first page, 50)", clients, runs, lambda c, i: c.get(f"{base}?limit=50")),
            measure(
                "list (cursor pages)", clients, runs, lambda c, i: c.get(pages[i % len(pages)])
            ),
            measure(
                "filter kind+status+state",
                clients,
                runs,
                lambda c, i: c.get(
                    f"{base}?kind={KINDS[i % 3].value}&status=sent&state={STATES[i % 5]}&limit=50"
                ),
            ),
            measure(
                "filter deadline_before",
                clients,
                runs,
                lambda c, i: c.get(f"{base}?deadline_before=2026-03-15T00:00:00Z&limit=50"),
            ),
        ]
        for figures in reads:
            print(figures.line(health))
        body = document(requested_state="ZAF")
        creates = [
            measure("create (POST)", clients, runs, lambda c, i: c.post(base, json=body)),
            measure(
                "create with Idempotency-Key",
                clients,
                runs,
                lambda c, i: c.post(base, json=body, headers={"Idempotency-Key": f"k-{i}"}),
            ),
        ]
        for figures in creates:
            print(figures.line(health))
        print(verdict(reads, clients_count))
    finally:
        for client in clients:
            client.close()


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: give a whole number of 1 or more")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=positive, default=100_000, help="requests to seed")
    parser.add_argument("--runs", type=positive, default=150, help="calls per client per line")
    parser.add_argument("--clients", type=positive, default=TARGET_CLIENTS, help="at once")
    parser.add_argument(
        "--workers", type=positive, default=None, help="hanoix serve --workers (its default)"
    )
    args = parser.parse_args()
    configure_logging("warning")

    database = f"hanoix_bench_{os.getpid()}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    home = Path(tempfile.mkdtemp(prefix="hanoix-bench-"))
    node = Node.open(load_settings(home, environ={}, database_url=url), clock=SystemClock())
    server: Popen[bytes] | None = None
    try:
        node.initialise()
        populate(node)
        t = time.perf_counter()
        seed(node, args.count)
        print(f"seeded {args.count} requests in {time.perf_counter() - t:.1f} s (PostgreSQL)")
        with node.unit_of_work() as session:
            headers = {
                "Authorization": "Bearer "
                + auth.issue_token(session, node.clock, auth.user_id(session, "drafter"), "bench")
            }
        node.close()  # the server's connections only, while measuring
        port = _free_port()
        server = start_server(home, url, port, args.workers)
        wait_until_serving(server, home, f"http://127.0.0.1:{port}/api/v1/health")
        workers = "its default" if args.workers is None else str(args.workers)
        print(
            f"hanoix serve (workers: {workers}), {args.clients} clients, "
            f"{args.runs} calls each per line"
        )
        print(f"load average before: {load_average()}")
        run_phases(f"http://127.0.0.1:{port}/api/v1/requests", headers, args.clients, args.runs)
        print(f"load average after:  {load_average()}")
    finally:
        if server is not None:
            stop_server(server)
        node.close()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
