"""Benchmark (not a test): the requests API on PostgreSQL, through HTTP on loopback.

Seeds ``--count`` requests (default 100,000) into a fresh PostgreSQL database, serves the node
with uvicorn on 127.0.0.1, and measures with one HTTP client:

* list: ``GET /api/v1/requests?limit=50`` (first pages and pages deep into the cursor chain);
* filter: the same with ``kind``, ``status``, ``state`` and ``deadline_before``;
* create: ``POST /api/v1/requests`` (validation, reference counter, ledger append, commit).

Prints throughput (requests per second, sequential) and p50/p99 latencies. Usage::

    .venv/bin/python -m benchmarks.requests_api --count 10000
    HANOIX_BENCH_PG=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m ...

The seeded requests are inserted in bulk through the store (their creation is not what is
measured); the timed creations go through the whole API.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn
from sqlalchemy import insert, text

from hanoix.api.app import create_app
from hanoix.clock import SystemClock
from hanoix.config import load_settings
from hanoix.convention import RequestKind
from hanoix.logs import configure_logging
from hanoix.requests import Channel, NewRequest, Party, RequestTerms, draft_request
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
    """Insert ``count`` drafted requests of AUT-CA in bulk (documents and list columns)."""
    author = user(node, "drafter")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    contents = {k: complete_contents(k) for k in KINDS}
    batch: list[dict[str, Any]] = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        requested = STATES[i % len(STATES)]
        at = start + timedelta(minutes=i)
        spec = NewRequest(
            kind=kind,
            requesting=Party("AUT", "AUT-CA", "Europe/Vienna"),
            requested=Party(requested, f"{requested}-CA", "UTC"),
            channel=Channel.CENTRAL_AUTHORITY,
            terms=RequestTerms(
                language="en",
                proceeding=f"case {i}",
                contents=contents[kind],
                legal_basis_other="bilateral treaty",
            ),
        )
        request = draft_request(
            spec, author=author, at=at, new_id=lambda: str(uuid.uuid4()), sequence=i + 1
        ).request
        status = ["draft", "sent", "received", "executed"][i % 4]
        columns = store.row_values(request, at + timedelta(days=60) if i % 7 == 0 else None)
        columns["status"] = status
        batch.append({"id": request.id, **columns})
        if len(batch) == 2000:
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
    with node.unit_of_work() as session:
        session.execute(insert(store.RequestRow), rows)


def measure(name: str, runs: int, call: Callable[[int], httpx.Response]) -> None:
    latencies = []
    began = time.perf_counter()
    for i in range(runs):
        t = time.perf_counter()
        response = call(i)
        latencies.append(time.perf_counter() - t)
        if response.status_code >= 400:
            raise SystemExit(f"{name}: {response.status_code} {response.text[:300]}")
    total = time.perf_counter() - began
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(f"{name:<28} {runs / total:8.1f} req/s   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="requests to seed")
    parser.add_argument("--runs", type=int, default=300, help="calls per measurement")
    args = parser.parse_args()
    configure_logging("warning")  # one log line per call would drown the figures

    database = f"hanoix_bench_{os.getpid()}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    home = Path(tempfile.mkdtemp(prefix="hanoix-bench-"))
    node = Node.open(load_settings(home, environ={}, database_url=url), clock=SystemClock())
    server: uvicorn.Server | None = None
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
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(node), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}/api/v1/requests"
        with httpx.Client(headers=headers, timeout=30) as client:
            measure("list (first page, 50)", args.runs, lambda i: client.get(f"{base}?limit=50"))
            pages = _page_urls(client, base, pages=41)
            measure(
                "list (cursor pages)",
                args.runs,
                lambda i: client.get(pages[i % len(pages)]),
            )
            measure(
                "filter kind+status+state",
                args.runs,
                lambda i: client.get(
                    f"{base}?kind={KINDS[i % 3].value}&status=sent&state={STATES[i % 5]}&limit=50"
                ),
            )
            measure(
                "filter deadline_before",
                args.runs,
                lambda i: client.get(f"{base}?deadline_before=2026-03-15T00:00:00Z&limit=50"),
            )
            body = document(requested_state="ZAF")
            measure("create (POST)", args.runs, lambda i: client.post(base, json=body))
            measure(
                "create with Idempotency-Key",
                args.runs,
                lambda i: client.post(base, json=body, headers={"Idempotency-Key": f"k-{i}"}),
            )
    finally:
        if server is not None:
            server.should_exit = True
            time.sleep(0.5)
        node.close()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
