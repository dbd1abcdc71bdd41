"""Federation tables on both databases: claim order and leases, unique inbox, directory versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hanoix.store import federation as store
from hanoix.store.db import session_factory, unit_of_work

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _queue(session: Session, number: int, *, urgent: bool = False, at: datetime = NOW) -> str:
    envelope_id = f"{number:032x}"
    store.add_outbox(
        session,
        envelope_id=envelope_id,
        recipient="b.test",
        type="federation.ping",
        urgent=urgent,
        in_reply_to=None,
        envelope=b"{}",
        digest="0" * 64,
        created_at=at,
        expires_at=at + timedelta(days=1),
    )
    return envelope_id


def test_claims_take_urgent_first_then_queue_order_and_respect_leases(engine: Engine) -> None:
    sessions = session_factory(engine)
    with unit_of_work(sessions) as session:
        ordinary = [_queue(session, n) for n in range(1, 4)]
        urgent = _queue(session, 9, urgent=True)
        later = _queue(session, 10, at=NOW + timedelta(hours=1))
    lease = NOW + timedelta(minutes=1)
    with unit_of_work(sessions) as session:
        first = [i.envelope_id for i in store.claim_due(session, NOW, lease, 2)]
    assert first == [urgent, ordinary[0]]
    with unit_of_work(sessions) as session:
        second = [i.envelope_id for i in store.claim_due(session, NOW, lease, 10)]
    assert second == ordinary[1:]  # leased ones are skipped; the later one is not due
    with unit_of_work(sessions) as session:
        again = [
            i.envelope_id for i in store.claim_due(session, lease, lease + timedelta(minutes=1), 10)
        ]
    assert again == [urgent, *ordinary]  # leases ran out: a crashed worker's claims come back
    assert later not in again


def test_retry_failure_and_delivery_are_recorded(engine: Engine) -> None:
    sessions = session_factory(engine)
    with unit_of_work(sessions) as session:
        one, two = _queue(session, 1), _queue(session, 2)
    with unit_of_work(sessions) as session:
        assert store.mark_retry(session, one, "peer answered 500", NOW + timedelta(seconds=4)) == 1
        store.mark_failed(session, two, "bad-signature")
    with unit_of_work(sessions) as session:
        assert store.claim_due(session, NOW, NOW, 10) == []
        assert store.next_due(session) == NOW + timedelta(seconds=4)
        assert store.outbox_counts(session) == {"pending": 1, "delivered": 0, "failed": 1}
        assert store.mark_delivered(session, one, NOW)
        assert not store.mark_delivered(session, one, NOW)
        store.requeue(session, two, NOW)
    with unit_of_work(sessions) as session:
        assert store.outbox_counts(session) == {"pending": 1, "delivered": 1, "failed": 0}


def _inbox(session: Session, envelope_id: str, *, urgent: bool) -> None:
    store.add_inbox(
        session,
        envelope_id=envelope_id,
        sender="a.test",
        type="federation.notice",
        urgent=urgent,
        in_reply_to=None,
        created_at=NOW,
        expires_at=NOW + timedelta(days=1),
        received_at=NOW,
        digest="0" * 64,
        payload="{}",
        receipt="{}",
    )


def test_the_inbox_holds_an_envelope_id_once(engine: Engine) -> None:
    sessions = session_factory(engine)
    with unit_of_work(sessions) as session:
        _inbox(session, "a" * 32, urgent=False)
    with pytest.raises(IntegrityError), unit_of_work(sessions) as session:
        _inbox(session, "a" * 32, urgent=False)


def test_the_24_7_view_lists_urgent_first_and_hides_acknowledged(engine: Engine) -> None:
    sessions = session_factory(engine)
    with unit_of_work(sessions) as session:
        _inbox(session, "1" * 32, urgent=False)
        _inbox(session, "2" * 32, urgent=True)
        _inbox(session, "3" * 32, urgent=False)
    with unit_of_work(sessions) as session:
        assert [m.envelope_id[0] for m in store.list_inbox(session, None)] == ["2", "1", "3"]
        assert store.acknowledge(session, "2" * 32, "officer", NOW)
        assert not store.acknowledge(session, "2" * 32, "officer", NOW)
    with unit_of_work(sessions) as session:
        assert [m.envelope_id[0] for m in store.list_inbox(session, None)] == ["1", "3"]
        assert store.inbox_counts(session)["urgent_unacknowledged"] == 0


def test_the_highest_directory_serial_is_in_force(engine: Engine) -> None:
    sessions = session_factory(engine)
    with unit_of_work(sessions) as session:
        assert store.latest_directory(session) is None
        for serial in (1, 3, 2):
            store.add_directory(
                session,
                serial=serial,
                issued_at=NOW,
                imported_at=NOW,
                digest=str(serial) * 64,
                document=b"doc%d" % serial,
            )
    with unit_of_work(sessions) as session:
        latest = store.latest_directory(session)
        assert latest is not None and latest.serial == 3 and latest.document == b"doc3"
        assert store.directory_serials(session) == [1, 2, 3]


def test_transfers_record_their_offset(engine: Engine) -> None:
    sessions = session_factory(engine)
    with unit_of_work(sessions) as session:
        store.add_transfer(
            session, id="f" * 32, direction="in", peer="a.test", sha256="0" * 64, size=10, now=NOW
        )
    with unit_of_work(sessions) as session:
        store.update_transfer(session, "f" * 32, NOW, offset=7)
    with unit_of_work(sessions) as session:
        transfer = store.get_transfer(session, "f" * 32, for_update=True)
        assert transfer is not None and (transfer.offset, transfer.status) == (7, "open")
        with pytest.raises(ValueError):
            store.update_transfer(session, "f" * 32, NOW, size=1)


def test_two_claims_that_read_the_same_rows_take_each_row_once(engine: Engine) -> None:
    # The second claim runs between the first one's SELECT and its UPDATE, as another lane or
    # worker can (pysqlite reads outside a transaction; PostgreSQL skips the locked rows).
    sessions = session_factory(engine)
    with unit_of_work(sessions) as session:
        queued = {_queue(session, n) for n in range(1, 5)}
    lease = NOW + timedelta(minutes=1)
    other: list[str] = []
    done = [False]

    def claim_in_between(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        if done[0] or not statement.lstrip().startswith("SELECT"):
            return
        if "federation_outbox" in statement:
            done[0] = True
            with unit_of_work(sessions) as between:
                other.extend(i.envelope_id for i in store.claim_due(between, NOW, lease, 10))

    event.listen(engine, "after_cursor_execute", claim_in_between)
    try:
        with unit_of_work(sessions) as session:
            first = [i.envelope_id for i in store.claim_due(session, NOW, lease, 10)]
    finally:
        event.remove(engine, "after_cursor_execute", claim_in_between)
    assert done[0]
    assert not set(first) & set(other)
    assert set(first) | set(other) == queued


def test_deliveries_are_recorded_once_for_a_batch(engine: Engine) -> None:
    sessions = session_factory(engine)
    with unit_of_work(sessions) as session:
        one, two = _queue(session, 1), _queue(session, 2)
    first = [store.Delivered(one, "b.test", "0" * 64, NOW, '{"n": 1}')]
    with unit_of_work(sessions) as session:
        store.record_deliveries(session, first, NOW)
    # Again, with another: a receipt kept already stays; a row delivered already is left.
    again = [
        store.Delivered(one, "b.test", "0" * 64, NOW, '{"n": "other"}'),
        store.Delivered(two, "b.test", "0" * 64, NOW, '{"n": 2}'),
    ]
    with unit_of_work(sessions) as session:
        store.record_deliveries(session, again, NOW + timedelta(seconds=1))
    with unit_of_work(sessions) as session:
        receipt = store.get_receipt(session, one)
        assert receipt is not None and receipt.receipt == '{"n": 1}'
        items = {i.envelope_id: i for i in store.list_outbox(session, limit=10)}
    assert items[one].status == items[two].status == store.DELIVERED
    assert (items[one].attempts, items[one].delivered_at) == (1, NOW)
    assert items[two].delivered_at == NOW + timedelta(seconds=1)


def test_a_cosignature_brought_back_twice_is_kept_once(engine: Engine) -> None:
    sessions = session_factory(engine)
    with unit_of_work(sessions) as session:
        assert store.add_cosignature(session, "b.test", 7, "first", NOW) is True
    with unit_of_work(sessions) as session:
        # Another worker's copy of the same peer's cosignature: no error, nothing replaced.
        assert store.add_cosignature(session, "b.test", 7, "second", NOW) is False
        assert store.add_cosignature(session, "b.test", 8, "larger", NOW) is True
    with unit_of_work(sessions) as session:
        assert list(store.list_cosignatures(session)) == [
            ("b.test", 7, "first"),
            ("b.test", 8, "larger"),
        ]
