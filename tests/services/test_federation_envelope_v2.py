"""Nodes sealing ``hanoix-envelope/2`` (``envelope_version = 2``): delivered in signed batches
with the same guarantees as version 1 (exactly-once effect, receipts, repeats, refusals), side
by side with version 1 from older senders, and never sent to a peer that cannot read them."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hanoix.federation.batch import batch_digests, sign_batch
from hanoix.federation.envelope import BATCHED_FORMAT, ENVELOPE_FORMAT, read_envelope
from hanoix.federation.errors import EnvelopeRejectedError, Reason
from hanoix.federation.receipts import BATCH_RECEIPT_FORMAT
from hanoix.services.federation.messages import InboundResult
from hanoix.store import federation as store
from tests.federation.builders import Network, Router, make_network, worker_for, write_package
from tests.services.federation_world import inbox, outbox, send


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    network = make_network(tmp_path, ["a", "b", "c"], settings={"envelope_version": 2})
    yield network
    network.close()


def _seal_version(net: Network, name: str, version: int) -> None:
    federation = net[name].federation
    federation.settings = federation.settings.model_copy(update={"envelope_version": version})


def _format(net: Network, name: str, envelope_id: str) -> str:
    return str(json.loads(outbox(net, name)[envelope_id].envelope)["format"])


def _signed(net: Network, sender: str, envelopes: list[bytes], recipient: str = "b") -> Any:
    member = net[sender]
    assert net.directory is not None
    signer = member.federation.identity().signing_key(net.directory, member.clock.now())
    return sign_batch(
        batch_digests(envelopes),
        sender=member.origin,
        recipient=net[recipient].origin,
        signer=signer,
    )


def _queued(net: Network, count: int, sender: str = "a") -> list[bytes]:
    ids = [send(net, sender, "b", f"message {n}") for n in range(count)]
    items = outbox(net, sender)
    return [items[i].envelope for i in ids]


def test_messages_are_sealed_as_version_2_and_delivered_once_with_batch_receipts(
    net: Network,
) -> None:
    ids = [send(net, "a", "b", f"message {n}") for n in range(5)]
    assert {_format(net, "a", i) for i in ids} == {BATCHED_FORMAT}
    router = Router(net)
    worker_for(net["a"], router).drain()
    items = outbox(net, "a")
    assert all(items[i].status == store.DELIVERED for i in ids)
    received = {item.envelope_id: item for item in inbox(net, "b")}
    assert sorted(json.loads(received[i].payload)["text"] for i in ids) == [
        f"message {n}" for n in range(5)
    ]
    with net["a"].node.unit_of_work() as session:
        formats = {json.loads(store.get_receipt(session, i).receipt)["format"] for i in ids}  # type: ignore[union-attr]
    assert formats == {BATCH_RECEIPT_FORMAT}
    # Each request carried one batch signature, over its envelopes.
    assert ("POST", "/federation/v1/envelopes/batch") in router.calls


def test_a_repeated_batch_has_no_second_effect_and_gets_the_first_receipts(
    net: Network,
) -> None:
    data = _queued(net, 3)
    b = net["b"].federation
    first = b.process_inbound_batch(data, batch_receipts=True, signed_batch=_signed(net, "a", data))
    again = b.process_inbound_batch(data, batch_receipts=True, signed_batch=_signed(net, "a", data))
    for one, two in zip(first, again, strict=True):
        assert isinstance(one, InboundResult) and not one.duplicate
        assert isinstance(two, InboundResult) and two.duplicate
        assert two.receipt == one.receipt
    assert len(inbox(net, "b")) == 3


def test_a_node_still_takes_version_1_from_an_older_sender_even_in_one_request(
    net: Network,
) -> None:
    _seal_version(net, "a", 1)
    older = send(net, "a", "b", "from an older sender")
    _seal_version(net, "a", 2)
    newer = send(net, "a", "b", "from this release")
    assert _format(net, "a", older) == ENVELOPE_FORMAT
    assert _format(net, "a", newer) == BATCHED_FORMAT
    # Alone, as an older sender sends it: no batch member at all.
    data = outbox(net, "a")[older].envelope
    (alone,) = net["b"].federation.process_inbound_batch([data], batch_receipts=True)
    assert isinstance(alone, InboundResult) and not alone.duplicate
    # And mixed with version 2 in one signed request, by the worker.
    worker_for(net["a"], Router(net)).drain()
    assert outbox(net, "a")[newer].status == store.DELIVERED
    assert {item.envelope_id for item in inbox(net, "b")} == {older, newer}


def test_without_a_valid_batch_signature_version_2_is_refused_and_version_1_taken(
    net: Network,
) -> None:
    data = _queued(net, 2)
    _seal_version(net, "a", 1)
    (v1,) = _queued(net, 1)
    b = net["b"].federation
    assert [
        r.reason for r in b.process_inbound_batch(data) if isinstance(r, EnvelopeRejectedError)
    ] == [Reason.MALFORMED] * 2
    forged = {**_signed(net, "a", [*data, v1]), "signature": base64.b64encode(bytes(64)).decode()}
    results = b.process_inbound_batch([*data, v1], signed_batch=forged)
    assert [getattr(r, "reason", None) for r in results[:2]] == [Reason.BAD_SIGNATURE] * 2
    assert isinstance(results[2], InboundResult)
    # Signed by a node of the directory, but not the one the envelopes name as sender.
    by_c = _signed(net, "c", data)
    assert [
        getattr(r, "reason", None) for r in b.process_inbound_batch(data, signed_batch=by_c)
    ] == [Reason.BAD_SIGNATURE] * 2
    assert [item.envelope_id for item in inbox(net, "b")] == [read_envelope(v1).header.id]


def test_a_refused_batch_signature_is_counted_not_appended_to_the_ledger(net: Network) -> None:
    data = _queued(net, 1)
    forged = {**_signed(net, "a", data), "key_id": "0" * 16}
    (result,) = net["b"].federation.process_inbound_batch(data, signed_batch=forged)
    assert isinstance(result, EnvelopeRejectedError) and result.reason is Reason.UNKNOWN_KEY
    counted = {(r.sender, r.reason) for r in net["b"].federation.refusals()}
    assert (net["a"].origin, Reason.UNKNOWN_KEY.value) in counted


def test_version_2_is_never_sent_to_a_peer_without_batches(net: Network) -> None:
    envelope_id = send(net, "a", "b")
    router = Router(net)

    def no_batches(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/envelopes/batch"):
            return httpx.Response(404)
        return None

    router.faults.append(no_batches)
    worker_for(net["a"], router).drain()
    item = outbox(net, "a")[envelope_id]
    assert item.status == store.FAILED
    assert "envelope_version = 1" in (item.last_error or "")
    assert ("POST", "/federation/v1/envelopes") not in router.calls
    assert inbox(net, "b") == []


def test_an_evidence_announcement_stays_version_1(net: Network, tmp_path: Path) -> None:
    package = write_package(tmp_path, 4096, seed=3)
    with net["a"].node.unit_of_work() as session:
        sealed = net["a"].federation.send_package(session, net["b"].origin, package)
    assert read_envelope(sealed.data).version == 1
