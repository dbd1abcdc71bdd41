"""The treaty tables on SQLite and PostgreSQL: round trips, dates, history, one transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, func, inspect, select

from hanoix.convention.notifications import NotificationForm, NotificationKind
from hanoix.convention.refs import Art
from hanoix.store import treaty as store
from hanoix.store.db import session_factory, unit_of_work
from hanoix.treaty.actions import ActionKind, Declaration, SourceBasis, TreatyAction
from hanoix.treaty.dataset import DatasetInfo, TreatyData

IMPORTED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def sample(imported_at: datetime = IMPORTED, source: str = "test") -> TreatyData:
    return TreatyData(
        actions=(
            TreatyAction(
                "VNM", ActionKind.SIGNATURE, date(2025, 10, 25), SourceBasis.REPORTED, "x"
            ),
            TreatyAction("VNM", ActionKind.RATIFICATION, date(2026, 2, 28)),
            TreatyAction("EUU", ActionKind.SIGNATURE, date(2025, 10, 25), SourceBasis.VERIFIED),
        ),
        declarations=(
            Declaration("VNM", NotificationKind.LANGUAGES, date(2026, 2, 28), "vi, en"),
            # Kept as lodged: a reservation invoking Art. 9(2) (issue 12, item 6).
            Declaration(
                "AZE",
                NotificationKind.OPTIONAL_ELEMENT,
                date(2025, 10, 25),
                "serious harm",
                SourceBasis.VERIFIED,
                "Dutch treaty database 013891",
                form=NotificationForm.RESERVATION,
                art=Art(9, 2),
            ),
        ),
        info=DatasetInfo(
            source=source,
            as_of=date(2026, 11, 23),
            format="csv",
            imported_at=imported_at,
            imported_from="f.csv",
            gaps="some",
        ),
    )


def test_the_migration_creates_the_treaty_tables(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"treaty_actions", "treaty_declarations", "treaty_datasets"} <= tables


def test_a_fresh_database_is_empty(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        assert store.is_empty(session)
        assert store.load(session).actions == ()


def test_replace_then_load_gives_back_the_same_data(engine: Engine) -> None:
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        store.replace(session, sample(), mode="merge")
    with unit_of_work(factory) as session:
        loaded = store.load(session)
        assert not store.is_empty(session)
    assert loaded == sample()
    assert (loaded.declarations[1].form, loaded.declarations[1].art) == (
        NotificationForm.RESERVATION,
        Art(9, 2),
    )
    assert type(loaded.actions[1].date) is date
    assert loaded.info.imported_at == IMPORTED
    assert loaded.info.imported_at is not None
    assert loaded.info.imported_at.tzinfo is not None


def test_import_times_are_stored_in_utc(engine: Engine) -> None:
    hanoi = timezone(timedelta(hours=7))
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        store.replace(session, sample(IMPORTED.astimezone(hanoi)), mode="merge")
    with unit_of_work(factory) as session:
        stored = store.load(session).info.imported_at
    assert stored == IMPORTED
    assert stored is not None and stored.utcoffset() == timedelta(0)


def test_replace_replaces_and_records_each_import(engine: Engine) -> None:
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        store.replace(session, sample(source="first"), mode="shipped")
    smaller = TreatyData(
        sample().actions[:1], (), sample(IMPORTED + timedelta(days=1), "second").info
    )
    with unit_of_work(factory) as session:
        store.replace(session, smaller, mode="replace")
    with unit_of_work(factory) as session:
        loaded = store.load(session)
        history = store.history(session)
    assert loaded.actions == smaller.actions
    assert loaded.declarations == ()
    assert loaded.info.source == "second"
    assert [h["mode"] for h in history] == ["replace", "shipped"]
    assert history[1]["actions"] == 3


def test_a_failed_unit_of_work_leaves_the_old_data(engine: Engine) -> None:
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        store.replace(session, sample(source="kept"), mode="shipped")
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        store.replace(session, TreatyData((), (), sample(source="lost").info), mode="replace")
        raise RuntimeError("fails after the write, before the commit")
    with unit_of_work(factory) as session:
        loaded = store.load(session)
        rows = session.scalar(select(func.count()).select_from(store.TreatyDatasetRow))
    assert loaded.info.source == "kept"
    assert len(loaded.actions) == 3
    assert rows == 1


def test_an_import_needs_its_time(engine: Engine) -> None:
    undated = TreatyData((), (), DatasetInfo(source="x", as_of=None))
    with pytest.raises(ValueError, match="imported_at"), unit_of_work(session_factory(engine)) as s:
        store.replace(s, undated, mode="replace")
