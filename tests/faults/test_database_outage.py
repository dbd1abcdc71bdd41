"""PostgreSQL stopped and started again under two running nodes (API server and delivery worker
in each process), on a throwaway cluster of the test's own.

While the database is away, every API call that needs it is answered with a 503 problem
document and a ``Retry-After``, never a 500 or a traceback, and the worker keeps its envelopes
for later. Once the database is back, the same processes (not restarted) carry on: every
request created exactly once under its idempotency key, every envelope delivered and applied
exactly once, both custody ledgers intact.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hanoix.store import federation as store
from hanoix.store.meta import get_meta
from tests.faults.postgres import ThrowawayPostgres, throwaway_postgres
from tests.federation.multinode import Cluster, NodeProcess, start_cluster, wait_until
from tests.federation.test_multinode import delivered, enqueue, received, statuses
from tests.services import requests_world as world

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

REQUESTS = 24
MESSAGES = 30


@pytest.fixture
def postgres() -> Iterator[ThrowawayPostgres]:
    with throwaway_postgres() as cluster:
        yield cluster


@pytest.fixture
def pair(tmp_path: Path, postgres: ThrowawayPostgres) -> Iterator[Cluster]:
    urls = {name: postgres.create_database(f"hanoix_{name}") for name in ("aut", "vnm")}
    cluster = start_cluster(
        tmp_path,
        ["aut", "vnm"],
        database_urls=urls,
        federation={"plugins": ["tests.federation.plugin"], "batch": 4},
    )
    try:
        yield cluster
    finally:
        cluster.stop()


class Drafter(threading.Thread):
    """Creates requests over HTTP, one idempotency key after the other, retrying each key
    (the same key and body) until the node answers 201 or 200, as a careful client would."""

    def __init__(self, node: NodeProcess, headers: dict[str, str], count: int) -> None:
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{node.port}/api/v1/requests"
        self.headers = headers
        self.count = count
        self.answers: list[tuple[int, str, dict[str, Any] | None, str | None]] = []
        self.created: dict[str, str] = {}  # idempotency key: request reference
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(timeout=30) as client:
                for number in range(self.count):
                    key = f"outage-{number}"
                    body = world.document(proceeding=f"{world.PROCEEDING} / {number}")
                    while key not in self.created:
                        answer = client.post(
                            self.url, json=body, headers={**self.headers, "Idempotency-Key": key}
                        )
                        kind = answer.headers.get("content-type", "")
                        parsed = answer.json() if "json" in kind else None
                        self.answers.append(
                            (answer.status_code, kind, parsed, answer.headers.get("retry-after"))
                        )
                        if answer.status_code in (200, 201):
                            assert parsed is not None
                            self.created[key] = parsed["reference"]
                        elif answer.status_code == 503:
                            time.sleep(0.2)
                        else:
                            raise AssertionError(f"{answer.status_code}: {answer.text[:300]}")
                    time.sleep(0.05)
        except BaseException as error:  # noqa: BLE001  (reported by the test)
            self.failure = error


def _events(log: str) -> list[str]:
    """The log's event lines (a traceback's frames left out), colours removed."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log)
    return [line for line in plain.splitlines() if re.match(r"^\d{4}-\d\d-\d\d", line)][-60:]


def _traceback(log: str) -> str:
    """The log's last traceback, colours removed (empty if it has none)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log)
    start = plain.rfind("Traceback")
    return plain[start:][-4000:] if start >= 0 else ""


def _enqueue_all(sender: NodeProcess, recipient: NodeProcess, start: int) -> list[str]:
    return [
        enqueue(sender, recipient, "test.count", {"n": start + n}, urgent=n % 7 == 0)
        for n in range(MESSAGES)
    ]


def test_the_nodes_ride_out_a_database_outage_without_losing_or_repeating_anything(
    pair: Cluster, postgres: ThrowawayPostgres
) -> None:
    aut, vnm = pair["aut"], pair["vnm"]
    world.add_people(aut.node, world.AUTHORITIES, world.USERS)
    drafter = Drafter(aut, world.token(aut.node, "drafter"), REQUESTS)
    before = _enqueue_all(aut, vnm, 0)
    drafter.start()
    assert wait_until(lambda: len(drafter.created) >= 4 or drafter.failure is not None, 60)

    # The database goes away (a fast shutdown: every connection is cut at once) while the
    # drafter creates requests and the worker delivers envelopes.
    aut.node.close()
    vnm.node.close()
    postgres.stop()
    outage_started = len(drafter.answers)
    time.sleep(4)
    during = drafter.answers[outage_started:]
    down = httpx.get(f"http://127.0.0.1:{aut.port}/api/v1/health", timeout=10)
    postgres.start()

    after = _enqueue_all(aut, vnm, MESSAGES)
    drafter.join(timeout=120)
    # A refusal other than 503 is a bug in the outage's error mapping: show the server's own
    # account of it (its traceback) beside the answer, so one occurrence is enough to fix it.
    assert drafter.failure is None, f"{drafter.failure}\n{_traceback(aut.log_tail(lines=400))}"
    ids = before + after
    assert wait_until(lambda: delivered(aut, ids), 90, 0.5), aut.log_tail()

    # While it was away: 503 problem documents that say so and when to retry.
    assert during, "the drafter made no call during the outage"
    refused = [a for a in drafter.answers if a[0] != 201 and a[0] != 200]
    assert refused, "no call was refused while the database was away"
    for status, kind, body, retry_after in refused:
        assert status == 503 and kind == "application/problem+json", (status, kind, body)
        assert body is not None and body["type"].endswith("/database-unavailable"), body
        assert retry_after is not None and int(retry_after) >= 1
    assert down.status_code == 200 and down.json()["database"] == "unreachable"
    for member in (aut, vnm):
        assert member.process is not None and member.process.poll() is None  # never restarted
        assert member.starts == 1
        log = member.log_tail(lines=100_000)
        assert "Traceback" not in log, "\n".join(_events(log))

    # Afterwards: every request once, under its key; every envelope applied once.
    assert len(drafter.created) == REQUESTS
    assert len(set(drafter.created.values())) == REQUESTS
    listed = httpx.get(
        f"http://127.0.0.1:{aut.port}/api/v1/requests?limit=200",
        headers=world.token(aut.node, "drafter"),
        timeout=30,
    ).json()["items"]
    assert sorted(r["reference"] for r in listed) == sorted(drafter.created.values())
    assert sorted(m.envelope_id for m in received(vnm)) == sorted(ids)
    with vnm.node.unit_of_work() as session:
        assert [get_meta(session, f"test.count.{i}") for i in ids] == ["1"] * len(ids)
    assert set(statuses(aut).values()) == {store.DELIVERED}
    from hanoix.services import custody

    custody.CustodyLedger(aut.node).verify()
    custody.CustodyLedger(vnm.node).verify()
