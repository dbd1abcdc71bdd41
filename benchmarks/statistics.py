"""Benchmark (not a test): a statistics report over 100,000 requests on PostgreSQL.

Seeds ``--count`` requests (default 100,000) of one State into a fresh PostgreSQL database,
in bulk, each with its steps (sent or received, acknowledged, then executed, partly executed,
refused or withdrawn, or still pending; a fifth are preservations, some followed up) and a
document of about 2 KB, as real requests carry; then makes the report ``--runs`` times (the
aggregate queries, the tables with their suppression, the signature) and prints each time and
the median, against the target of issue 17: under 2 s. Usage::

    .venv/bin/python -m benchmarks.statistics --count 100000 --runs 3
    HANOIX_BENCH_PG=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m ...

The machine may be shared: the load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics as stats
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert, text

from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.logs import configure_logging
from hanoix.requests.localtime import period_end
from hanoix.services import statistics
from hanoix.services.node import Node
from hanoix.store.auth import AuthorityRow
from hanoix.store.requests import RequestRow, RequestStepRow

ADMIN_URL = os.environ.get("HANOIX_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
TARGET_SECONDS = 2.0
STATES = ("VNM", "ZAF", "BRA", "KEN", "NGA", "IND", "PHL", "CHL", "GHA", "THA")
KINDS = ("mla", "mla", "stored-data-access", "traffic-disclosure", "preservation")
START = datetime(2026, 1, 1, tzinfo=UTC)
FILLER = "facts of the case " * 100  # ~1.8 KB of contents per request


def _steps(i: int, side: str, opened: datetime) -> list[tuple[str, datetime, dict[str, str]]]:
    hour = timedelta(hours=1)
    steps = [("send" if side == "requesting" else "register", opened, {})]
    fate = i % 10
    if fate == 9:
        return steps  # pending, not even acknowledged
    steps.append(("acknowledge", opened + (1 + i % 48) * hour, {}))
    if fate < 5:
        steps.append(("execute", opened + (24 + i % 700) * hour, {}))
    elif fate == 5:
        steps.append(("execute_partially", opened + (48 + i % 500) * hour, {}))
    elif fate == 6:
        steps.append(("refuse", opened + (72 + i % 300) * hour, {"grounds": "sovereignty"}))
    elif fate == 7:
        steps.append(("withdraw", opened + (5 + i % 100) * hour, {}))
    return steps


def seed(node: Node, count: int) -> None:
    with node.unit_of_work() as session:
        for code, kind in (("AUT-CA", "central-authority"), ("AUT-247", "contact-24-7")):
            session.add(
                AuthorityRow(code=code, name=code, kind=kind, state="AUT", created_at=START)
            )
    requests: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    for i in range(count):
        side = "requesting" if i % 2 else "requested"
        other = STATES[i % len(STATES)]
        kind = KINDS[i % len(KINDS)]
        opened = START + timedelta(minutes=5 * i)
        reference = f"AUT-2026-{i + 1:06d}"
        preservation = None
        if kind == "preservation" and i % 10 != 9:
            preservation = {
                "starts_on": (opened + timedelta(days=1)).date().isoformat(),
                "zone": "Europe/Vienna",
                "days": 90,
                "extensions": [],
            }
        follows_up = f"AUT-2026-{i - 1:06d}" if kind == "mla" and i % 5 == 0 and i else None
        requests.append(
            {
                "id": f"r{i}",
                "reference": reference,
                "kind": kind,
                "side": side,
                "local_state": "AUT",
                "requesting_state": "AUT" if side == "requesting" else other,
                "requested_state": other if side == "requesting" else "AUT",
                "status": "sent",
                "handled_by": "AUT-247" if kind == "preservation" else "AUT-CA",
                "restricted": False,
                "urgent": False,
                "next_deadline": None,
                "preservation_ends": (
                    period_end(opened.date() + timedelta(days=1), 90, "Europe/Vienna")
                    if preservation
                    else None
                ),
                "follows_up": follows_up,
                "created_at": opened - timedelta(hours=1),
                "updated_at": opened,
                "version": 1,
                "document": {
                    "contents": {"summary_of_facts": FILLER},
                    "preservation": preservation,
                },
            }
        )
        for seq, (action, at, details) in enumerate(_steps(i, side, opened), start=1):
            steps.append(
                {
                    "request_id": f"r{i}",
                    "seq": seq,
                    "action": action,
                    "from_status": None,
                    "to_status": "sent",
                    "side": side,
                    "actor": "bench",
                    "authority": "AUT-CA",
                    "at": at,
                    "ledger_index": 0,
                    "event": {"details": details},
                }
            )
        if len(requests) >= 5000:
            _flush(node, requests, steps)
            requests, steps = [], []
    if requests:
        _flush(node, requests, steps)
    with node.engine.connect() as connection:
        connection.execute(text("ANALYZE requests"))
        connection.execute(text("ANALYZE request_steps"))
        connection.commit()


def _flush(node: Node, requests: list[dict[str, Any]], steps: list[dict[str, Any]]) -> None:
    with node.unit_of_work() as session:
        session.execute(insert(RequestRow.__table__), requests)
        session.execute(insert(RequestStepRow.__table__), steps)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=positive, default=100_000, help="requests to seed")
    parser.add_argument("--runs", type=positive, default=3, help="reports to make")
    parser.add_argument(
        "--keep", action="store_true", help="keep the seeded database (its name is printed)"
    )
    parser.add_argument(
        "--database", default=None, help="a database --keep left: measure it without seeding"
    )
    args = parser.parse_args()
    configure_logging("warning")
    database = args.database or f"hanoix_bench_statistics_{os.getpid()}"
    if args.database is None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    home = Path(tempfile.mkdtemp(prefix="hanoix-bench-statistics-"))
    clock = FixedClock(datetime(2027, 1, 15, tzinfo=UTC))
    settings = load_settings(home, environ={}, database_url=url, state="AUT")
    node = Node.open(settings, clock=clock)
    try:
        node.initialise()
        if args.database is None:
            t = time.perf_counter()
            seed(node, args.count)
            print(f"seeded {args.count} requests in {time.perf_counter() - t:.1f} s (PostgreSQL)")
        last = (START + timedelta(minutes=5 * args.count)).date()
        options = statistics.Options(start=date(2026, 1, 1), end=max(last, date(2026, 1, 1)))
        if (options.end - options.start).days >= 2 * 366:
            options = statistics.Options(start=options.start, end=date(2027, 12, 31))
        print(f"load average before: {load_average()}")
        times = []
        for run in range(args.runs):
            t = time.perf_counter()
            body, signed = statistics.signed_report(node, options)
            times.append(time.perf_counter() - t)
            total = sum(tab["total"] for tab in body["tables"][:2] if isinstance(tab["total"], int))
            print(f"run {run + 1}: {times[-1]:.3f} s ({total} requests, {len(signed)} bytes)")
        median = stats.median(times)
        verdict = "meets" if median < TARGET_SECONDS else "MISSES"
        print(f"median {median:.3f} s over {args.runs} runs: {verdict} the target (< 2 s)")
        print(f"load average after:  {load_average()}")
    finally:
        node.close()
        if args.keep or args.database:
            print(f"kept the database {database}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
