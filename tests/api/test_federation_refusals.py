"""Envelopes refused from senders nobody authenticated, and repeats, are counted per sender and
reason in a bounded table, never appended to the custody ledger; refusals of what a known node
signed reach the ledger once per envelope and reason. Read by administrators and auditors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.federation.errors import EnvelopeRejectedError, Reason
from hanoix.ledger.events import EventKind
from hanoix.services import auth, custody
from hanoix.services.federation import Message
from hanoix.store import federation as store
from tests.federation.builders import Network, make_network
from tests.services.requests_world import add_people, token


@pytest.fixture
def net(tmp_path: Path, db_url: str) -> Iterator[Network]:
    """Two nodes: ``b``, which receives, on the database under test."""
    network = make_network(tmp_path, ["a", "b"], db_urls={"b": db_url})
    yield network
    network.close()


@pytest.fixture
def client(net: Network) -> Iterator[TestClient]:
    with TestClient(create_app(net["b"].node)) as c:
        yield c


def _ledger_size(net: Network) -> int:
    return len(list(custody.CustodyLedger(net["b"].node).entries()))


def _sealed(net: Network, text: str = "hello") -> bytes:
    a = net["a"]
    with a.node.unit_of_work() as session:
        sealed = a.federation.enqueue(
            session, Message(net["b"].origin, "federation.notice", {"text": text})
        )
    return sealed.data


def _bearer(net: Network, username: str, roles: set[str], authority: str | None) -> dict[str, str]:
    node = net["b"].node
    with node.unit_of_work() as session:
        known = {a.code for a in auth.list_authorities(session)}
    new = (
        [] if authority is None or authority in known else [(authority, "central-authority", "VNM")]
    )
    add_people(node, new, {username: (roles, authority)})
    return token(node, username)


def test_two_hundred_garbage_posts_grow_the_ledger_by_nothing_and_count_200_in_one_row(
    net: Network, client: TestClient
) -> None:
    before = _ledger_size(net)
    for n in range(200):
        answer = client.post("/federation/v1/envelopes", content=b"garbage %d" % n)
        assert answer.status_code == 400 and answer.json()["reason"] == "malformed"
    assert _ledger_size(net) == before
    [row] = net["b"].federation.refusals()
    assert (row.sender, row.reason, row.count) == (store.UNKNOWN_SENDER, "malformed", 200)
    assert row.first_seen <= row.last_seen


def test_forged_sender_names_share_one_row_so_the_table_stays_bounded(
    net: Network, client: TestClient
) -> None:
    data = json.loads(_sealed(net))
    before = _ledger_size(net)
    for n in range(20):
        forged = {**data, "sender": f"forger-{n}.example"}
        answer = client.post("/federation/v1/envelopes", content=json.dumps(forged).encode())
        assert answer.status_code == 403 and answer.json()["reason"] == "unknown-sender"
    assert _ledger_size(net) == before
    rows = [(r.sender, r.reason, r.count) for r in net["b"].federation.refusals()]
    assert rows == [(store.UNKNOWN_SENDER, "unknown-sender", 20)]


def test_a_replayed_envelope_is_counted_under_its_listed_sender_not_logged(
    net: Network, client: TestClient
) -> None:
    data = _sealed(net)
    assert client.post("/federation/v1/envelopes", content=data).status_code == 200
    before = _ledger_size(net)
    for _ in range(5):
        again = client.post("/federation/v1/envelopes", content=data)
        assert again.status_code == 200 and again.json()["duplicate"] is True
    assert _ledger_size(net) == before
    [row] = net["b"].federation.refusals()
    assert (row.sender, row.reason, row.count) == (net["a"].origin, "replay", 5)


def test_a_known_nodes_refused_envelope_reaches_the_ledger_once(net: Network) -> None:
    data = _sealed(net)
    b = net["b"]
    b.clock.advance(timedelta(days=31))  # past any envelope's lifetime: expired
    before = _ledger_size(net)
    for _ in range(3):
        with pytest.raises(EnvelopeRejectedError) as refused:
            b.federation.process_inbound(data)
        assert refused.value.reason is Reason.EXPIRED
    entries = list(custody.CustodyLedger(b.node).entries())[before:]
    kinds = [json.loads(e.entry)["kind"] for e in entries]
    assert kinds == [EventKind.ENVELOPE_REJECTED.value]
    [row] = b.federation.refusals()
    assert (row.sender, row.reason, row.count) == (net["a"].origin, "expired", 2)


def test_administrators_and_auditors_read_the_counts_others_may_not(
    net: Network, client: TestClient
) -> None:
    client.post("/federation/v1/envelopes", content=b"garbage")
    admin = _bearer(net, "root", {"administrator"}, None)
    auditor = _bearer(net, "audit", {"auditor"}, "VNM-CA")
    drafter = _bearer(net, "clerk", {"drafter"}, "VNM-CA")
    for headers in (admin, auditor):
        answer = client.get("/api/v1/federation/refusals", headers=headers)
        assert answer.status_code == 200, answer.text
        assert [(r["sender"], r["reason"], r["count"]) for r in answer.json()] == [
            (store.UNKNOWN_SENDER, "malformed", 1)
        ]
    assert client.get("/api/v1/federation/refusals", headers=drafter).status_code == 403
    assert client.get("/api/v1/federation/refusals").status_code == 401
