"""Retention runs on a clock moved forward: what is due goes, with its proof, out of the rows
and out of the database's files; the request keeps its history and the ledger verifies."""

from __future__ import annotations

import dataclasses
import os
from datetime import timedelta
from pathlib import Path

import pytest

from hanoix.clock import FixedClock
from hanoix.config import Settings
from hanoix.requests.retention import Category, RetentionPolicy
from hanoix.services import auth, retention
from hanoix.services import requests as service
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from hanoix.store import retention as store
from tests.services.requests_world import arrived, outgoing, populate, user

SECRET = "Erika Mustermann, born 1 April 1970"


@pytest.fixture
def world(node: Node) -> Node:
    populate(node)
    return node


def _withdrawn(node: Node) -> str:
    request = outgoing(node, "withdrawn", proceeding=SECRET)
    return str(request.reference)


def test_nothing_is_due_before_the_period_ends(world: Node, clock: FixedClock) -> None:
    _withdrawn(world)
    clock.advance(timedelta(days=364))
    report = retention.run(world)
    assert report.items == [] and report.erased == 0


def test_personal_data_goes_after_its_period_and_the_request_keeps_its_history(
    world: Node, clock: FixedClock
) -> None:
    reference = _withdrawn(world)
    before = service.history(world, user(world, "editor"), reference)
    clock.advance(timedelta(days=366))

    planned = retention.run(world, dry_run=True)
    assert [(i.category, i.subject) for i in planned.items] == [(Category.PERSONAL_DATA, reference)]
    assert service.show(world, user(world, "editor"), reference).request.proceeding == SECRET

    report = retention.run(world)
    assert report.erased == 1 and report.compaction is not None
    shown = service.show(world, user(world, "editor"), reference).request
    assert shown.proceeding == "" and not shown.contents
    assert all(not entry.note for entry in shown.history)
    after = service.history(world, user(world, "editor"), reference)
    assert [s.step.seq for s in after.steps] == [s.step.seq for s in before.steps]
    assert all(s.entry_matches for s in after.steps)
    with world.reading() as session:
        (erasure,) = store.erasures_of(session, [reference])
    assert erasure.rule == "personal-data:365d" and erasure.article == "Art. 36(2)"

    verified = CustodyLedger(world).verify()
    assert verified.entries == erasure.ledger_index + 1
    # A second run finds nothing more to do.
    assert retention.run(world).items == []


def test_the_erased_value_is_gone_from_the_database_file(
    world: Node, clock: FixedClock, settings: Settings
) -> None:
    if not settings.effective_database_url.startswith("sqlite"):
        pytest.skip("the bytes of the files are SQLite's to check here")
    _withdrawn(world)
    database = Path(settings.effective_database_url.removeprefix("sqlite:///"))
    files = [database, database.with_name(database.name + "-wal")]

    def held() -> bool:
        return any(p.is_file() and SECRET.encode() in p.read_bytes() for p in files)

    assert held()
    clock.advance(timedelta(days=366))
    retention.run(world)
    assert not held()


def test_request_contents_go_later_and_take_the_rest_of_the_terms(
    world: Node, clock: FixedClock
) -> None:
    reference = _withdrawn(world)
    clock.advance(timedelta(days=5 * 365 + 1))
    report = retention.run(world)
    assert {i.category for i in report.items} == {
        Category.PERSONAL_DATA,
        Category.REQUEST_CONTENTS,
    }
    shown = service.show(world, user(world, "editor"), reference).request
    assert shown.terms.legal_basis_other is None and shown.terms.language == "en"
    assert retention.run(world).items == []


def test_a_shorter_policy_erases_sooner(world: Node, clock: FixedClock) -> None:
    _withdrawn(world)
    clock.advance(timedelta(days=31))
    policy = RetentionPolicy.parse({"personal-data": 30})
    assert [i.rule for i in retention.run(world, policy=policy).items] == ["personal-data:30d"]


