"""Federation use cases on both databases: outbox atomicity, exactly-once effect, receipts,
replays, revoked and rotated keys, skew, order, transfers, witnessing (the worker's retries:
tests/runtime/test_worker.py)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from hanoix.errors import InputError
from hanoix.evidence import crypto
from hanoix.evidence.keys import KeyKind
from hanoix.federation.directory import revoke_key
from hanoix.federation.envelope import OpenedEnvelope, read_envelope
from hanoix.federation.errors import EnvelopeRejectedError, Reason, UnknownPeerError
from hanoix.federation.receipts import (
    BATCH_RECEIPT_FORMAT,
    RECEIPT_FORMAT,
    Receipt,
    parse_receipt,
    verify_receipt,
)
from hanoix.ledger.events import EventKind
from hanoix.services import custody
from hanoix.services.federation import PING, Message, registry, transfers
from hanoix.services.federation.messages import InboundResult
from hanoix.services.federation.staging import StagedFiles
from hanoix.store import federation as store
from hanoix.store.meta import NodeMeta, get_meta, set_meta
from tests.federation.builders import (
    Network,
    Router,
    make_network,
    settled,
    worker_for,
    write_package,
)
from tests.services.federation_world import inbox, outbox, send


@pytest.fixture
def net(tmp_path: Path, db_url: str) -> Iterator[Network]:
    """Two nodes: ``a`` on the database under test, ``b`` on SQLite."""
    network = make_network(tmp_path, ["a", "b"], db_urls={"a": db_url})
    yield network
    network.close()


def events(net: Network, name: str, kind: EventKind) -> list[dict[str, object]]:
    found = []
    for entry in custody.CustodyLedger(net[name].node).entries():
        data = json.loads(entry.entry)
        if data["kind"] == kind.value:
            found.append(data)
    return found


# --- the outbox commits with the change that caused it -----------------------------------------


def test_a_message_is_queued_only_if_the_callers_transaction_commits(net: Network) -> None:
    a = net["a"]

    class BoomError(Exception):
        pass

    with pytest.raises(BoomError), a.node.unit_of_work() as session:
        set_meta(session, "case.state", "sent")
        a.federation.enqueue(session, Message(net["b"].origin, "federation.ping"))
        raise BoomError
    with a.node.unit_of_work() as session:
        assert get_meta(session, "case.state") is None
    assert outbox(net, "a") == {}
    envelope_id = send(net, "a", "b")
    assert list(outbox(net, "a")) == [envelope_id]


def test_many_messages_queued_at_once_keep_their_order_and_are_delivered_as_one_by_one(
    net: Network,
) -> None:
    a, b = net["a"], net["b"]
    first = send(net, "a", "b", "before")
    with a.node.unit_of_work() as session:
        # One queued alone in the same transaction goes before the many queued after it.
        alone = a.federation.enqueue(session, Message(b.origin, "federation.notice", {"text": "0"}))
        many = a.federation.enqueue_many(
            session,
            [
                Message(b.origin, "federation.notice", {"text": str(n)}, urgent=n == 2)
                for n in range(1, 4)
            ],
        )
    ids = [first, alone.header.id] + [sealed.header.id for sealed in many]
    with a.node.unit_of_work() as session:
        rows = session.scalars(select(store.OutboxRow).order_by(store.OutboxRow.seq)).all()
    assert [row.envelope_id for row in rows] == ids
    by_id = {row.envelope_id: row for row in rows}
    for sealed in many:
        row = by_id[sealed.header.id]
        assert (row.envelope, row.digest, row.status, row.attempts) == (
            sealed.data,
            sealed.digest,
            store.PENDING,
            0,
        )
        assert row.urgent is sealed.header.urgent
        assert row.priority == (store.PRIORITY_URGENT if row.urgent else store.PRIORITY_NORMAL)
        assert row.next_attempt_at == row.created_at
    assert worker_for(a, Router(net)).drain() >= 1
    assert all(item.status == store.DELIVERED for item in outbox(net, "a").values())
    texts = sorted(json.loads(item.payload)["text"] for item in inbox(net, "b"))
    assert texts == ["0", "1", "2", "3", "before"]


def test_many_messages_are_queued_all_or_none(net: Network) -> None:
    a, b = net["a"], net["b"]
    with a.node.unit_of_work() as session:
        with pytest.raises(UnknownPeerError, match="lists no node"):
            a.federation.enqueue_many(
                session,
                [
                    Message(b.origin, "federation.ping"),
                    Message("nowhere.example", "federation.ping"),
                ],
            )
        assert a.federation.enqueue_many(session, []) == []
    assert outbox(net, "a") == {}


def test_delivery_takes_effect_once_and_keeps_a_verified_receipt(net: Network) -> None:
    router = Router(net)
    envelope_id = send(net, "a", "b", "please preserve", urgent=True)
    assert worker_for(net["a"], router).drain() == 1
    item = outbox(net, "a")[envelope_id]
    assert item.status == store.DELIVERED and item.attempts == 1
    with net["a"].node.unit_of_work() as session:
        kept = store.get_receipt(session, envelope_id)
    assert kept is not None and kept.digest == item.digest
    received = inbox(net, "b")
    assert [(m.envelope_id, m.urgent) for m in received] == [(envelope_id, True)]
    assert json.loads(received[0].payload) == {"text": "please preserve"}
    assert json.loads(kept.receipt) == json.loads(received[0].receipt)


def test_a_repeated_envelope_has_no_second_effect_and_gets_the_same_receipt(net: Network) -> None:
    envelope_id = send(net, "a", "b")
    data = outbox(net, "a")[envelope_id].envelope
    b = net["b"].federation
    first = b.process_inbound(data)
    second = b.process_inbound(data)
    assert not first.duplicate and second.duplicate
    assert first.receipt == second.receipt
    assert len(inbox(net, "b")) == 1 and inbox(net, "b")[0].duplicates == 1
    # Anyone who saw the bytes can send them again: counted, not appended to the ledger.
    assert events(net, "b", EventKind.ENVELOPE_REJECTED) == []
    [counted] = net["b"].federation.refusals()
    assert (counted.sender, counted.reason, counted.count) == (net["a"].origin, "replay", 1)


def test_a_seen_id_with_other_content_is_rejected_as_a_replay(net: Network) -> None:
    first = send(net, "a", "b", "one")
    second = send(net, "a", "b", "two")
    items = outbox(net, "a")
    b = net["b"].federation
    b.process_inbound(items[first].envelope)
    # Re-seal the second message under the first one's id: validly signed, but a replay.
    a = net["a"]
    from hanoix.federation.envelope import read_envelope, seal_envelope

    header = replace(read_envelope(items[second].envelope).header, id=first)
    with a.node.unit_of_work() as session:
        directory = a.federation.require_directory(session)
    forged = seal_envelope(
        header,
        {"text": "two"},
        signer=a.federation.identity().signing_key(directory, a.clock.now()),
        recipient_key=b.identity().generations[0].decryption.public,
    ).data
    with pytest.raises(EnvelopeRejectedError) as caught:
        b.process_inbound(forged)
    assert caught.value.reason is Reason.REPLAY
    assert len(inbox(net, "b")) == 1


# --- keys: revocation and rotation ------------------------------------------------------------


def test_a_revoked_sender_key_is_refused_recorded_and_not_retried(net: Network) -> None:
    router = Router(net)
    envelope_id = send(net, "a", "b")
    a_key = net["a"].federation.identity().generations[0].signing.public.key_id
    assert net.directory is not None
    net.publish(revoke_key(net.directory, net["a"].origin, a_key, net["a"].clock.now(), "stolen"))
    worker_for(net["a"], router).drain()
    item = outbox(net, "a")[envelope_id]
    assert item.status == store.FAILED and "revoked" in (item.last_error or "")
    assert inbox(net, "b") == []
    # Refused before the sender is authenticated: counted under the listed sender, not logged.
    assert events(net, "b", EventKind.ENVELOPE_REJECTED) == []
    counted = {(r.sender, r.reason) for r in net["b"].federation.refusals()}
    assert (net["a"].origin, "revoked-key") in counted
    # Nor can it send anything new: none of its signing keys is usable.
    with pytest.raises(InputError), net["a"].node.unit_of_work() as session:
        net["a"].federation.enqueue(session, Message(net["b"].origin, "federation.ping"))


def test_no_message_is_sealed_to_a_peer_whose_encryption_key_is_revoked(net: Network) -> None:
    b_key = net["b"].federation.identity().generations[0].decryption.public.key_id
    assert net.directory is not None
    net.publish(revoke_key(net.directory, net["b"].origin, b_key, net["a"].clock.now()))
    with pytest.raises(UnknownPeerError, match="no usable encryption key"):
        send(net, "a", "b")


def test_rotated_keys_are_used_once_listed_and_old_envelopes_still_open(net: Network) -> None:
    router = Router(net)
    before = send(net, "a", "b", "before")
    for name in ("a", "b"):
        net[name].federation.rotate_keys()
    # Not yet in the directory: the old generation still signs and receives.
    pending = send(net, "a", "b", "pending")
    net.publish()  # now lists both generations of both nodes
    after = send(net, "a", "b", "after")
    worker_for(net["a"], router).drain()
    items = outbox(net, "a")
    assert all(items[i].status == store.DELIVERED for i in (before, pending, after))
    from hanoix.federation.envelope import read_envelope

    newest_a = net["a"].federation.identity().generations[-1].signing.public.key_id
    newest_b = net["b"].federation.identity().generations[-1].decryption.public.key_id
    fields = json.loads(items[after].envelope)
    assert (fields["sender_key"], fields["recipient_key"]) == (newest_a, newest_b)
    assert read_envelope(items[before].envelope).sender_key != newest_a


# --- time ---------------------------------------------------------------------------------


def test_a_sender_clock_ahead_beyond_the_skew_is_retried_until_the_receiver_catches_up(
    net: Network,
) -> None:
    router = Router(net)
    net["a"].clock.advance(timedelta(minutes=10))
    envelope_id = send(net, "a", "b")
    worker_for(net["a"], router).drain()
    item = outbox(net, "a")[envelope_id]
    assert item.status == store.PENDING and "future-dated" in (item.last_error or "")
    net["b"].clock.advance(timedelta(minutes=10))
    net["a"].clock.advance(timedelta(hours=1))
    worker_for(net["a"], router).drain()
    assert outbox(net, "a")[envelope_id].status == store.DELIVERED


def test_an_envelope_that_expires_in_the_queue_is_failed_not_sent(net: Network) -> None:
    router = Router(net)
    envelope_id = send(net, "a", "b", ttl=timedelta(minutes=1))
    net["a"].clock.advance(timedelta(minutes=2))
    worker_for(net["a"], router).drain()
    item = outbox(net, "a")[envelope_id]
    assert item.status == store.FAILED and "expired" in (item.last_error or "")
    assert router.calls == []


# --- order and handlers ----------------------------------------------------------------------


def test_urgent_messages_go_before_everything_queued(net: Network) -> None:
    router = Router(net)
    ordinary = [send(net, "a", "b", f"n{i}") for i in range(5)]
    urgent = send(net, "a", "b", "preserve now", urgent=True)
    with net["a"].node.unit_of_work() as session:
        first = store.claim_due(session, net["a"].clock.now(), net["a"].clock.now(), 1)
    assert [i.envelope_id for i in first] == [urgent]
    worker_for(net["a"], router).drain()
    view = [m.envelope_id for m in _view(net, "b")]
    assert view[0] == urgent and sorted(view[1:]) == sorted(ordinary)


def _view(net: Network, name: str) -> list[object]:
    with net[name].node.unit_of_work() as session:
        return store.list_inbox(session, None)  # type: ignore[return-value]


def test_an_unknown_type_and_a_refusing_handler_are_rejected_permanently(net: Network) -> None:
    router = Router(net)

    def refuse(node: object, session: object, envelope: object) -> None:
        raise InputError("the request reference is unknown here")

    registry.register("test.refused", refuse)
    try:
        a = net["a"]
        with a.node.unit_of_work() as session:
            refused = a.federation.enqueue(
                session, Message(net["b"].origin, "test.refused", {})
            ).header.id
            unknown = a.federation.enqueue(
                session, Message(net["b"].origin, "test.nobody-handles", {})
            ).header.id
        worker_for(a, router).drain()
    finally:
        registry.unregister("test.refused")
    items = outbox(net, "a")
    assert items[refused].status == store.FAILED and "bad-payload" in (
        items[refused].last_error or ""
    )
    assert items[unknown].status == store.FAILED and "unknown-type" in (
        items[unknown].last_error or ""
    )
    assert inbox(net, "b") == []


def test_a_handler_effect_and_the_inbox_row_commit_together(net: Network) -> None:
    calls = []

    def effect(node: object, session: object, envelope: object) -> None:
        from sqlalchemy.orm import Session

        assert isinstance(session, Session)
        session.add(NodeMeta(key="effect", value="done"))
        calls.append(1)
        raise RuntimeError("crash after the effect, before commit")

    registry.register("test.crash", effect)
    try:
        a = net["a"]
        with a.node.unit_of_work() as session:
            data = a.federation.enqueue(session, Message(net["b"].origin, "test.crash", {})).data
        with pytest.raises(RuntimeError):
            net["b"].federation.process_inbound(data)
    finally:
        registry.unregister("test.crash")
    with net["b"].node.unit_of_work() as session:
        assert session.scalar(select(NodeMeta).where(NodeMeta.key == "effect")) is None
    assert inbox(net, "b") == [] and calls == [1]


# --- evidence transfers -------------------------------------------------------------------------


def test_a_transfer_broken_at_90_percent_resumes_at_90_percent(
    net: Network, tmp_path: Path
) -> None:
    router = Router(net)
    package = write_package(tmp_path, 200_000, 21)
    size = package.stat().st_size
    puts: list[int] = []

    def break_late(request: httpx.Request) -> httpx.Response | None:
        if request.method == "PUT":
            offset = int(request.url.params["offset"])
            puts.append(offset)
            if offset >= size * 0.9 and len([p for p in puts if p == offset]) == 1:
                raise httpx.RemoteProtocolError("connection lost")
        return None

    router.faults.append(break_late)
    a = net["a"]
    with a.node.unit_of_work() as session:
        envelope_id = a.federation.send_package(session, net["b"].origin, package).header.id
    worker = worker_for(a, router)
    # Ten chunks (the smallest chunk size the settings allow is 1 KiB).
    worker.settings = worker.settings.model_copy(update={"chunk_size": size // 10 + 1})
    worker.drain()
    assert outbox(net, "a")[envelope_id].status == store.PENDING
    a.clock.advance(timedelta(minutes=1))
    worker.drain()
    assert outbox(net, "a")[envelope_id].status == store.DELIVERED
    broken = next(p for p in puts if p >= size * 0.9)
    assert puts.count(broken) == 2  # resent once, from where it broke
    assert all(puts.count(p) == 1 for p in puts if p != broken)
    assert len(events(net, "b", EventKind.PACKAGE_RECEIVED)) == 1
    assert len(events(net, "a", EventKind.PACKAGE_SENT)) == 1
    with net["b"].node.unit_of_work() as session:
        (transfer,) = store.list_transfers(session, "in")
    assert transfer.status == "verified" and transfer.blob_key is not None


def test_a_corrupted_package_is_not_acknowledged(net: Network, tmp_path: Path) -> None:
    router = Router(net)
    package = write_package(tmp_path, 20_000, 22)

    def corrupt(request: httpx.Request) -> httpx.Response | None:
        if request.method == "PUT":
            body = bytearray(request.read())
            body[len(body) // 2] ^= 0xFF
            request.stream = httpx.ByteStream(bytes(body))  # type: ignore[assignment]
            request._content = bytes(body)
        return None

    router.faults.append(corrupt)
    a = net["a"]
    with a.node.unit_of_work() as session:
        envelope_id = a.federation.send_package(session, net["b"].origin, package).header.id
    worker_for(a, router).drain()
    item = outbox(net, "a")[envelope_id]
    assert item.status == store.FAILED and "package-not-verified" in (item.last_error or "")
    assert events(net, "b", EventKind.PACKAGE_RECEIVED) == []
    assert events(net, "a", EventKind.PACKAGE_SENT) == []


def _send_in_chunks(net: Network, tmp_path: Path, before: Callable[[httpx.Request], None]) -> str:
    """Send a package from a to b in ten chunks, calling ``before`` with each request."""
    router = Router(net)
    package = write_package(tmp_path, 200_000, 23)

    def call_before(request: httpx.Request) -> httpx.Response | None:
        before(request)
        return None

    router.faults.append(call_before)
    with net["a"].node.unit_of_work() as session:
        envelope_id = net["a"].federation.send_package(session, net["b"].origin, package).header.id
    worker = worker_for(net["a"], router)
    chunk_size = package.stat().st_size // 10 + 1
    worker.settings = worker.settings.model_copy(update={"chunk_size": chunk_size})
    worker.drain()
    return envelope_id


def test_a_package_is_verified_from_the_hashes_taken_as_it_arrived(
    net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole_chunks_read: list[int] = []
    receiving: list[bool] = []
    real_leaf_hasher = crypto.leaf_hasher
    real_verify = transfers.verify_package

    def counting_leaf_hasher(max_threads: int = 1) -> object:
        # verify hashes a chunk read from the file on every core (max_threads=-1).
        if receiving and max_threads == -1:
            whole_chunks_read.append(1)
        return real_leaf_hasher(max_threads)

    def receiver_verify(*args: Any, **kwargs: Any) -> Any:
        receiving.append(True)
        try:
            return real_verify(*args, **kwargs)
        finally:
            receiving.clear()

    monkeypatch.setattr(crypto, "leaf_hasher", counting_leaf_hasher)
    monkeypatch.setattr(transfers, "verify_package", receiver_verify)
    envelope_id = _send_in_chunks(net, tmp_path, lambda request: None)
    assert outbox(net, "a")[envelope_id].status == store.DELIVERED
    assert len(events(net, "b", EventKind.PACKAGE_RECEIVED)) == 1
    # Only the last chunk, shorter than the spans hashed as they arrived, is read again.
    assert whole_chunks_read == [1]


def test_a_receiver_restarted_before_the_package_hashes_what_it_holds_again(
    net: Network, tmp_path: Path
) -> None:
    b = net["b"]
    chunks: list[httpx.Request] = []
    restarted: list[bool] = []

    def restart_and_rot_after_the_chunks(request: httpx.Request) -> None:
        if request.method == "PUT":
            chunks.append(request)
        elif chunks and not restarted:
            restarted.append(True)
            # What this process knew is lost; a byte of a chunk already received rots.
            b.node.federation_state.staged = StagedFiles()
            (staged,) = (b.node.settings.home / "federation" / "incoming").glob("*.part")
            with staged.open("r+b") as handle:
                handle.seek(staged.stat().st_size // 2)
                byte = handle.read(1)
                handle.seek(-1, 1)
                handle.write(bytes([byte[0] ^ 0xFF]))

    envelope_id = _send_in_chunks(net, tmp_path, restart_and_rot_after_the_chunks)
    assert restarted
    item = outbox(net, "a")[envelope_id]
    assert item.status == store.FAILED and "package-not-verified" in (item.last_error or "")
    assert events(net, "b", EventKind.PACKAGE_RECEIVED) == []


# --- witnessing -------------------------------------------------------------------------------


def test_contact_exchanges_cosigned_checkpoints_both_ways(net: Network) -> None:
    router = Router(net)
    send(net, "a", "b")
    worker_for(net["a"], router).drain()
    a_origin, b_origin = net["a"].origin, net["b"].origin
    assert custody.CustodyLedger(net["a"].node).last_witnessed(b_origin) is not None
    assert custody.CustodyLedger(net["b"].node).last_witnessed(a_origin) is not None
    with net["a"].node.unit_of_work() as session:
        assert [w for w, _, _ in store.list_cosignatures(session)] == [b_origin]
    assert events(net, "a", EventKind.CHECKPOINT_COSIGNED)


def test_a_peer_showing_a_forked_log_is_reported_as_a_split_view(net: Network) -> None:
    from hanoix.ledger.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
    from hanoix.services.custody import LEDGER_KEY_FILE, load_or_create_key

    router = Router(net)
    send(net, "a", "b", "one")
    worker = worker_for(net["a"], router)
    worker.drain()  # a has now seen b's log at some size
    b = net["b"]
    seen = custody.CustodyLedger(net["a"].node).last_witnessed(b.origin)
    assert seen is not None
    key = load_or_create_key(b.node.keys, LEDGER_KEY_FILE)
    forged = sign_checkpoint(
        Checkpoint(b.origin, seen.tree_size, b"\x07" * 32), NoteSigner(b.origin, key)
    )

    def fork(request: httpx.Request) -> httpx.Response | None:
        if request.method == "GET" and request.url.path.endswith("/checkpoint"):
            return httpx.Response(200, json={"checkpoint": forged.note, "consistency": []})
        return None

    router.faults.append(fork)
    send(net, "a", "b", "two")
    worker.drain()
    views = custody.CustodyLedger(net["a"].node).split_views()
    assert len(views) == 1 and views[0].evidence.origin == b.origin
    assert events(net, "a", EventKind.SPLIT_VIEW_DETECTED)
    assert net["a"].federation.status()["split_views"] == 1


def test_enqueue_refuses_unknown_peers(net: Network) -> None:
    with pytest.raises(UnknownPeerError), net["a"].node.unit_of_work() as session:
        net["a"].federation.enqueue(session, Message("nobody.test", "federation.ping"))


def test_directory_entry_lists_keys_certificate_and_ledger(net: Network) -> None:
    entry = net["a"].federation.own_entry()
    kinds = sorted(k.kind.value for k in entry.keys)
    assert kinds == ["ed25519", "x25519"]
    assert entry.tls_sha256 is not None and entry.ledger_vkey and entry.witness_vkey
    assert settled(entry).find_key(KeyKind.SIGNING, entry.keys[0].key_id) is not None


# --- receipts of a batch (hanoix-receipt/2) -----------------------------------------------------


def _batch_of(net: Network, types: list[str]) -> list[bytes]:
    a = net["a"]
    with a.node.unit_of_work() as session:
        return [
            a.federation.enqueue(session, Message(net["b"].origin, kind, {})).data for kind in types
        ]


def _check_receipt(net: Network, data: bytes, answer: dict[str, Any]) -> Receipt:
    header = read_envelope(data).header
    receipt = parse_receipt(answer)
    assert net.directory is not None
    verify_receipt(
        receipt,
        envelope_id=header.id,
        envelope_sha256=read_envelope(data).digest,
        sender=header.sender,
        recipient=header.recipient,
        directory=net.directory,
    )
    return receipt


def test_a_batch_receipt_is_signed_once_over_only_the_envelopes_taken(net: Network) -> None:
    def refuse(node: object, session: object, envelope: object) -> None:
        raise InputError("the request reference is unknown here")

    registry.register("test.refused", refuse)
    try:
        kinds = ["federation.ping", "test.refused", "federation.ping", "federation.ping"]
        data = _batch_of(net, kinds)
        results = net["b"].federation.process_inbound_batch(data, batch_receipts=True)
        again = net["b"].federation.process_inbound_batch(data[:1], batch_receipts=True)
    finally:
        registry.unregister("test.refused")
    refused = results[1]
    assert isinstance(refused, EnvelopeRejectedError) and refused.reason is Reason.BAD_PAYLOAD
    taken = [results[0], results[2], results[3]]
    receipts = []
    for item, result in zip([data[0], data[2], data[3]], taken, strict=True):
        assert isinstance(result, InboundResult) and not result.duplicate
        receipts.append(_check_receipt(net, item, result.receipt))
    # One signature, over a tree of the three envelopes taken: the refused one is not in it.
    assert {r.format for r in receipts} == {BATCH_RECEIPT_FORMAT}
    assert {r.batch.size for r in receipts if r.batch} == {3}
    assert len({r.signature for r in receipts}) == 1
    # Kept with the inbox row, and answered again, unchanged, to a repeat.
    kept = {item.envelope_id: item.receipt for item in inbox(net, "b")}
    for result in taken:
        assert isinstance(result, InboundResult)
        assert json.loads(kept[result.envelope_id]) == result.receipt
    repeat = again[0]
    assert isinstance(repeat, InboundResult) and repeat.duplicate
    assert isinstance(results[0], InboundResult) and repeat.receipt == results[0].receipt


@pytest.fixture
def receiving(tmp_path: Path, db_url: str) -> Iterator[Network]:
    """Two nodes: ``b``, the receiver, on the database under test."""
    network = make_network(tmp_path, ["a", "b"], db_urls={"b": db_url})
    yield network
    network.close()


def _statements_during(
    net: Network, name: str, work: Callable[[], object]
) -> list[tuple[str, Any]]:
    """The statements ``work`` ran on node ``name``'s database, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def keep(
        _conn: object, _cursor: object, statement: str, parameters: Any, *_rest: object
    ) -> None:
        seen.append((statement.lstrip().upper(), parameters))

    engine = net[name].node.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return seen


