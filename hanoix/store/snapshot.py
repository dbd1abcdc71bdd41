"""A consistent copy of a node's database while the node runs, and putting one back.

* **SQLite**: the online backup API (``sqlite3.Connection.backup``) in one step: it reads the
  database under one read transaction, which in WAL mode never blocks the node's writers, so
  the copy is the database as one commit left it. (Copying in several steps would start over
  whenever another process commits between two, and might never finish on a busy node.)
* **PostgreSQL**: ``pg_dump`` in its custom format, run on a snapshot that this module's own
  REPEATABLE READ transaction exports (``pg_export_snapshot``), so that the dump and the list of
  evidence packages it refers to, read in that transaction, are the same instant. A SQLAlchemy
  export would need a format of its own to restore; ``pg_dump`` is PostgreSQL's own, restores
  with ``pg_restore`` and is in every PostgreSQL client package. Without it the backup is
  refused with what to install.

Both answer the schema revision and the packages (blob keys) of that instant: a package is
stored before the row that names it commits, so every key in the copy names a package that
exists when the copy is taken.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL

from hanoix.errors import ConfigurationError, ConflictError, InputError
from hanoix.store.files import fsync_dir
from hanoix.store.migrate import VERSION_TABLE

SQLITE_MEMBER = "database/hanoix.sqlite3"
POSTGRES_MEMBER = "database/postgresql.dump"
_BLOB_KEYS = (
    "SELECT blob_key, max(size) FROM federation_transfers WHERE blob_key IS NOT NULL "
    "GROUP BY blob_key ORDER BY blob_key"
)


@dataclass(frozen=True)
class Snapshot:
    """A database copied at one instant: where the copy is, the archive member it becomes, the
    schema revision and the evidence packages (blob keys) it names, with their total size."""

    kind: str
    path: Path
    member: str
    revision: str | None
    blob_keys: tuple[str, ...]
    blob_bytes: int = 0


def take_snapshot(engine: Engine, folder: Path) -> Snapshot:
    """Copy ``engine``'s database into ``folder`` (see the module for how)."""
    if engine.dialect.name == "sqlite":
        return _sqlite_snapshot(engine, folder)
    if engine.dialect.name == "postgresql":
        return _postgres_snapshot(engine, folder)
    raise ConfigurationError(f"a {engine.dialect.name} database cannot be backed up")


def _sqlite_file(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise ConfigurationError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _sqlite_snapshot(engine: Engine, folder: Path) -> Snapshot:
    source_path = _sqlite_file(engine)
    if not source_path.is_file():
        raise ConfigurationError(f"no database at {source_path}: is this the node's home?")
    copy = folder / "hanoix.sqlite3"
    source = sqlite3.connect(source_path, timeout=30)
    try:
        target = sqlite3.connect(copy)
        try:
            source.backup(target)  # pages=-1: all at once, one read transaction
            # One self-contained file: no write-ahead log beside it.
            target.execute("PRAGMA journal_mode=DELETE")
            revision, keys, size = _facts(target)
        finally:
            target.close()
    finally:
        source.close()
    return Snapshot("sqlite", copy, SQLITE_MEMBER, revision, keys, size)


def _facts(connection: sqlite3.Connection) -> tuple[str | None, tuple[str, ...], int]:
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    revision = None
    if VERSION_TABLE in tables:
        found = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()  # noqa: S608
        revision = found[0] if found else None
    packages: list[tuple[str, int]] = []
    if "federation_transfers" in tables:
        packages = list(connection.execute(_BLOB_KEYS))
    return revision, tuple(key for key, _ in packages), sum(size for _, size in packages)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI for ``url`` without its password, and the environment that carries the
    password (never on a command line, where other users of the machine could read it)."""
    env = dict(os.environ)  # the operator's PGSSLMODE, PGSSLROOTCERT... apply
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ConfigurationError(
            f"{name} is not installed: install PostgreSQL's client programs (Debian: "
            f"postgresql-client), of the server's major version or newer"
        )
    return found


def _postgres_snapshot(engine: Engine, folder: Path) -> Snapshot:
    pg_dump = _tool("pg_dump")
    copy = folder / "postgresql.dump"
    uri, env = _libpq(engine.url)
    with engine.connect() as raw:
        connection = raw.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            names = set(inspect(connection).get_table_names())
            revision = None
            if VERSION_TABLE in names:
                revision = connection.execute(
                    text(f"SELECT version_num FROM {VERSION_TABLE}")  # noqa: S608
                ).scalar()
            packages: list[tuple[str, int]] = []
            if "federation_transfers" in names:
                packages = [(row[0], row[1]) for row in connection.execute(text(_BLOB_KEYS))]
            failed = _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={copy}",
                    f"--dbname={uri}",
                ],
                env,
            )
    if failed:
        raise ConfigurationError(f"pg_dump failed: {failed}")
    keys = tuple(key for key, _ in packages)
    return Snapshot(
        "postgresql", copy, POSTGRES_MEMBER, revision, keys, sum(size for _, size in packages)
    )


def _run(argv: list[str], env: dict[str, str]) -> str | None:
    """Run a PostgreSQL client program; ``None`` when it succeeded, else its first error line."""
    done = subprocess.run(  # noqa: S603  (our own argv, no shell)
        argv, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return lines[0] if lines else f"exit status {done.returncode}"


def database_is_empty(engine: Engine) -> bool:
    """Whether ``engine``'s database holds no table (a restore may fill it)."""
    with engine.connect() as connection:
        return not inspect(connection).get_table_names()


def restore_snapshot(kind: str, copy: Path, engine: Engine) -> None:
    """Put the snapshot at ``copy`` (of ``kind``) into ``engine``'s database, which must be
    empty: a SQLite file that does not exist yet, or a PostgreSQL database without tables."""
    dialect = engine.dialect.name
    if kind != dialect:
        raise ConfigurationError(
            f"the backup holds a {kind} database but the restored node is configured for "
            f"{dialect} ({engine.url.render_as_string(hide_password=True)}): set "
            "HANOIX_DATABASE_URL to a database of the backup's kind"
        )
    if kind == "sqlite":
        target = _sqlite_file(engine)
        if target.exists():
            raise ConflictError(f"{target} exists already; a restore never overwrites a database")
        staged = target.with_name(f".{target.name}.restoring")
        # Only the node's user reads it: it holds password hashes and tokens' digests.
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle, copy.open("rb") as source:
            shutil.copyfileobj(source, handle, 1024 * 1024)
            handle.flush()
            os.fsync(handle.fileno())
        staged.rename(target)
        fsync_dir(target.parent)
        return
    if not database_is_empty(engine):
        raise ConflictError(
            f"the database {engine.url.render_as_string(hide_password=True)} holds tables "
            "already; a restore fills only an empty database (create a new one)"
        )
    pg_restore = _tool("pg_restore")
    uri, env = _libpq(engine.url)
    failed = _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={uri}",
            str(copy),
        ],
        env,
    )
    if failed:
        raise InputError(f"pg_restore failed, nothing was restored: {failed}")
