"""Fixtures shared by every test: databases (SQLite and PostgreSQL), nodes and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from hanoix.cli import output
from hanoix.clock import FixedClock
from hanoix.config import Settings, load_settings
from hanoix.runtime.main import main as cli_main
from hanoix.services.node import Node
from hanoix.store import migrate
from hanoix.store.db import make_engine
from tests.seaweedfs import seaweedfs  # noqa: F401  (the S3 server fixture, for any test)
from tests.softhsm import softhsm  # noqa: F401  (the SoftHSM2 token fixture, for any test)

PG_ADMIN_URL = os.environ.get("HANOIX_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
PG_TEMPLATE = f"hanoix_tmpl_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def _pg_admin() -> psycopg.Connection[Any]:
    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


def _pg_url(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{database}"


class _SpareCopies:
    """Copies of the template made ahead of need, one at a time in a thread, while the tests
    run: a copy takes PostgreSQL about 0.15 s, once for each of some three thousand tests."""

    AHEAD = 2

    def __init__(self, template: str) -> None:
        self.template = template
        self.maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-spare")
        self.ready: deque[Future[str]] = deque()

    def _copy(self) -> str:
        name = f"hanoix_t_{uuid.uuid4().hex[:12]}"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def take(self) -> str:
        while len(self.ready) <= self.AHEAD:
            self.ready.append(self.maker.submit(self._copy))
        return self.ready.popleft().result()

    def close(self) -> None:
        self.maker.shutdown(wait=True)
        with _pg_admin() as admin:
            for made in self.ready:
                if made.exception() is None:
                    admin.execute(f'DROP DATABASE IF EXISTS "{made.result()}" WITH (FORCE)')
        self.ready.clear()


_spares: dict[str, _SpareCopies] = {}


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test copies (CREATE DATABASE ... TEMPLATE)."""
    try:
        admin = _pg_admin()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_TEMPLATE}"')
        admin.execute(f'CREATE DATABASE "{PG_TEMPLATE}"')
    engine = make_engine(_pg_url(PG_TEMPLATE))
    migrate.upgrade(engine)
    engine.dispose()
    _spares[PG_TEMPLATE] = _SpareCopies(PG_TEMPLATE)
    yield PG_TEMPLATE
    _spares.pop(PG_TEMPLATE).close()
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_TEMPLATE}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database that each test copies: running every migration again for
    each of some three thousand tests cost CI minutes."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    # The copy must be the whole database: nothing may be left in a write-ahead log.
    assert not path.with_name(path.name + "-wal").exists(), "template left a WAL file"
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        copy = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), copy)
        yield f"sqlite:///{copy}"
        return
    with pg_database(template=request.getfixturevalue("pg_template")) as url:
        yield url


@contextmanager
def pg_database(*, template: str | None) -> Iterator[str]:
    """A PostgreSQL database of its own, copied from ``template`` (or empty), then dropped."""
    spares = _spares.get(template) if template else None
    if spares is not None:
        name = spares.take()
    else:
        name = f"hanoix_t_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield _pg_url(name)
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_lock_waiter(engine: Engine, timeout: float = 30.0) -> bool:
    """Whether a session of ``engine``'s PostgreSQL database comes to wait on a lock within
    ``timeout`` seconds: how a test knows that a thread has reached the lock another holds."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            if connection.execute(waiting).scalar_one():
                return True
            connection.rollback()
            time.sleep(0.02)
    return False


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return load_settings(tmp_path / "home", environ={}, database_url=db_url)


@pytest.fixture
def node(settings: Settings, clock: FixedClock) -> Iterator[Node]:
    """An initialised node on each database, with a fixed clock."""
    n = Node.open(settings, clock=clock)
    n.initialise()
    yield n
    n.close()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Run ``hanoix ARGS...`` in-process; returns exit code, stdout and stderr."""
    monkeypatch.delenv("HANOIX_HOME", raising=False)
    monkeypatch.delenv("HANOIX_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    # The console is made at import, maybe before COLUMNS was set: widen it for every run.
    monkeypatch.setattr(output.human, "width", 200)

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = cli_main([str(a) for a in args])
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2 at its cheapest, for tests that sign in many times (its cost is beside their
    point; the node's own parameters are argon2-cffi's defaults)."""
    from argon2 import PasswordHasher, profiles

    from hanoix.services import auth

    monkeypatch.setattr(auth, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
    auth._dummy_hash.cache_clear()
    yield
    auth._dummy_hash.cache_clear()


def need_pg_dump() -> None:
    """Skip a test that backs up or restores a PostgreSQL node where pg_dump and pg_restore are
    missing (a developer's machine); in CI scripts/test-setup.sh installs them."""
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        if os.environ.get("CI"):
            pytest.fail("pg_dump/pg_restore are missing: scripts/test-setup.sh installs them")
        pytest.skip("pg_dump and pg_restore (postgresql-client) are not installed")


@pytest.fixture
def own_database(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A node's database for tests that back it up (parametrize it indirectly with "sqlite" or
    "postgresql"): ``None`` for its home's own SQLite file, else the URL of a new, empty
    PostgreSQL database (skipped without pg_dump: :func:`need_pg_dump`)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield None
        return
    need_pg_dump()
    with pg_database(template=None) as url:
        yield url


@pytest.fixture
def kept_temporary_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The process's temporary folder, moved under ``tmp_path`` so that the search sees it;
    and its anonymous temporary files (a form parser's spooled parts) kept there by name
    once closed, since an anonymous one is gone before anything could search it."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    named = tempfile.NamedTemporaryFile

    def kept(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop("delete", None)
        return named(*args, delete=False, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", kept)
    return folder