def _savepoints_during(net: Network, name: str, work: Callable[[], object]) -> int:
    """How many savepoints ``work`` opened on node ``name``'s database."""
    statements = _statements_during(net, name, work)
    return sum(1 for statement, _ in statements if statement.startswith("SAVEPOINT"))


def test_a_batch_taken_whole_opens_no_savepoint(receiving: Network) -> None:
    data = _batch_of(receiving, ["federation.ping", "test.unknown-here", "federation.ping"])
    results: list[object] = []

    def take() -> None:
        results.extend(receiving["b"].federation.process_inbound_batch(data, batch_receipts=True))

    # A type the receiver does not handle is refused before anything is written for it.
    assert _savepoints_during(receiving, "b", take) == 0
    assert [type(r) for r in results] == [InboundResult, EnvelopeRejectedError, InboundResult]
    repeat: list[object] = []
    again = receiving["b"].federation.process_inbound_batch
    assert _savepoints_during(receiving, "b", lambda: repeat.extend(again(data[:1]))) == 0
    assert isinstance(repeat[0], InboundResult) and repeat[0].duplicate


def _inbox_inserts_during(net: Network, name: str, work: Callable[[], object]) -> list[int]:
    """The inbox INSERT statements ``work`` ran on node ``name``: the rows of each."""
    return [
        len(parameters) if isinstance(parameters, list) else 1
        for statement, parameters in _statements_during(net, name, work)
        if statement.startswith("INSERT INTO FEDERATION_INBOX")
    ]


