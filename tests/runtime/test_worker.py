"""The delivery worker: transient faults retried with backoff and jitter until delivered once,
and a loop that outlives an unavailable database."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hanoix.errors import UnavailableError
from hanoix.runtime.worker import URGENT_POLL_IN_ROUND, RetryPolicy
from hanoix.services.federation.state import WriterTurns
from hanoix.store import federation as store
from tests.federation.builders import Network, Router, make_network, worker_for
from tests.services.federation_world import inbox, outbox, send


@pytest.fixture
def net(tmp_path: Path, db_url: str) -> Iterator[Network]:
    """Two nodes: ``a`` on the database under test, ``b`` on SQLite."""
    network = make_network(tmp_path, ["a", "b"], db_urls={"a": db_url})
    yield network
    network.close()


def _fail_with(response: httpx.Response | Exception, times: int) -> object:
    left = [times]

    def fault(request: httpx.Request) -> httpx.Response | None:
        if left[0] <= 0:
            return None
        left[0] -= 1
        if isinstance(response, Exception):
            raise response
        return response

    return fault


@pytest.mark.parametrize(
    "fault",
    [
        httpx.Response(500, text="internal error"),
        httpx.Response(503, headers={"Retry-After": "30"}),
        httpx.Response(200, content=b"\x00garbage\xff"),
        httpx.Response(200, content=b"{" + b" " * (2 * 1024 * 1024) + b"}"),
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("too slow"),
    ],
    ids=["500", "503-retry-after", "garbage", "huge", "unreachable", "slow"],
)
def test_transient_faults_are_retried_with_backoff_and_delivered_once(
    net: Network, fault: httpx.Response | Exception
) -> None:
    router = Router(net)
    router.faults.append(_fail_with(fault, 2))  # type: ignore[arg-type]
    envelope_id = send(net, "a", "b")
    worker = worker_for(net["a"], router)
    a = net["a"]
    delays = []
    for _ in range(2):
        start = a.clock.now()
        worker.drain()
        item = outbox(net, "a")[envelope_id]
        assert item.status == store.PENDING and item.last_error
        delays.append((item.next_attempt_at - start).total_seconds())
        a.clock.advance(item.next_attempt_at - start)
    worker.drain()
    assert outbox(net, "a")[envelope_id].status == store.DELIVERED
    assert len(inbox(net, "b")) == 1
    base = worker.policy.base
    if isinstance(fault, httpx.Response) and fault.status_code == 503:
        assert delays == [30.0, 30.0]
    else:
        assert base * 0.5 <= delays[0] <= base
        assert base <= delays[1] <= 2 * base


def test_the_worker_loop_waits_out_an_unavailable_database_then_delivers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The database fails each of the loop's first calls (the look for due envelopes before
    # a claim, and the idle wait that follows), as a stopped PostgreSQL server does; the loop
    # must not die of it.
    # tests/faults/test_database_outage.py does it for real with a stopped server.
    network = make_network(tmp_path, ["a", "b"], settings={"poll_interval": 0.05})
    try:
        failures = {"due_now": 3, "next_due": 3}

        def failing(name: str) -> object:
            real = getattr(store, name)

            def call(*args: object, **kwargs: object) -> object:
                if failures[name] > 0:
                    failures[name] -= 1
                    raise UnavailableError("the node's database is unavailable (test)")
                return real(*args, **kwargs)

            return call

        for name in failures:
            monkeypatch.setattr(store, name, failing(name))
        worker = worker_for(network["a"], Router(network))
        stop = threading.Event()
        loop = threading.Thread(target=worker.run, args=(stop,), daemon=True)
        loop.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(failures.values()):
            time.sleep(0.05)  # the loop meets the outage while the outbox is still empty...
        envelope_id = send(network, "a", "b")  # ...and delivers what comes once it is over
        while time.monotonic() < deadline and outbox(network, "a")[envelope_id].status != (
            store.DELIVERED
        ):
            time.sleep(0.05)
        alive = loop.is_alive()
        stop.set()
        network["a"].node.federation_state.outbox_signal.set()
        loop.join(timeout=10)
        assert alive, "the worker's loop ended when the database was unavailable"
        assert outbox(network, "a")[envelope_id].status == store.DELIVERED
        assert failures == {"due_now": 0, "next_due": 0}
        assert len(inbox(network, "b")) == 1
    finally:
        network.close()


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    policy = RetryPolicy(base=2.0, cap=60.0, jitter=0.5)
    rng = random.Random(3)
    for attempt, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (5, 32.0), (6, 60.0), (40, 60.0)]:
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(ceiling * 0.5 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling * 0.3  # really jittered
    assert RetryPolicy(jitter=0.0).delay(3, rng) == 8.0


def test_the_urgent_lane_takes_only_urgent_envelopes(net: Network) -> None:
    ordinary = [send(net, "a", "b", text=f"routine {n}") for n in range(3)]
    urgent = send(net, "a", "b", text="now", urgent=True)
    worker = worker_for(net["a"], Router(net))
    assert worker.run_urgent_once() == 1
    items = outbox(net, "a")
    assert items[urgent].status == store.DELIVERED
    assert [items[envelope].status for envelope in ordinary] == [store.PENDING] * 3
    assert worker.run_urgent_once() == 0
    assert worker.run_once() == 3


def test_only_an_urgent_envelope_queued_wakes_the_urgent_lane(net: Network) -> None:
    signal = net["a"].node.federation_state.urgent_signal
    signal.clear()
    send(net, "a", "b", text="routine")
    assert not signal.is_set()
    send(net, "a", "b", text="now", urgent=True)
    assert signal.is_set()


def test_the_urgent_lane_looks_often_only_while_a_round_is_in_flight(net: Network) -> None:
    router = Router(net)
    worker = worker_for(net["a"], router)
    waits_in_flight: list[float] = []

    def during_the_round(request: httpx.Request) -> httpx.Response | None:
        waits_in_flight.append(worker._urgent_wait())
        return None

    router.faults.append(during_the_round)
    send(net, "a", "b", text="routine")
    idle = worker._urgent_wait()
    assert worker.run_once() == 1
    assert idle == worker.settings.poll_interval > URGENT_POLL_IN_ROUND
    assert waits_in_flight and set(waits_in_flight) == {URGENT_POLL_IN_ROUND}
    assert worker._urgent_wait() == worker.settings.poll_interval


@pytest.mark.parametrize("concurrency", [1, 2])
def test_an_urgent_envelope_claimed_with_a_round_is_recorded_before_the_round_ends(
    net: Network, concurrency: int
) -> None:
    router = Router(net)
    worker = worker_for(net["a"], router)
    worker.settings = worker.settings.model_copy(update={"concurrency": concurrency})
    ordinary = [send(net, "a", "b", text=f"routine {n}") for n in range(4)]
    urgent = send(net, "a", "b", text="now", urgent=True)
    seen_by_the_round: list[str] = []

    def ordinary_request(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/envelopes/batch"):
            # The round's request waits (boundedly) for the urgent one to be recorded.
            for _ in range(500):
                if outbox(net, "a")[urgent].status == store.DELIVERED:
                    break
                time.sleep(0.01)
            seen_by_the_round.append(outbox(net, "a")[urgent].status)
        return None

    router.faults.append(ordinary_request)
    assert worker.run_once() == 5
    assert seen_by_the_round and set(seen_by_the_round) == {store.DELIVERED}
    items = outbox(net, "a")
    assert [items[envelope].status for envelope in [*ordinary, urgent]] == [store.DELIVERED] * 5
    assert len(inbox(net, "b")) == 5


def test_an_urgent_writer_waiting_takes_the_turn_before_ordinary_ones() -> None:
    turns = WriterTurns()
    order: list[str] = []
    waiting = threading.Semaphore(0)

    def writer(name: str, urgent: bool) -> None:
        waiting.release()
        with turns.turn(urgent=urgent):
            order.append(name)

    with turns.turn(urgent=False):
        threads = []
        for name, urgent in (("ordinary", False), ("urgent", True)):
            thread = threading.Thread(target=writer, args=(name, urgent))
            thread.start()
            threads.append(thread)
            waiting.acquire()
        while turns.waiting < 2:  # both are blocked on the turn held here
            time.sleep(0.001)
    for thread in threads:
        thread.join(timeout=10)
    assert order == ["urgent", "ordinary"]


def test_a_checkpoint_exchange_does_not_hold_up_the_deliveries_after_it(tmp_path: Path) -> None:
    network = make_network(tmp_path, ["a", "b"], settings={"poll_interval": 0.05})
    router = Router(network)
    asked, release = threading.Event(), threading.Event()

    def slow_checkpoint(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/checkpoint"):
            asked.set()
            release.wait(timeout=30)
        return None

    router.faults.append(slow_checkpoint)
    worker = worker_for(network["a"], router)
    stop = threading.Event()
    loop = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    try:
        loop.start()
        send(network, "a", "b", text="first contact")
        assert asked.wait(timeout=30)  # the first delivery starts an exchange of checkpoints...
        second = send(network, "a", "b", text="the next one")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and outbox(network, "a")[second].status != (
            store.DELIVERED
        ):
            time.sleep(0.05)
        # ...which is still waiting for the peer when the next envelope is delivered.
        assert not release.is_set()
        assert outbox(network, "a")[second].status == store.DELIVERED
    finally:
        release.set()
        stop.set()
        network["a"].node.federation_state.outbox_signal.set()
        loop.join(timeout=10)
        worker.close()
        network.close()


def test_a_fault_in_the_checkpoint_exchange_does_not_send_the_delivered_envelope_again(
    net: Network,
) -> None:
    # The exchange follows a delivery whose receipt is already in hand. A fault there that
    # is no delivery error (a database conflict with another worker of the node, a bug) must
    # leave the envelope delivered, not send it a second time.
    router = Router(net)

    def broken_checkpoint(request: httpx.Request) -> httpx.Response | None:
        if request.method == "GET" and request.url.path.endswith("/checkpoint"):
            raise RuntimeError("the checkpoint exchange broke")
        return None

    router.faults.append(broken_checkpoint)
    # Two envelopes to one peer go in one request (the batched path), a third alone.
    batched = [send(net, "a", "b", f"sent in a round {n}") for n in range(2)]
    worker = worker_for(net["a"], router)
    assert worker.drain() == 2
    for envelope_id in batched:
        item = outbox(net, "a")[envelope_id]
        assert (item.status, item.attempts) == (store.DELIVERED, 1)
    alone = send(net, "a", "b", "sent alone")
    assert worker.deliver(outbox(net, "a")[alone]).kind == "delivered"
    assert outbox(net, "a")[alone].attempts == 1
    received = {m.envelope_id: m.duplicates for m in inbox(net, "b")}
    assert received == dict.fromkeys([*batched, alone], 0)


def test_the_urgent_lane_sends_an_urgent_envelope_while_the_one_before_is_in_flight(
    tmp_path: Path, db_url: str
) -> None:
    net = make_network(tmp_path, ["a", "b"], db_urls={"a": db_url}, settings={"concurrency": 2})
    router = Router(net)
    worker = worker_for(net["a"], router)
    first_sent, second_sent = threading.Event(), threading.Event()
    overlapped: list[bool] = []

    def hold_the_first(request: httpx.Request) -> httpx.Response | None:
        if not request.url.path.endswith("/envelopes"):
            return None  # the checkpoint exchange that follows a delivery
        if not first_sent.is_set():
            first_sent.set()
            # The first request waits (boundedly) for the second to leave: a lane that waits
            # for each request to come back sends the second only after this times out.
            overlapped.append(second_sent.wait(timeout=10))
        else:
            second_sent.set()
        return None

    router.faults.append(hold_the_first)
    stop = threading.Event()
    lane = threading.Thread(target=worker._urgent_lane, args=(stop,), daemon=True)
    lane.start()
    try:
        first = send(net, "a", "b", text="now", urgent=True)
        assert first_sent.wait(timeout=10)
        second = send(net, "a", "b", text="now too", urgent=True)
        deadline = time.monotonic() + 20
        items = outbox(net, "a")
        while time.monotonic() < deadline and {items[first].status, items[second].status} != {
            store.DELIVERED
        }:
            time.sleep(0.02)
            items = outbox(net, "a")
    finally:
        stop.set()
        net["a"].node.federation_state.urgent_signal.set()
        lane.join(timeout=20)
        worker.close()
        net.close()
    assert overlapped == [True]
    assert items[first].status == items[second].status == store.DELIVERED
    assert len(inbox(net, "b")) == 2


def _claimed(net: Network) -> int:
    """Envelopes of node ``a`` claimed by a round and not recorded yet."""
    row = store.OutboxRow
    with net["a"].node.unit_of_work() as session:
        return len(
            session.scalars(
                select(row.seq).where(row.status == store.PENDING, row.lease_until.is_not(None))
            ).all()
        )


def test_the_running_lane_claims_the_next_round_while_one_is_on_its_way(net: Network) -> None:
    router = Router(net)
    worker = worker_for(net["a"], router)
    worker.settings = worker.settings.model_copy(update={"batch": 2, "concurrency": 2})
    ids = [send(net, "a", "b", text=f"routine {n}") for n in range(6)]
    claimed_while_first_out: list[int] = []
    first = threading.Event()

    def hold_the_first_round(request: httpx.Request) -> httpx.Response | None:
        if not first.is_set():
            first.set()
            # Held (boundedly) until a second round of two is claimed behind this one.
            for _ in range(500):
                if _claimed(net) >= 4:
                    break
                time.sleep(0.01)
            claimed_while_first_out.append(_claimed(net))
        return None

    router.faults.append(hold_the_first_round)
    stop = threading.Event()
    lane = threading.Thread(target=worker.run, args=(stop,))
    lane.start()
    try:
        for _ in range(1000):
            if all(item.status == store.DELIVERED for item in outbox(net, "a").values()):
                break
            time.sleep(0.01)
    finally:
        stop.set()
        lane.join(timeout=30)
    assert claimed_while_first_out and claimed_while_first_out[0] >= 4
    items = outbox(net, "a")
    assert [items[i].status for i in ids] == [store.DELIVERED] * 6
    assert [items[i].attempts for i in ids] == [1] * 6
    assert sorted(m.envelope_id for m in inbox(net, "b")) == sorted(ids)


def test_a_lane_told_to_stop_records_what_is_on_its_way_first(net: Network) -> None:
    router = Router(net)
    worker = worker_for(net["a"], router)
    worker.settings = worker.settings.model_copy(update={"batch": 2, "concurrency": 2})
    ids = [send(net, "a", "b", text=f"routine {n}") for n in range(4)]
    stop = threading.Event()

    def answer_once_stopped(request: httpx.Request) -> httpx.Response | None:
        stop.wait(timeout=10)
        return None

    router.faults.append(answer_once_stopped)
    lane = threading.Thread(target=worker.run, args=(stop,))
    lane.start()
    for _ in range(500):
        if _claimed(net) == 4:
            break
        time.sleep(0.01)
    stop.set()
    lane.join(timeout=30)
    assert not lane.is_alive()
    # Both rounds (the second was on its way when the lane saw it should stop) recorded,
    # not left leased until their lease ends.
    items = outbox(net, "a")
    assert [items[i].status for i in ids] == [store.DELIVERED] * 4
