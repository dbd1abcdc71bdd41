"""Database engine, schema base and units of work.

SQLite is the embedded default (WAL journal, foreign keys on, writers that take the write lock
before their first write and retry every millisecond or two, so that several processes on one
home wait briefly rather than fail); PostgreSQL is used by URL. Nothing here runs at
import: engines are made by the caller that owns them.
"""

from __future__ import annotations

import fcntl
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from hanoix.errors import StorageFullError, UnavailableError

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table of the node."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always handed back timezone-aware.

    SQLite drops the zone and PostgreSQL keeps it; this makes both answer the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass a timezone-aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# How long a writer waits for SQLite's write lock before the database counts as unavailable.
SQLITE_LOCK_WAIT_MS = 30_000
# Between tries for the write lock: short, since write transactions are short; SQLite's own
# busy handler sleeps up to 100 ms between tries, which an urgent message felt in full.
_LOCK_RETRY_SECONDS = (0.001, 0.002)

_WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a committed custody entry must survive a power cut, not only a killed process.
        cursor.execute("PRAGMA synchronous=FULL")
        # For what still waits in the busy handler: a read that meets a WAL being reset, or a
        # write that does not begin with one of _WRITE_STATEMENTS.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_LOCK_WAIT_MS}")
    finally:
        cursor.close()


def take_sqlite_write_lock(dbapi_connection: sqlite3.Connection) -> None:
    """Begin an IMMEDIATE transaction (SQLite's write lock taken now, not at the first write),
    trying again every millisecond or two while another connection, of this process or
    another, holds it. After :data:`SQLITE_LOCK_WAIT_MS` the "database is locked" error is
    raised as it is (the database counts as unavailable)."""
    deadline = time.monotonic() + SQLITE_LOCK_WAIT_MS / 1000
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=0")
        try:
            tries = 0
            while True:
                try:
                    cursor.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                        raise
                    if time.monotonic() >= deadline:
                        raise
                time.sleep(_LOCK_RETRY_SECONDS[min(tries, 1)])
                tries += 1
        finally:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_LOCK_WAIT_MS}")
    finally:
        cursor.close()


def _write_lock_before_writing(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
    # pysqlite opens a deferred transaction at the first write, which then waits for the lock
    # in the busy handler; reads before it ran outside a transaction, so no snapshot is held
    # and taking the lock first changes nothing they saw.
    if statement.lstrip()[:9].upper().startswith(_WRITE_STATEMENTS):
        dbapi_connection = conn.connection.dbapi_connection
        if not dbapi_connection.in_transaction:
            take_sqlite_write_lock(dbapi_connection)


_RELAXED = "hanoix_synchronous_normal"


def commit_without_sync(session: Session) -> None:
    """Let the transaction ``session`` is about to begin commit without waiting for the disk
    (SQLite's ``synchronous=NORMAL``, for this connection until it goes back to the pool):
    for writes whose loss in a power cut only repeats work that is safe to repeat, such as
    a delivery worker's lease. The write-ahead log stays in order, so a commit lost takes
    only what came after it with it, and the next commit that syncs makes it durable too.
    Call it before the transaction's first statement. Other databases: nothing changes."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    fairy = connection.connection
    if not fairy.info.get(_RELAXED):
        fairy.dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # type: ignore[union-attr]
        fairy.info[_RELAXED] = True


def _sync_again(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    # Before anyone else takes the connection: every other transaction keeps FULL.
    if record.info.pop(_RELAXED, False) and dbapi_connection is not None:
        dbapi_connection.execute("PRAGMA synchronous=FULL")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the node's connection settings applied."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgresql"):
        # A server restarted while the node was idle leaves dead connections in the pool: test
        # each one as it is taken (one round trip) rather than fail the first call after it.
        kwargs.setdefault("pool_pre_ping", True)
        # Room for as many calls at once as an API process runs under load: past the pool's
        # size every connection handed back is closed, and the next opens a new server
        # process. The default (5) made eight concurrent clients open a connection per call.
        kwargs.setdefault("pool_size", 16)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "before_cursor_execute", _write_lock_before_writing)
        event.listen(engine, "checkin", _sync_again)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One use case, one transaction: commit on success, roll back on any error.

    A database that cannot be reached (or a full disk) surfaces as
    :class:`~hanoix.errors.UnavailableError` (:class:`~hanoix.errors.StorageFullError`), so
    that every caller answers it the same way: a 503 (507) problem, a one-line CLI error, a
    worker that waits and tries again.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except DBAPIError as error:
        with suppress(DBAPIError):
            session.rollback()
        unavailable = unavailable_error(error)
        if unavailable is None:
            raise
        raise unavailable from error
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reading_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for use cases that read, or write one row, with no transaction around them:
    each statement is its own (autocommit). A read then costs its query alone, not a BEGIN and
    a COMMIT besides, each a round trip to the database server. Give :func:`unit_of_work` a
    session of these only where one statement's own snapshot is consistency enough."""
    return session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))


# SQLite's primary result codes for a database that is busy, unreadable or full right now.
_SQLITE_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_CANTOPEN,
}
_PG_DISK_FULL = "53100"


def unavailable_error(error: DBAPIError) -> UnavailableError | None:
    """The error to report for ``error`` when it means the database cannot be used right now
    (unreachable, shut down, busy, or its disk full); ``None`` for any other database error
    (a bug, a constraint), which must surface as it is."""
    original = error.orig
    reason = (
        str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    )
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    if (sqlite_code is not None and sqlite_code & 0xFF == sqlite3.SQLITE_FULL) or getattr(
        original, "sqlstate", None
    ) == _PG_DISK_FULL:
        return StorageFullError(
            f"the node's storage is full ({reason}); nothing was changed: free some space and "
            "try again"
        )
    # psycopg is loaded by the first PostgreSQL connection, so an error it raised finds it
    # loaded; a node on SQLite never pays for importing it.
    psycopg = sys.modules.get("psycopg")
    transient = (
        error.connection_invalidated
        or (psycopg is not None and isinstance(original, psycopg.OperationalError))
        or (sqlite_code is not None and sqlite_code & 0xFF in _SQLITE_UNAVAILABLE)
    )
    if not transient:
        return None
    return UnavailableError(
        f"the node's database is unavailable ({reason}); nothing was changed: try again shortly"
    )


# Any fixed number: the key of the PostgreSQL advisory lock held while a node's database is set
# up. Advisory locks are per database, so nodes on different databases never wait for each other.
_SETUP_LOCK_KEY = 0x68616E6F6978  # "hanoix"


@contextmanager
def setup_lock(engine: Engine, home: Path) -> Iterator[None]:
    """Let one process at a time create, upgrade or first fill a node's database.

    Without it, two commands started together on a new home both found the schema missing and
    both created it (the second failed: "table already exists"), or both loaded the shipped
    treaty data. A lock file in the home serialises processes sharing the home; a PostgreSQL
    advisory lock also serialises nodes on other machines sharing one database.
    """
    with (home / ".setup.lock").open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            if engine.dialect.name != "postgresql":
                yield
                return
            with engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _SETUP_LOCK_KEY})
                connection.commit()
                try:
                    yield
                finally:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": _SETUP_LOCK_KEY}
                    )
                    connection.commit()
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