def test_a_batchs_inbox_rows_go_in_one_statement_before_their_handlers_run(
    receiving: Network,
) -> None:
    found: list[bool] = []

    def sees_its_row(node: object, session: Session, envelope: OpenedEnvelope) -> None:
        found.append(store.get_inbox(session, envelope.id) is not None)

    registry.register("test.sees-its-row", sees_its_row)
    try:
        data = _batch_of(receiving, ["test.sees-its-row"] * 3 + ["test.unknown-here"])
        results: list[object] = []

        def take() -> None:
            take_batch = receiving["b"].federation.process_inbound_batch
            results.extend(take_batch(data, batch_receipts=True))

        assert _inbox_inserts_during(receiving, "b", take) == [3]
    finally:
        registry.unregister("test.sees-its-row")
    assert found == [True, True, True]
    assert [type(r) for r in results] == [InboundResult] * 3 + [EnvelopeRejectedError]
    for item, result in zip(data[:3], results[:3], strict=True):
        assert isinstance(result, InboundResult)
        assert _check_receipt(receiving, item, result.receipt).batch is not None


def test_an_envelope_twice_in_one_batch_is_taken_once(receiving: Network) -> None:
    data = _batch_of(receiving, ["federation.ping", "federation.ping"])
    twice = [data[0], data[1], data[0]]
    results = receiving["b"].federation.process_inbound_batch(twice, batch_receipts=True)
    first, other, repeat = results
    assert isinstance(first, InboundResult) and not first.duplicate
    assert isinstance(other, InboundResult) and not other.duplicate
    assert isinstance(repeat, InboundResult) and repeat.duplicate
    assert repeat.receipt == first.receipt
    ids = [read_envelope(item).header.id for item in data]
    assert sorted(item.envelope_id for item in inbox(receiving, "b")) == sorted(ids)


