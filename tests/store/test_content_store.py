"""The tables of removal cases and hash lists, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from hanoix.content.cases import HashEntry, new_case
from hanoix.store import content as store

AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PDQ = "ab" * 32


def test_a_case_and_its_hashes_round_trip_and_duplicates_are_skipped(engine: Engine) -> None:
    with Session(engine) as session:
        case = store.insert_case(
            session, new_case(16, "victim-1", ["hash"]), authority="AUT-CA", opened_by="d", at=AT
        )
        number = int(case.reference.removeprefix("RC-"))
        entries = [
            HashEntry(case.reference, "local", "sha256", "11" * 32),
            HashEntry(case.reference, "local", "pdq", PDQ, 90),
        ]
        assert store.add_entries(session, number, entries, AT) == 2
        assert store.add_entries(session, number, entries, AT) == 0
        session.commit()
    with Session(engine) as session:
        found = store.find_case(session, number)
        assert found is not None and found.hashes == 2 and found.opened_at == AT
        assert found.victim_ref == "victim-1" and found.authority == "AUT-CA"
        assert store.exact_entries(session, [("sha256", "11" * 32)]) == [entries[0]]
        assert store.exact_entries(session, [("md5", "11" * 32)]) == []
        assert store.pdq_entries(session) == [entries[1]]
        assert store.find_case(session, number + 1) is None


def test_no_table_of_content_has_a_column_for_the_media(engine: Engine) -> None:
    for table in ("content_cases", "content_hashes"):
        types = {str(c["type"]).upper() for c in inspect(engine).get_columns(table)}
        assert not any("BLOB" in t or "BYTEA" in t or "BINARY" in t for t in types)


def test_an_imported_list_is_held_replaced_and_withdrawn_on_both_databases(engine: Engine) -> None:
    from datetime import timedelta

    from hanoix.content.lists import HashList, ListedHash, WithdrawalReason, WithdrawnHash

    later = AT + timedelta(hours=1)
    first = HashList(
        "aut.example",
        "AUT",
        "AUT-CA",
        1,
        AT,
        (ListedHash("pdq", PDQ, 90, 16, AT), ListedHash("sha256", "11" * 32, None, 14, AT)),
    )
    with Session(engine) as session:
        done = store.import_list(session, first, "k" * 16, AT)
        assert (done.added, done.withdrawn) == (2, 0)
        # A withdrawal newer than any list: it stands against the list of serial 1.
        gone = [WithdrawnHash("sha256", "11" * 32, later, WithdrawalReason.COURT_ORDER)]
        assert store.apply_withdrawal(session, "AUT:AUT-CA", "aut.example", "AUT", "AUT-CA",
                                      gone, later) == 1  # fmt: skip
        again = store.import_list(session, first, "k" * 16, later)
        assert again.kept_withdrawn == 1
        session.commit()
    with Session(engine) as session:
        [held] = store.held_lists(session)
        assert (held.name, held.entries, held.withdrawn, held.issued) == ("AUT:AUT-CA", 1, 1, AT)
        assert store.exact_entries(session, [("sha256", "11" * 32)]) == []
        [pdq] = store.pdq_entries(session)
        assert (pdq.case, pdq.list, pdq.origin) == (None, "AUT:AUT-CA", "aut.example")
        assert store.holders(session, "AUT-CA", PDQ) == (False, ["AUT:AUT-CA"])
        # Serial 2 no longer holds the PDQ hash: it is withdrawn here too.
        store.import_list(
            session, HashList("aut.example", "AUT", "AUT-CA", 2, later, ()), None, later
        )
        assert store.pdq_entries(session) == []


def test_an_authoritys_shareable_hashes_withdrawals_and_shares_on_both_databases(
    engine: Engine,
) -> None:
    from hanoix.content.lists import WithdrawalReason

    with Session(engine) as session:
        kept = store.insert_case(
            session, new_case(16, "victim-1", ["hash"]), authority="AUT-CA", opened_by="d", at=AT
        )
        shared = store.insert_case(
            session, new_case(14, "child-1", []), authority="AUT-CA", opened_by="d", at=AT
        )
        for case, value in ((kept, "11" * 32), (shared, "22" * 32), (shared, PDQ)):
            number = int(case.reference.removeprefix("RC-"))
            signal = "pdq" if value == PDQ else "sha256"
            quality = 90 if value == PDQ else None
            store.add_entries(
                session, number, [HashEntry(case.reference, "local", signal, value, quality)], AT
            )
        from hanoix.content.video import VideoFrame

        video = HashEntry(
            shared.reference, "local", "vpdq", "33" * 32, frames=(VideoFrame(PDQ, 90, 0, 0.0),)
        )
        store.add_entries(session, int(shared.reference.removeprefix("RC-")), [video], AT)
        listed, withdrawn = store.shareable(session, "AUT-CA")
        # A video travels with its frames.
        assert {e.value for e in listed} == {"22" * 32, PDQ, "33" * 32} and withdrawn == []
        assert [e.frames for e in listed if e.signal == "vpdq"] == [video.frames]
        gone = store.withdraw_local(session, "AUT-CA", PDQ, WithdrawalReason.VICTIM, AT)
        assert [case for case, _, _ in gone] == [shared.reference]
        assert store.withdraw_local(session, "AUT-CA", PDQ, WithdrawalReason.VICTIM, AT) == []
        listed, withdrawn = store.shareable(session, "AUT-CA")
        assert [e.value for e in listed] == ["22" * 32, "33" * 32]
        assert [(w.value, w.reason) for w in withdrawn] == [(PDQ, WithdrawalReason.VICTIM)]
        assert store.next_serial(session, "AUT:AUT-CA") == 1
        store.record_share(session, "AUT:AUT-CA", "vnm.example", "VNM", 1, AT)
        store.record_share(session, "AUT:AUT-CA", "vnm.example", "VNM", 2, AT)
        assert store.next_serial(session, "AUT:AUT-CA") == 3
        assert [(s.recipient, s.serial) for s in store.shares(session, "AUT:AUT-CA")] == [
            ("vnm.example", 2)
        ]
        assert store.holders(session, "AUT-CA", "11" * 32) == (True, [])
        session.commit()


def test_an_imported_video_keeps_its_frames_and_parts_wait_on_both_databases(
    engine: Engine,
) -> None:
    from hanoix.content.lists import HashList, ListedHash
    from hanoix.content.video import VideoFrame, VpdqHash

    frames = tuple(VideoFrame(f"{n:x}" * 64, 90, n, n * 1.5) for n in range(1, 5))
    video = ListedHash("vpdq", VpdqHash(frames).digest, None, 16, AT, frames)
    many = tuple(ListedHash("sha256", f"{n:064x}", None, 14, AT) for n in range(500))
    with Session(engine) as session:
        generation = store.video_generation(session)
        done = store.import_list(
            session, HashList("aut.example", "AUT", "AUT-CA", 1, AT, (video, *many)), "k" * 16, AT
        )
        assert done.added == 501
        assert store.stage_part(session, "AUT:AUT-CA", "aut.example", 2, 2, 3, "{}", AT)
        assert not store.stage_part(session, "AUT:AUT-CA", "aut.example", 2, 2, 3, "{}", AT)
        session.commit()
    with Session(engine) as session:
        [entry] = store.video_entries(session)
        assert (entry.list, entry.origin, entry.value) == ("AUT:AUT-CA", "aut.example", video.value)
        assert [(f.pdq, f.timestamp) for f in entry.frames] == [
            (f.pdq, f.timestamp) for f in frames
        ]
        assert store.video_generation(session) != generation
        assert len(store.exact_entries(session, [("sha256", f"{499:064x}")])) == 1
        [pending] = store.pending_lists(session)
        assert pending.as_dict()["missing"] == [1, 3] and pending.serial == 2
        assert store.staged_parts(session, "AUT:AUT-CA", 2) == ["{}"]
        store.drop_parts(session, "AUT:AUT-CA", 2)
        assert store.pending_lists(session) == []
