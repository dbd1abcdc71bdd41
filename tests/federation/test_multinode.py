"""Real node processes on loopback: delivery, the HTTP edge, mutual TLS, and SIGKILL faults."""

from __future__ import annotations

import json
import random
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hanoix.federation.client import PeerClient
from hanoix.federation.directory import revoke_key
from hanoix.federation.errors import DeliveryError, FederationConfigError
from hanoix.ledger.events import EventKind
from hanoix.services import custody
from hanoix.services.federation import Message
from hanoix.store import federation as store
from hanoix.store.meta import get_meta
from tests.federation.builders import settled, write_package
from tests.federation.multinode import Cluster, NodeProcess, start_cluster, wait_until

pytestmark = pytest.mark.slow


def enqueue(
    sender: NodeProcess,
    recipient: NodeProcess,
    type: str,
    payload: dict[str, object],
    **kwargs: object,
) -> str:
    with sender.node.unit_of_work() as session:
        sealed = sender.federation.enqueue(
            session,
            Message(recipient.origin, type, payload, **kwargs),  # type: ignore[arg-type]
        )
    return sealed.header.id


def statuses(member: NodeProcess) -> dict[str, str]:
    with member.node.unit_of_work() as session:
        return {i.envelope_id: i.status for i in store.list_outbox(session, limit=100_000)}


def received(member: NodeProcess) -> list[store.InboxItem]:
    with member.node.unit_of_work() as session:
        return store.list_inbox(session, None, pending_only=False, limit=100_000)


def delivered(member: NodeProcess, ids: list[str]) -> bool:
    found = statuses(member)
    return all(found.get(i) == store.DELIVERED for i in ids)


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[Cluster]:
    cluster = start_cluster(tmp_path, ["aut", "vnm", "bra"])
    try:
        yield cluster
    finally:
        cluster.stop()


def test_three_nodes_deliver_answer_and_refuse_bad_envelopes_over_http(trio: Cluster) -> None:
    aut, vnm, bra = trio["aut"], trio["vnm"], trio["bra"]
    to_vnm = enqueue(aut, vnm, "federation.notice", {"text": "preserve account X"}, urgent=True)
    to_bra = enqueue(aut, bra, "federation.notice", {"text": "for information"})
    assert wait_until(lambda: delivered(aut, [to_vnm, to_bra]), 20), aut.log_tail()
    answer = enqueue(vnm, aut, "federation.notice", {"text": "preserved"}, in_reply_to=to_vnm)
    assert wait_until(lambda: delivered(vnm, [answer]), 20), vnm.log_tail()
    (reply,) = received(aut)
    assert reply.in_reply_to == to_vnm and reply.sender == vnm.origin
    assert [m.urgent for m in received(vnm)] == [True]

    url = f"http://127.0.0.1:{vnm.port}/federation/v1/envelopes"
    garbage = httpx.post(url, content=b"\x00\x01 not an envelope")
    assert garbage.status_code == 400 and garbage.json()["reason"] == "malformed"
    huge = httpx.post(url, content=b"x" * (1024 * 1024 + 10))
    assert huge.status_code == 413 and huge.json()["reason"] == "too-large"

    # A captured envelope sent again: no second effect, the original receipt comes back.
    with aut.node.unit_of_work() as session:
        data = store.get_outbox(session, to_vnm).envelope  # type: ignore[union-attr]
    again = httpx.post(url, content=data)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert len(received(vnm)) == 1

    # Revoke bra's signing key: vnm refuses what bra signs, and says why.
    bra_key = bra.federation.identity().generations[0].signing.public.key_id
    assert trio.directory is not None
    trio.publish(revoke_key(trio.directory, bra.origin, bra_key, bra.node.clock.now(), "lost"))
    # bra could still have an envelope sealed before it learnt of the revocation:
    from hanoix.federation.envelope import EnvelopeHeader, new_envelope_id, seal_envelope

    now = bra.node.clock.now()
    from datetime import timedelta

    sealed = seal_envelope(
        EnvelopeHeader(
            new_envelope_id(),
            bra.origin,
            vnm.origin,
            "federation.ping",
            now,
            now + timedelta(hours=1),
        ),
        {},
        signer=bra.federation.identity().generations[0].signing,
        recipient_key=vnm.federation.identity().generations[0].decryption.public,
    )
    refused = httpx.post(url, content=sealed.data)
    assert refused.status_code == 403 and refused.json()["reason"] == "revoked-key"
    # None of these was from an authenticated sender: counted, and the ledger holds none.
    rejected = [
        json.loads(e.entry)
        for e in custody.CustodyLedger(vnm.node).entries()
        if json.loads(e.entry)["kind"] == EventKind.ENVELOPE_REJECTED.value
    ]
    assert rejected == []
    counted = {(r.sender, r.reason) for r in vnm.federation.refusals()}
    assert counted >= {
        ("(unknown)", "malformed"),
        (aut.origin, "replay"),
        (bra.origin, "revoked-key"),
    }