def test_a_handler_refusing_after_it_wrote_rolls_back_only_its_own_envelope(
    receiving: Network,
) -> None:
    def write_then_refuse(node: object, session: Session, envelope: OpenedEnvelope) -> None:
        set_meta(session, "test.written", envelope.id)
        raise InputError("refused after writing")

    registry.register("test.writes-then-refuses", write_then_refuse)
    try:
        kinds = ["federation.ping", "test.writes-then-refuses", "federation.ping"]
        data = _batch_of(receiving, kinds)
        results: list[object] = []

        def take() -> None:
            take_batch = receiving["b"].federation.process_inbound_batch
            results.extend(take_batch(data, batch_receipts=True))

        # Applied again with a savepoint per envelope once the refusal came after a write.
        assert _savepoints_during(receiving, "b", take) == 3
    finally:
        registry.unregister("test.writes-then-refuses")
    refused = results[1]
    assert isinstance(refused, EnvelopeRejectedError) and refused.reason is Reason.BAD_PAYLOAD
    ids = [read_envelope(item).header.id for item in data]
    assert sorted(item.envelope_id for item in inbox(receiving, "b")) == sorted([ids[0], ids[2]])
    with receiving["b"].node.unit_of_work() as session:
        assert get_meta(session, "test.written") is None
    for item, result in zip([data[0], data[2]], [results[0], results[2]], strict=True):
        assert isinstance(result, InboundResult) and not result.duplicate
        assert _check_receipt(receiving, item, result.receipt).batch is not None


