"""The node's metrics move with what happens to it, and one envelope can be followed across
both nodes' logs; a peer whose clock drifts is noticed, logged and counted."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from hanoix import logs as hanoix_logs
from hanoix.clock import FixedClock
from hanoix.errors import RetryLaterError
from hanoix.logs import configure_logging
from hanoix.requests import Action
from hanoix.services import auth
from hanoix.services.monitoring import PeerClock, peer_clocks
from hanoix.services.node import Node
from hanoix.store.monitoring import failure_reason
from tests.federation.builders import Network, Router, make_network, worker_for
from tests.services.federation_world import send
from tests.services.requests_world import outgoing, populate, step


@contextmanager
def info_logs() -> Iterator[list[dict[str, Any]]]:
    """The events logged at info and above meanwhile, whatever level an earlier test of this
    process configured (a level of warning would drop the info events before capture)."""
    level, as_json = hanoix_logs._chosen
    configure_logging("info", as_json)
    try:
        with capture_logs() as captured:
            yield captured
    finally:
        name = {number: name for name, number in hanoix_logs._LEVELS.items()}[level]
        configure_logging(name, as_json)


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(node: Node) -> Samples:
    """Every sample of the node's exposition, by name and labels."""
    text = node.metrics.exposition().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def net(tmp_path: Path, db_url: str) -> Iterator[Network]:
    """Two nodes: ``a`` on the database under test, ``b`` on SQLite."""
    network = make_network(tmp_path, ["a", "b"], db_urls={"a": db_url})
    yield network
    network.close()


def test_requests_and_deadlines_are_counted_by_kind_and_status(
    node: Node, clock: FixedClock
) -> None:
    populate(node)
    before = scrape(node)
    assert value(before, "hanoix_database_up") == 1
    assert value(before, "hanoix_requests", kind="mla", side="requesting", status="draft") == 0
    request = outgoing(node, "draft")
    outgoing(node, "draft")
    middle = scrape(node)
    assert value(middle, "hanoix_requests", kind="mla", side="requesting", status="draft") == 2
    assert value(middle, "hanoix_ledger_entries") > value(before, "hanoix_ledger_entries")
    step(node, "editor", request, Action.SUBMIT)
    after = scrape(node)
    assert value(after, "hanoix_requests", kind="mla", side="requesting", status="draft") == 1
    assert (
        value(after, "hanoix_requests", kind="mla", side="requesting", status="awaiting_approval")
        == 1
    )


def test_a_failed_sign_in_and_a_locked_account_are_counted(node: Node) -> None:
    populate(node)
    credentials = node.credentials
    for _ in range(credentials.policy.lockout_after):
        credentials.record_failure("drafter", "192.0.2.1", _user_id(node, "drafter"))
    samples = scrape(node)
    assert value(samples, "hanoix_login_failures_total") == credentials.policy.lockout_after
    assert value(samples, "hanoix_accounts_locked") == 1
    with pytest.raises(RetryLaterError):
        credentials.check_throttle("drafter", "192.0.2.1")
    throttled = scrape(node)
    assert value(throttled, "hanoix_login_throttled_total", scope="account") == 1


def _user_id(node: Node, username: str) -> int:
    with node.reading() as session:
        return auth.user_id(session, username)


def test_the_outbox_and_inbox_move_as_an_envelope_is_queued_delivered_and_seen(
    net: Network,
) -> None:
    a, b = net["a"], net["b"]
    envelope = send(net, "a", "b", urgent=True)
    send(net, "a", "b")
    a.clock.advance(timedelta(minutes=20))
    queued = scrape(a.node)
    assert value(queued, "hanoix_outbox_pending", peer=b.origin) == 2
    assert value(queued, "hanoix_outbox_oldest_pending_seconds", peer=b.origin) == 20 * 60
    with info_logs() as logs:
        worker_for(a, Router(net)).drain()
    delivered = scrape(a.node)
    assert value(delivered, "hanoix_outbox_pending", peer=b.origin) == 0
    assert value(delivered, "hanoix_outbox_oldest_pending_seconds", peer=b.origin) == 0
    assert value(delivered, "hanoix_outbox_last_delivery_timestamp_seconds", peer=b.origin) == (
        a.clock.now().timestamp()
    )
    b.clock.advance(timedelta(minutes=16))
    received = scrape(b.node)
    assert value(received, "hanoix_inbox_unacknowledged", urgency="urgent") == 1
    assert value(received, "hanoix_inbox_unacknowledged", urgency="routine") == 1
    assert value(received, "hanoix_inbox_oldest_unacknowledged_seconds", urgency="urgent") == (
        16 * 60
    )
    # One envelope, followed across the two States' logs by its identifier.
    sent = [e for e in logs if e["event"] == "federation.delivered" and e["envelope"] == envelope]
    taken = [
        e for e in logs if e["event"] == "federation.urgent_received" and e["envelope"] == envelope
    ]
    assert len(sent) == 1 and sent[0]["to"] == b.origin
    assert len(taken) == 1 and taken[0]["sender"] == a.origin
    routine = [e for e in logs if e["event"] == "federation.received"]
    assert len(routine) == 1 and routine[0]["envelope"] != envelope