def served_tls(member: NodeProcess) -> dict[str, Any]:
    """The ``tls`` member of the entry the running node serves at /federation/v1/identity."""
    client = PeerClient(f"http://127.0.0.1:{member.port}")
    try:
        answer = client.get_identity()
    finally:
        client.close()
    assert answer.status == 200, answer.body[:300]
    tls: dict[str, Any] = json.loads(answer.body)["tls"]
    return tls


def test_a_tls_certificate_rotates_while_the_nodes_run(tmp_path: Path) -> None:
    cluster = start_cluster(tmp_path, ["aut", "vnm"], tls=True)
    try:
        aut, vnm = cluster["aut"], cluster["vnm"]
        assert cluster.directory is not None
        old = vnm.federation.identity().tls.fingerprint

        def both_ways(text: str) -> None:
            there = enqueue(aut, vnm, "federation.notice", {"text": text})
            back = enqueue(vnm, aut, "federation.notice", {"text": text})
            assert wait_until(lambda: delivered(aut, [there]), 30), aut.log_tail()
            assert wait_until(lambda: delivered(vnm, [back]), 30), vnm.log_tail()

        both_ways("before")
        rotation = vnm.federation.rotate_tls()
        assert vnm.federation.identity().tls.fingerprint == old  # not before peers know it
        # The running node's entry offers the next certificate at once (no restart).
        assert served_tls(vnm)["next"]["sha256"] == rotation["tls_next_sha256"]
        # The authority lists Viet Nam's next certificate beside the one in use; on importing
        # that directory Viet Nam's node presents the new one, and Austria's accepts both.
        cluster.publish(cluster.directory.with_node(settled(vnm.federation.own_entry())))
        assert vnm.federation.identity().tls.fingerprint == rotation["tls_next_sha256"] != old
        both_ways("during")
        assert served_tls(vnm)["sha256"] == rotation["tls_next_sha256"]
        assert "next" not in served_tls(vnm)
        # The next directory lists only the new certificate: the running nodes go on.
        entry = settled(vnm.federation.own_entry())
        assert entry.tls_pins == (rotation["tls_next_sha256"],)
        cluster.publish(cluster.directory.with_node(entry))
        both_ways("after")
        # Austria's listener no longer accepts the old certificate... (nothing presents it)
        # ...and a second rotation waits for the first: one next certificate at a time.
        vnm.federation.rotate_tls()
        with pytest.raises(FederationConfigError, match="under way"):
            vnm.federation.rotate_tls()
    finally:
        cluster.stop()


def test_mutual_tls_pinned_through_the_directory(tmp_path: Path) -> None:
    cluster = start_cluster(tmp_path, ["aut", "vnm"], tls=True)
    try:
        aut, vnm = cluster["aut"], cluster["vnm"]
        sent = enqueue(aut, vnm, "federation.notice", {"text": "over TLS"})
        assert wait_until(lambda: delivered(aut, [sent]), 30), aut.log_tail()
        assert [m.envelope_id for m in received(vnm)] == [sent]
        assert vnm.tls_port is not None
        base = f"https://127.0.0.1:{vnm.tls_port}"
        identity = aut.federation.identity()
        vnm_cert = vnm.federation.identity().tls.certificate_pem
        pinned = PeerClient(
            base,
            tls=identity.tls,
            peer_certificate=vnm_cert,
            pins={vnm.federation.identity().tls.fingerprint},
        )
        assert pinned.get_checkpoint(0, aut.origin).status == 200
        pinned.close()
        # Another certificate pinned for that address: refused before any request is sent.
        wrong = PeerClient(
            base,
            tls=identity.tls,
            peer_certificate=identity.tls.certificate_pem,
            pins={identity.tls.fingerprint},
        )
        with pytest.raises(DeliveryError):
            wrong.get_checkpoint(0, aut.origin)
        wrong.close()
        # No client certificate: the server refuses the handshake.
        context = ssl.create_default_context(cadata=vnm_cert)
        context.check_hostname = False
        with pytest.raises(httpx.HTTPError):
            httpx.get(
                f"{base}/federation/v1/identity", verify=context, timeout=5
            ).raise_for_status()
        # Plain HTTP to a non-loopback address is never configured.
        from hanoix.errors import ConfigurationError
        from hanoix.federation.transport import check_base_url

        with pytest.raises(ConfigurationError):
            check_base_url("http://192.0.2.1:8470")
    finally:
        cluster.stop()