def test_an_ordinary_batch_waits_for_the_checks_of_another_and_an_urgent_one_does_not(
    receiving: Network,
) -> None:
    a, b = receiving["a"], receiving["b"]
    with a.node.unit_of_work() as session:
        urgent = [
            a.federation.enqueue(session, Message(b.origin, PING, {}, urgent=True)).data,
        ]
    ordinary = _batch_of(receiving, ["federation.ping", "federation.ping"])
    answers: list[object] = []
    waiting = threading.Thread(
        target=lambda: answers.extend(b.federation.process_inbound_batch(ordinary))
    )
    with b.node.federation_state.ordinary_checks:  # another ordinary batch being checked
        taken = b.federation.process_inbound_batch(urgent)
        waiting.start()
        waiting.join(timeout=0.3)
        assert waiting.is_alive() and not answers
    waiting.join(timeout=30)
    assert [type(r) for r in taken] == [InboundResult]
    assert [type(r) for r in answers] == [InboundResult, InboundResult]


def test_a_batch_from_a_sender_before_receipts_v2_gets_one_receipt_v1_each(
    net: Network,
) -> None:
    data = _batch_of(net, ["federation.ping", "federation.ping"])
    results = net["b"].federation.process_inbound_batch(data)
    for item, result in zip(data, results, strict=True):
        assert isinstance(result, InboundResult)
        assert _check_receipt(net, item, result.receipt).format == RECEIPT_FORMAT