def test_failed_deliveries_are_counted_by_peer_and_reason(net: Network) -> None:
    a, b = net["a"], net["b"]
    router = Router(net)
    router.faults.append(lambda request: httpx.Response(500, text="internal error"))
    send(net, "a", "b")
    worker_for(a, router).drain()
    samples = scrape(a.node)
    assert value(samples, "hanoix_delivery_failures_total", peer=b.origin, reason="http_500") == 1
    assert value(samples, "hanoix_outbox_failing", peer=b.origin, reason="http_500") == 1
    assert value(samples, "hanoix_outbox_retrying", peer=b.origin) == 1


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("the peer answered 400 (bad_signature): no key k1", "bad_signature"),
        ("the peer answered 503", "http_503"),
        ("the peer's receipt does not verify: wrong key", "bad_receipt"),
        ("ConnectError: connection refused", "unreachable"),
        ("the peer answered 400 (a b c): odd", "http_400"),
    ],
)
def test_a_delivery_error_is_labelled_by_a_short_reason(error: str, reason: str) -> None:
    assert failure_reason(error) == reason


def test_a_peer_whose_clock_runs_ahead_is_noticed_by_both_sides(net: Network) -> None:
    a, b = net["a"], net["b"]
    b.clock.advance(timedelta(minutes=3))  # b's clock is 180 s ahead; the tolerance is 120 s
    with info_logs() as logs:
        send(net, "b", "a")
        worker_for(b, Router(net)).drain()  # a reads b's envelope time
        send(net, "a", "b")
        worker_for(a, Router(net)).drain()  # a reads b's receipt time; b reads a's
    drifts = [e for e in logs if e["event"] == "federation.clock_drift"]
    assert {(e["peer"], e["direction"], e["seen"]) for e in drifts} == {
        (b.origin, "ahead", "envelope"),
        (b.origin, "ahead", "receipt"),
        (a.origin, "behind", "receipt"),
    }
    [seen_by_a] = peer_clocks(a.node)
    assert seen_by_a.peer == b.origin and seen_by_a.drift == "ahead"
    assert seen_by_a.offset == pytest.approx(180)
    [seen_by_b] = peer_clocks(b.node)
    assert seen_by_b.peer == a.origin and seen_by_b.drift == "behind"
    assert seen_by_b.offset == pytest.approx(-180)
    samples = scrape(a.node)
    assert value(samples, "hanoix_peer_clock_drift", peer=b.origin) == 1
    assert value(samples, "hanoix_peer_clock_offset_seconds", peer=b.origin) == pytest.approx(180)


def test_clocks_within_the_tolerance_are_not_reported(net: Network) -> None:
    a, b = net["a"], net["b"]
    b.clock.advance(timedelta(seconds=60))
    with info_logs() as logs:
        send(net, "b", "a")
        worker_for(b, Router(net)).drain()
    assert not [e for e in logs if e["event"] == "federation.clock_drift"]
    [clock] = peer_clocks(a.node)
    assert clock.drift is None and clock.offset == pytest.approx(60)
    assert value(scrape(a.node), "hanoix_peer_clock_drift", peer=b.origin) == 0


def test_bounds_that_include_zero_say_no_drift() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert PeerClock("p", -3600.0, 30.0, now, 120.0).drift is None
    assert PeerClock("p", None, -121.0, now, 120.0).drift == "behind"
    assert PeerClock("p", 121.0, None, now, 120.0).drift == "ahead"


_MULTIPROCESS = """
import os, sys
from pathlib import Path
from hanoix.config import load_settings
from hanoix.services.node import Node

node = Node.open(load_settings(Path(sys.argv[1]), environ={}))
node.initialise()
child = os.fork()
if child == 0:  # another process of the same node on this machine
    node.metrics.login_failures.inc()
    node.metrics.delivery_failures.labels("b.test", "unreachable").inc(2)
    os._exit(0)
os.waitpid(child, 0)
node.metrics.login_failures.inc()
sys.stdout.write(node.metrics.exposition().decode())
"""


def test_under_multiprocess_mode_the_counters_of_every_process_are_added_up(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "metrics"
    shared.mkdir()
    environ = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    done = subprocess.run(
        [sys.executable, "-c", _MULTIPROCESS, str(tmp_path / "home")],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(done.stdout)
        for s in family.samples
    }
    assert value(samples, "hanoix_login_failures_total") == 2
    assert (
        value(samples, "hanoix_delivery_failures_total", peer="b.test", reason="unreachable") == 2
    )
    assert value(samples, "hanoix_database_up") == 1  # the database's figures are there too


def test_a_checkpoint_no_witness_cosigned_is_timed_until_one_does(net: Network) -> None:
    a, b = net["a"], net["b"]
    send(net, "a", "b")
    worker_for(a, Router(net)).drain()  # delivering, a has b witness its checkpoint
    first = scrape(a.node)
    assert value(first, "hanoix_witness_cosigned_size", witness=b.origin) > 0
    assert value(first, "hanoix_witness_uncosigned_seconds", witness=b.origin) == 0
    populate(a.node)
    outgoing(a.node, "draft")  # the ledger grows, and a signs a new checkpoint of it
    a.node.custody_ledger.checkpoint()
    a.clock.advance(timedelta(hours=25))
    waiting = scrape(a.node)
    assert value(waiting, "hanoix_ledger_checkpoint_size") > value(
        waiting, "hanoix_witness_cosigned_size", witness=b.origin
    )
    assert value(waiting, "hanoix_witness_uncosigned_seconds", witness=b.origin) == 25 * 3600
    b.clock.advance(timedelta(hours=25))  # the two nodes' clocks agree again
    send(net, "a", "b")
    worker_for(a, Router(net)).drain()
    assert value(scrape(a.node), "hanoix_witness_uncosigned_seconds", witness=b.origin) == 0