@pytest.mark.timeout(240)
def test_sigkill_during_200_deliveries_loses_nothing_and_applies_nothing_twice(
    tmp_path: Path,
) -> None:
    """Kill the sender or the receiver with SIGKILL at random moments while 200 messages,
    some of them evidence packages sent in chunks, are delivered; restart it; then every
    message has arrived exactly once and every package verifies."""
    cluster = start_cluster(
        tmp_path,
        ["aut", "vnm"],
        federation={
            "plugins": ["tests.federation.plugin"],
            "chunk_size": 32 * 1024,
            "concurrency": 2,
            "batch": 8,
        },
    )
    rng = random.Random(20261123)
    aut, vnm = cluster["aut"], cluster["vnm"]
    import tests.federation.plugin  # noqa: F401  (the type must be known here to enqueue it)

    ids: list[str] = []
    packages: list[str] = []
    done = threading.Event()

    def produce() -> None:
        for wave in range(20):
            for number in range(10):
                index = wave * 10 + number
                if index % 40 == 7:
                    path = write_package(tmp_path, 150_000 + index, index)
                    with aut.node.unit_of_work() as session:
                        sealed = aut.federation.send_package(session, vnm.origin, path)
                    packages.append(sealed.header.id)
                    ids.append(sealed.header.id)
                else:
                    urgent = index % 25 == 3
                    ids.append(enqueue(aut, vnm, "test.count", {"n": index}, urgent=urgent))
            time.sleep(0.25)
        done.set()

    producer = threading.Thread(target=produce)
    producer.start()
    kills = 0
    started = time.monotonic()
    try:
        # At least three kills, even when delivery keeps up with the producer and is done
        # before the third (a kill then still checks that a restart repeats nothing).
        while kills < 3 or ((not done.is_set() or not delivered(aut, ids)) and kills < 10):
            time.sleep(rng.uniform(0.3, 1.2))
            victim = rng.choice([aut, vnm])
            victim.kill()
            kills += 1
            time.sleep(rng.uniform(0.0, 0.5))
            victim.start()
            victim.wait_healthy()
        producer.join()
        assert wait_until(lambda: delivered(aut, ids), 90, 0.5), (
            f"undelivered after {time.monotonic() - started:.0f}s: "
            f"{[i for i, s in statuses(aut).items() if s != store.DELIVERED][:5]}\n{aut.log_tail()}"
        )
    finally:
        producer.join()
        cluster.stop()
    assert kills >= 3 and len(ids) == 200

    inbox = received(vnm)
    assert sorted(m.envelope_id for m in inbox) == sorted(ids)  # all arrived, none invented
    with vnm.node.unit_of_work() as session:
        counts = [get_meta(session, f"test.count.{i}") for i in ids if i not in packages]
        transfers = store.list_transfers(session, "in")
    assert counts == ["1"] * (200 - len(packages))  # each effect exactly once
    with aut.node.unit_of_work() as session:
        receipts = [store.get_receipt(session, i) for i in ids]
    assert all(r is not None for r in receipts)
    assert len(packages) == 5 and len([t for t in transfers if t.status == "verified"]) == 5
    from hanoix.evidence.verify import verify
    from hanoix.store.blobs import FileBlobStore

    blobs = FileBlobStore(vnm.settings.effective_blob_dir)
    for transfer in transfers:
        assert transfer.blob_key is not None
        with blobs.get(transfer.blob_key) as handle:
            assert verify(handle).package_id == transfer.package_id
    ledger = custody.CustodyLedger(vnm.node)
    received_events = [
        json.loads(e.entry)
        for e in ledger.entries()
        if json.loads(e.entry)["kind"] == EventKind.PACKAGE_RECEIVED.value
    ]
    assert len(received_events) == 5
    ledger.verify()
    custody.CustodyLedger(aut.node).verify()
