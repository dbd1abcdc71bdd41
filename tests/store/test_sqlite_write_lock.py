"""SQLite writers take the write lock before their first write and retry every millisecond or
two while another connection holds it, instead of sleeping in SQLite's busy handler."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from hanoix.errors import UnavailableError
from hanoix.store import db
from hanoix.store.db import Base, make_engine, session_factory, unit_of_work
from hanoix.store.meta import NodeMeta


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    Base.metadata.create_all(engine, tables=[NodeMeta.__table__])  # type: ignore[list-item]
    yield engine
    engine.dispose()


@pytest.fixture
def holder(tmp_path: Path, engine: Engine) -> Iterator[sqlite3.Connection]:
    """Another process's connection, holding the write lock."""
    connection = sqlite3.connect(tmp_path / "node.db", isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    yield connection
    if connection.in_transaction:
        connection.rollback()
    connection.close()


def _release_after(
    monkeypatch: pytest.MonkeyPatch, holder: sqlite3.Connection, tries: int
) -> list[float]:
    """Sleeps of the writer's retry loop (not slept); the holder commits after ``tries``."""
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == tries:
            holder.commit()

    monkeypatch.setattr(db.time, "sleep", sleep)
    return sleeps


def test_a_write_after_reads_takes_the_lock_by_retrying_not_in_the_busy_handler(
    engine: Engine, holder: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps = _release_after(monkeypatch, holder, tries=3)
    with unit_of_work(session_factory(engine)) as session:
        assert session.scalar(select(NodeMeta.value)) is None
        assert sleeps == []  # reading needs no lock
        session.add(NodeMeta(key="k", value="v"))
    assert sleeps == [0.001, 0.002, 0.002]
    with unit_of_work(session_factory(engine)) as session:
        assert session.scalar(select(NodeMeta.value).where(NodeMeta.key == "k")) == "v"


def test_the_busy_handler_keeps_its_wait_after_the_lock_is_taken(
    engine: Engine, holder: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    _release_after(monkeypatch, holder, tries=1)
    with unit_of_work(session_factory(engine)) as session:
        session.add(NodeMeta(key="k", value="v"))
        session.flush()
        timeout = session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert timeout == db.SQLITE_LOCK_WAIT_MS


def test_a_lock_held_past_the_wait_makes_the_database_unavailable(
    engine: Engine, holder: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "SQLITE_LOCK_WAIT_MS", 0)
    with (
        pytest.raises(UnavailableError, match=r"database is locked.*try again shortly"),
        unit_of_work(session_factory(engine)) as session,
    ):
        session.add(NodeMeta(key="k", value="v"))
    holder.rollback()
    with unit_of_work(session_factory(engine)) as session:
        assert session.scalar(select(NodeMeta.value)) is None


def test_a_savepoint_opens_the_transaction_with_the_lock(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        with session.begin_nested():
            session.add(NodeMeta(key="kept", value="v"))
        with pytest.raises(RuntimeError), session.begin_nested():
            session.add(NodeMeta(key="dropped", value="v"))
            session.flush()
            raise RuntimeError("roll back to the savepoint")
        assert session.connection().connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
    with unit_of_work(session_factory(engine)) as session:
        assert list(session.scalars(select(NodeMeta.key))) == ["kept"]


def test_postgresql_engines_keep_their_own_locking() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    assert not event.contains(engine, "before_cursor_execute", db._write_lock_before_writing)


def _synchronous(session: Session) -> int:
    return int(session.execute(text("PRAGMA synchronous")).scalar_one())


def test_a_commit_without_sync_relaxes_only_its_own_transaction(engine: Engine) -> None:
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        full = _synchronous(session)
    with unit_of_work(factory) as session:
        relaxed = session.connection().connection.dbapi_connection
        db.commit_without_sync(session)
        assert _synchronous(session) == 1  # NORMAL: the commit does not wait for the disk
        session.add(NodeMeta(key="lease", value="until noon"))
    with unit_of_work(factory) as session:
        # One after the other, the transactions get the pool's one connection: the one relaxed.
        assert session.connection().connection.dbapi_connection is relaxed
        assert _synchronous(session) == full == 2  # FULL again, before anyone else used it
        assert session.scalar(select(NodeMeta.value)) == "until noon"