def test_ended_sessions_tokens_and_sign_in_windows_go(world: Node, clock: FixedClock) -> None:
    from hanoix.store.auth import LoginThrottleRow

    with world.unit_of_work() as session:
        auth.issue_token(
            session, world.clock, auth.user_id(session, "editor"), "old", timedelta(days=1)
        )
        ended = clock.now() + timedelta(minutes=1)
        session.add(LoginThrottleRow(key="d" * 64, hits=3, expires_at=ended))
    clock.advance(timedelta(days=92))
    report = retention.run(world)
    assert [i.category for i in report.items] == [Category.SESSIONS] * 2
    assert sorted(i.subject.partition(":")[0] for i in report.items) == ["sign-ins", "token"]
    with world.reading() as session:
        assert store.sessions_ended_before(session, clock.now()) == []


def test_records_of_reading_go_together_after_six_years_in_one_erasure(
    world: Node, clock: FixedClock
) -> None:
    import json

    def read_by(actor: str) -> None:
        with world.unit_of_work() as session:
            store.record_read(
                session,
                store.Read("AUT-2026-000001", "request-contents", actor, "AUT-CA", clock.now()),
            )

    read_by("early")
    clock.advance(timedelta(days=10))
    read_by("later")
    clock.advance(timedelta(days=6 * 365 - 5))
    read_by("recent")
    assert retention.plan(world, RetentionPolicy.parse({"access-records": 6 * 365 + 10})) == []
    report = retention.run(world)
    (item,) = report.items
    assert item.category is Category.ACCESS_RECORDS and item.rule == "access-records:2190d"
    assert report.erased == 1
    with world.reading() as session:
        left = store.reads_of(session, ["AUT-2026-000001"])
    assert sorted(r.actor for r in left) == ["later", "recent"]
    events = [
        json.loads(e.entry) for e in CustodyLedger(world).entries() if b"data.erased" in e.entry
    ]
    (event,) = events
    assert event["details"]["category"] == "access-records"
    assert event["subject"] == {"access_records": item.subject.removeprefix("reads-until:")}
    assert retention.run(world).items == []  # nothing more due until the next ones age


def test_opened_evidence_copies_go_after_a_week(
    world: Node, clock: FixedClock, settings: Settings
) -> None:
    folder = settings.home / retention.OPENED / "AUT-2026-000001" / "abcdef-1234"
    folder.mkdir(parents=True)
    (folder / "statement.txt").write_text(SECRET)
    opened = clock.now().timestamp()
    os.utime(folder, (opened, opened))
    clock.advance(timedelta(days=8))
    report = retention.run(world)
    assert [i.subject for i in report.items] == ["AUT-2026-000001/abcdef-1234"]
    assert not (settings.home / retention.OPENED).joinpath("AUT-2026-000001").exists()
    left = [p for p in Path(settings.home).rglob("*") if p.is_file()]
    assert all(SECRET.encode() not in p.read_bytes() for p in left)


def test_policy_refuses_bad_input() -> None:
    from hanoix.errors import InputError

    for bad, said in (
        ({"contents": 3}, "unknown category 'contents'"),
        ({"personal-data": -1}, "cannot be negative"),
        ({"sessions": "soon"}, "not a number of days"),
    ):
        with pytest.raises(InputError, match=said):
            RetentionPolicy.parse(bad)
    assert (
        dataclasses.asdict(RetentionPolicy.parse({"sessions": "7"}))["days"][Category.SESSIONS] == 7
    )


def test_inbox_payloads_lose_their_contents_and_keep_what_finds_a_package(
    world: Node, clock: FixedClock
) -> None:
    from hanoix.store import federation as federation_store

    reference = _withdrawn(world)
    arrived(
        world,
        "e" * 32,
        "request.step",
        {"action": "execute", "note": SECRET, "request": {"proceeding": SECRET}},
        reference,
    )
    arrived(world, "f" * 32, "evidence.package", {"transfer": "t1", "size": 3}, reference)
    clock.advance(timedelta(days=31))
    report = retention.run(world)
    assert sorted(i.subject for i in report.items) == ["e" * 32, "f" * 32]
    with world.reading() as session:
        step = federation_store.get_inbox(session, "e" * 32)
        package = federation_store.get_inbox(session, "f" * 32)
    assert step is not None and SECRET not in step.payload and "execute" in step.payload
    assert package is not None and '"transfer": "t1"' in package.payload