def test_the_worker_keeps_receipts_v2_and_still_takes_v1_from_an_older_peer(
    net: Network,
) -> None:
    router = Router(net)
    first = [send(net, "a", "b", f"new {n}") for n in range(3)]
    worker_for(net["a"], router).drain()

    def older_peer(request: httpx.Request) -> httpx.Response | None:
        # A receiver from before hanoix-receipt/2: it ignores the "receipts" member.
        if request.url.path.endswith("/envelopes/batch"):
            batch = json.loads(request.read())
            envelopes = [base64.b64decode(e) for e in batch["envelopes"]]
            results = net["b"].federation.process_inbound_batch(envelopes)
            answers = [
                {"status": 200, **r.as_dict()} for r in results if isinstance(r, InboundResult)
            ]
            return httpx.Response(200, json={"results": answers})
        return None

    router.faults.append(older_peer)
    second = [send(net, "a", "b", f"old {n}") for n in range(3)]
    worker_for(net["a"], router).drain()
    items = outbox(net, "a")
    assert all(items[i].status == store.DELIVERED for i in first + second)
    with net["a"].node.unit_of_work() as session:
        kept = {i: store.get_receipt(session, i) for i in first + second}
    formats = {i: json.loads(r.receipt)["format"] for i, r in kept.items() if r is not None}
    assert [formats[i] for i in first] == [BATCH_RECEIPT_FORMAT] * 3
    assert [formats[i] for i in second] == [RECEIPT_FORMAT] * 3
