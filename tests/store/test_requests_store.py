"""The request tables on SQLite and PostgreSQL: the document round trip, counters, the
optimistic lock, keyset pages, visibility filtering and idempotency answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session, sessionmaker

from hanoix.convention import RequestKind
from hanoix.errors import ConflictError, InputError
from hanoix.requests import Party, Side, Status
from hanoix.store import requests as store
from hanoix.store.db import session_factory, unit_of_work
from hanoix.store.models import metadata
from tests.requests.builders import T0, drafted

T1 = T0 + timedelta(days=1)


def test_the_steps_of_many_requests_go_in_with_one_insert(sessions: sessionmaker[Session]) -> None:
    first = drafted()
    second = drafted(sequence=2)
    second = replace(
        second, id="req-2", version=2, history=(*second.history, replace(second.history[0], seq=2))
    )
    rows = [
        *store.step_rows(first, 0, [(7, {"n": 7})]),
        *store.step_rows(second, 0, [(8, {"n": 8}), (9, {"n": 9})]),
    ]
    with unit_of_work(sessions) as session:
        store.insert_request(session, first, next_deadline=None)
        store.insert_request(session, second, next_deadline=None)
        session.execute(insert(store.RequestStepRow), rows)
    with unit_of_work(sessions) as session:
        got = {r.id: store.steps(session, r.id) for r in (first, second)}
    assert [(s.seq, s.ledger_index, s.event) for s in got[first.id]] == [(1, 7, {"n": 7})]
    assert [(s.seq, s.ledger_index) for s in got[second.id]] == [(1, 8), (2, 9)]
    assert got[second.id][0].action == second.history[0].action.value
    assert store.step_rows(second, 1, [(9, {"n": 9})]) == rows[2:]
    with pytest.raises(ValueError, match="every step is recorded in the ledger"):
        store.step_rows(second, 0, [(8, {"n": 8})])


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


def test_the_migration_creates_exactly_the_tables_the_store_declares(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    ours = [d for d in diffs if any(t in repr(d) for t in store.REQUEST_TABLES)]
    assert ours == []


def test_counters_run_per_state_and_year(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        got = [
            store.next_sequence(session, "AUT", 2026),
            store.next_sequence(session, "AUT", 2026),
            store.next_sequence(session, "AUT", 2027),
            store.next_sequence(session, "VNM", 2026),
            store.next_sequence(session, "AUT", 2026),
        ]
    assert got == [1, 2, 1, 1, 3]


def _save(session: Session, request: store.CooperationRequest, since: int = 0) -> None:
    recorded = [(i, {"n": i}) for i in range(since, request.version)]
    store.add_steps(session, request, since, recorded)


def test_a_new_version_is_written_only_over_the_version_read(
    sessions: sessionmaker[Session],
) -> None:
    request = drafted()
    with unit_of_work(sessions) as session:
        store.insert_request(session, request, next_deadline=None)
        _save(session, request)
    submitted = replace(
        request, version=2, history=(*request.history, replace(request.history[0], seq=2))
    )
    with pytest.raises(store.StaleVersionError), unit_of_work(sessions) as session:
        store.update_request(session, submitted, expected_version=5, next_deadline=None)
    with unit_of_work(sessions) as session:
        assert store.load(session, str(request.reference)) == request
        store.update_request(session, submitted, expected_version=1, next_deadline=T1)
        _save(session, submitted, since=1)
    with unit_of_work(sessions) as session:
        assert store.load(session, str(request.reference)) == submitted
        assert [s.seq for s in store.steps(session, request.id)] == [1, 2]
    with pytest.raises(ConflictError, match="already held"), unit_of_work(sessions) as session:
        store.insert_request(session, replace(request, id="another-id"), next_deadline=None)


@pytest.fixture
def listed(sessions: sessionmaker[Session]) -> Iterator[list[store.CooperationRequest]]:
    made = []
    with unit_of_work(sessions) as session:
        for i in range(7):
            request = drafted(
                RequestKind.PRESERVATION if i % 2 else RequestKind.MLA,
                at=T0 + timedelta(minutes=i // 2),  # pairs share a creation time
                sequence=i + 1,
                restricted=i == 6,
            )
            request = replace(request, id=f"id-{i}", handled_by="AUT-OTHER" if i == 6 else "AUT-CA")
            store.insert_request(session, request, next_deadline=T0 + timedelta(days=i))
            made.append(request)
    yield made


def test_keyset_pages_cover_every_visible_row_once_newest_first(
    sessions: sessionmaker[Session], listed: list[store.CooperationRequest]
) -> None:
    visibility = store.Visibility("AUT", "AUT-CA")
    seen: list[str] = []
    cursor = None
    with unit_of_work(sessions) as session:
        while True:
            page = store.list_requests(
                session, visibility, store.ListFilter(), limit=2, cursor=cursor
            )
            seen += [r.id for r in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == ["id-5", "id-4", "id-3", "id-2", "id-1", "id-0"]
        mine = store.list_requests(
            session, store.Visibility("AUT", "AUT-OTHER"), store.ListFilter(), limit=10
        )
        assert mine.items[0].id == "id-6"
        other_state = store.list_requests(
            session, store.Visibility("VNM", "VNM-CA"), store.ListFilter(), limit=10
        )
        assert other_state.items == []
        kinds = store.list_requests(
            session, visibility, store.ListFilter(kind="preservation"), limit=10
        )
        assert [r.id for r in kinds.items] == ["id-5", "id-3", "id-1"]
        soon = store.list_requests(
            session, visibility, store.ListFilter(deadline_before=T0 + timedelta(days=2)), limit=10
        )
        assert [r.id for r in soon.items] == ["id-1", "id-0"]
        assert soon.items[0].next_deadline == T0 + timedelta(days=1)
        assert soon.items[0].next_deadline.tzinfo is not None


# (side, requesting State, requested State): AUT's node holds every row.
_PARTIES = [
    (Side.REQUESTING, "AUT", "VNM"),
    (Side.REQUESTED, "VNM", "AUT"),
    (Side.REQUESTING, "AUT", "AUT"),  # the State on both sides
    (Side.REQUESTING, "AUT", "ZAF"),
]


@pytest.mark.parametrize("state", ["AUT", "VNM", "ZAF", "BRA"])
def test_kind_status_and_either_party_s_state_page_like_the_rows_say(
    sessions: sessionmaker[Session], state: str
) -> None:
    made = []
    with unit_of_work(sessions) as session:
        for i in range(48):
            side, requesting, requested = _PARTIES[i % 4]
            request = replace(
                drafted(
                    RequestKind.MLA if (i // 4) % 2 else RequestKind.PRESERVATION,
                    at=T0 + timedelta(minutes=i // 3),  # threes share a creation time
                    sequence=i + 1,
                    restricted=i % 7 == 0,
                ),
                id=f"id-{i:02}",
                side=side,
                requesting=Party(requesting, f"{requesting}-CA", "UTC"),
                requested=Party(requested, f"{requested}-CA", "UTC"),
                status=Status.DRAFT if i % 5 == 0 else Status.SENT,
                handled_by="AUT-OTHER" if i % 7 == 0 else "AUT-CA",
            )
            store.insert_request(session, request, next_deadline=None)
            made.append(request)
    expected = [
        r.id
        for r in sorted(made, key=lambda r: (r.created_at, r.id), reverse=True)
        if r.kind is RequestKind.MLA
        and r.status is Status.SENT
        and state in (r.requesting.state, r.requested.state)
        and not r.restricted
    ]
    filters = store.ListFilter(kind="mla", status="sent", state=state)
    seen: list[str] = []
    cursor = None
    with unit_of_work(sessions) as session:
        while True:
            page = store.list_requests(
                session, store.Visibility("AUT", "AUT-CA"), filters, limit=2, cursor=cursor
            )
            seen += [r.id for r in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert seen == expected
    assert (len(expected) > 0) is (state != "BRA")


def test_a_cursor_the_node_did_not_hand_out_is_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(InputError, match="cursor"), unit_of_work(sessions) as session:
        store.list_requests(
            session,
            store.Visibility("AUT", "AUT-CA"),
            store.ListFilter(),
            limit=5,
            cursor="bm90IGpzb24",
        )


def test_an_idempotency_answer_is_kept_per_user_and_forgotten_when_expired(
    sessions: sessionmaker[Session],
) -> None:
    request = drafted()
    with unit_of_work(sessions) as session:
        store.save_answer(
            session,
            username="u",
            key="k",
            fingerprint="f" * 64,
            request=request,
            status_code=201,
            now=T0,
            expires_at=T1,
        )
    with unit_of_work(sessions) as session:
        answer = store.find_answer(session, "u", "k", T0 + timedelta(hours=1))
        assert answer is not None and answer.request == request and answer.expires_at == T1
        assert store.find_answer(session, "v", "k", T0) is None
    with pytest.raises(ConflictError), unit_of_work(sessions) as session:
        store.save_answer(
            session,
            username="u",
            key="k",
            fingerprint="0" * 64,
            request=request,
            status_code=201,
            now=T0,
            expires_at=T1,
        )
    with unit_of_work(sessions) as session:
        assert store.find_answer(session, "u", "k", T1) is None
    with unit_of_work(sessions) as session:
        assert store.find_answer(session, "u", "k", T0) is None


def test_times_come_back_in_utc_on_both_databases(sessions: sessionmaker[Session]) -> None:
    request = drafted(at=datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    with unit_of_work(sessions) as session:
        store.insert_request(
            session, request, next_deadline=datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
        )
    with unit_of_work(sessions) as session:
        page = store.list_requests(
            session, store.Visibility("AUT", "AUT-CA"), store.ListFilter(), limit=1
        )
    row = page.items[0]
    assert row.created_at == request.created_at and row.created_at.utcoffset() == timedelta(0)
    assert row.next_deadline == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_the_common_filter_has_its_composite_indexes_and_0008_goes_back_down(
    engine: Engine,
) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from hanoix.store import migrate

    def filter_indexes() -> dict[str, list[str | None]]:
        return {
            i["name"]: i["column_names"]
            for i in inspect(engine).get_indexes("requests")
            if str(i["name"]).startswith("ix_requests_filter_")
        }

    expected = {
        f"ix_requests_filter_{party}": [
            "local_state",
            "kind",
            "status",
            f"{party}_state",
            "created_at",
            "id",
        ]
        for party in ("requesting", "requested")
    }
    assert filter_indexes() == expected
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007_requests")
    assert filter_indexes() == {}
    migrate.upgrade(engine)
    assert filter_indexes() == expected


def test_the_desks_have_their_indexes_and_they_go_back_down(engine: Engine) -> None:
    from alembic import command
    from sqlalchemy import text

    from hanoix.store import migrate

    def desk_indexes() -> set[str]:
        # Read from the catalogue: SQLAlchemy does not reflect expression indexes on SQLite.
        query = (
            "SELECT indexname FROM pg_indexes WHERE tablename = 'requests'"
            if engine.dialect.name == "postgresql"
            else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests'"
        )
        with engine.connect() as connection:
            names = set(connection.execute(text(query)).scalars())
        return {n for n in names if n.endswith(("_order", "_counts", "_trgm"))}

    expected = {
        "ix_requests_deadline_order",
        "ix_requests_status_counts",
        "ix_requests_deadline_counts",
        "ix_requests_reference_trgm",
        "ix_requests_handled_by_trgm",
    }
    assert desk_indexes() == expected
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0013_treaty_statements")
    assert desk_indexes() == set()
    migrate.upgrade(engine)
    assert desk_indexes() == expected