def test_request_contents_take_the_evidence_received_out_of_the_blob_folder(
    world: Node, clock: FixedClock, settings: Settings
) -> None:
    import io

    from hanoix.store import federation as federation_store

    reference = _withdrawn(world)
    key = world.blobs.put(io.BytesIO(SECRET.encode()))
    with world.unit_of_work() as session:
        federation_store.add_transfer(
            session,
            id="t1",
            direction="in",
            peer="vnm.example",
            sha256=key.removeprefix("sha256:"),
            size=len(SECRET),
            now=clock.now(),
            blob_key=key,
        )
    arrived(world, "f" * 32, "evidence.package", {"transfer": "t1"}, reference)
    assert world.blobs.exists(key)
    clock.advance(timedelta(days=5 * 365 + 1))
    retention.run(world)
    assert not world.blobs.exists(key)
    blobs = [p for p in settings.effective_blob_dir.rglob("*") if p.is_file()]
    assert all(SECRET.encode() not in p.read_bytes() for p in blobs)
    with world.reading() as session:
        transfer = federation_store.get_transfer(session, "t1")
    assert transfer is not None and transfer.blob_key is None


def test_erasure_events_name_category_rule_and_subject_never_the_content(
    world: Node, clock: FixedClock
) -> None:
    import json

    reference = _withdrawn(world)
    clock.advance(timedelta(days=366))
    retention.run(world)
    exported = list(CustodyLedger(world).entries())
    erased = [json.loads(e.entry) for e in exported if b"data.erased" in e.entry]
    (event,) = erased
    assert event["details"]["category"] == "personal-data"
    assert event["details"]["rule"] == "personal-data:365d"
    assert event["subject"]["request"].startswith("hmac-sha256:")  # the reference, concealed
    assert all(SECRET.encode() not in e.entry for e in exported)
    assert reference not in json.dumps(erased)


def test_the_scheduled_run_erases_like_the_command_and_is_off_at_zero(
    world: Node, clock: FixedClock, settings: Settings
) -> None:
    reference = _withdrawn(world)
    clock.advance(timedelta(days=366))
    scheduler = retention.Scheduler(world)
    assert scheduler.interval == 3600
    report = scheduler.run_once()
    assert report is not None and [i.subject for i in report.items] == [reference]
    off = Node(
        settings.model_copy(update={"retention_interval_minutes": 0}),
        world.engine,
        world.sessions,
        clock,
    )
    assert retention.Scheduler(off).start() is False


def test_a_compaction_that_failed_is_done_at_the_next_run(
    world: Node, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    _withdrawn(world)
    clock.advance(timedelta(days=366))
    real = store.compact

    def locked(engine: object) -> str:
        raise OperationalError("VACUUM", {}, Exception("database is locked"))

    monkeypatch.setattr(store, "compact", locked)
    assert retention.run(world).compaction == "failed: tried again at the next run"
    monkeypatch.setattr(store, "compact", real)
    again = retention.run(world)
    assert again.items == [] and again.compaction == "vacuum"
    assert retention.run(world).compaction is None


def test_no_letter_is_issued_for_a_request_whose_contents_were_erased(
    world: Node, clock: FixedClock
) -> None:
    from hanoix.errors import InputError
    from hanoix.services import letters

    request = outgoing(world, "executed", proceeding=SECRET)
    clock.advance(timedelta(days=366))
    retention.run(world)
    with pytest.raises(InputError, match=r"erased on .* under rule personal-data:365d"):
        letters.issue(world, user(world, "editor"), str(request.reference))
