"""A node of the previous release upgrades and works: the committed fixture (a home whose
database is at the previous release's schema, rows in every table; made by
scripts/make_upgrade_fixture.py) is upgraded to the current schema by ``hanoix init``, keeps every
row, and serves its requests, ledger and outbox as before."""

from __future__ import annotations

import shutil
import sqlite3
import warnings
from pathlib import Path
from typing import Any

import pytest

from hanoix.store import migrate
from hanoix.store.models import metadata

FIXTURE = Path(__file__).parent / "fixtures" / "release-0015"
RELEASE = "0015_deadline_counts"
#: The one table whose row an upgrade rewrites: the schema's revision.
REWRITTEN_BY_INIT = {"alembic_version"}


@pytest.fixture
def old_home(tmp_path: Path) -> Path:
    home = tmp_path / "aut"
    shutil.copytree(FIXTURE, home)
    # git keeps no file modes: the key files come back private, as a node keeps them.
    for path in (home / "keys").rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)
    (home / "keys").chmod(0o700)
    return home


def _columns(database: Path) -> dict[str, list[str]]:
    connection = sqlite3.connect(database)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            name: [row[1] for row in connection.execute(f'PRAGMA table_info("{name}")')]
            for name in names
        }
    finally:
        connection.close()


def _rows(
    database: Path, columns: dict[str, list[str]] | None = None
) -> dict[str, set[tuple[Any, ...]]]:
    """Every table's rows; with ``columns``, only those columns of those tables (the columns a
    table had before an upgrade, which may add others)."""
    wanted = columns if columns is not None else _columns(database)
    connection = sqlite3.connect(database)
    try:
        return {
            name: set(
                connection.execute(
                    "SELECT " + ", ".join(f'"{c}"' for c in names) + f' FROM "{name}"'
                )
            )
            for name, names in wanted.items()
        }
    finally:
        connection.close()


def test_the_fixture_is_a_whole_node_of_the_previous_release() -> None:
    rows = _rows(FIXTURE / "hanoix.db")
    assert rows["alembic_version"] == {(RELEASE,)}
    assert RELEASE != migrate.HEAD_REVISION and RELEASE in migrate.known_revisions()
    assert [name for name, found in rows.items() if not found] == []  # data in every table


def test_the_previous_release_upgrades_keeping_every_row_and_works(
    cli: Any, old_home: Path
) -> None:
    database = old_home / "hanoix.db"
    columns = _columns(database)
    before = _rows(database)

    refused = cli("--home", old_home, "request", "list", "--as", "officer")
    assert refused.exit_code == 2 and "run 'hanoix --home" in refused.stderr  # decision 0006

    upgraded = cli("--home", old_home, "init", "--json")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert upgraded.json()["schema"] == migrate.HEAD_REVISION
    assert set(metadata.tables) <= set(_columns(database))
    after = _rows(database, {n: c for n, c in columns.items() if n not in REWRITTEN_BY_INIT})
    for name, rows in after.items():
        assert before[name] <= rows, f"{name} lost rows in the upgrade"
    # 0023_statistics fills the end of each held preservation's period from its document: the
    # demo's executed preservation gets one; the draft preservation and the MLA request none.
    connection = sqlite3.connect(database)
    try:
        ends = dict(
            connection.execute("SELECT reference, preservation_ends FROM requests").fetchall()
        )
    finally:
        connection.close()
    assert ends.pop("AUT-2026-000001") is not None
    assert set(ends.values()) == {None}

    listed = cli("--home", old_home, "request", "list", "--as", "officer", "--json")
    assert listed.exit_code == 0, listed.stderr
    references = {item["reference"] for item in listed.json()["items"]}
    assert references == {row[1] for row in before["requests"]}  # column 1: the reference

    verified = cli("--home", old_home, "ledger", "verify", "--json")
    assert verified.exit_code == 0, verified.stderr
    assert verified.json()["entries"] >= len(before["ledger_entries"])
    assert verified.json()["checkpoints_checked"] == len(before["ledger_checkpoints"])

    outbox = cli("--home", old_home, "federation", "outbox", "--json")
    assert outbox.exit_code == 0, outbox.stderr
    assert len(outbox.json()) == len(before["federation_outbox"])


def _copy_rows(source: Path, url: str) -> None:
    """The fixture's rows into a PostgreSQL database at the release's schema: the same node,
    as the previous release would have kept it on PostgreSQL."""
    from sqlalchemy import MetaData, select, text

    from hanoix.store.db import make_engine

    target = make_engine(url)
    migrate.upgrade(target, RELEASE)
    origin = make_engine(f"sqlite:///{source}")
    try:
        read, write = MetaData(), MetaData()
        with warnings.catch_warnings():  # expression indexes are not reflected: not needed
            warnings.simplefilter("ignore")
            read.reflect(origin)
            write.reflect(target)
        with origin.connect() as reading, target.begin() as writing:
            writing.execute(text("SET TIME ZONE 'UTC'"))  # SQLite's times are UTC, unzoned
            for table in reversed(write.sorted_tables):  # rows the migrations seeded
                if table.name != migrate.VERSION_TABLE:
                    writing.execute(table.delete())
            for table in write.sorted_tables:
                if table.name == migrate.VERSION_TABLE:
                    continue
                rows = [
                    dict(row._mapping) for row in reading.execute(select(read.tables[table.name]))
                ]
                writing.execute(table.insert(), rows)
                for column in table.primary_key.columns:
                    sequence = writing.execute(
                        text("SELECT pg_get_serial_sequence(:table, :column)"),
                        {"table": table.name, "column": column.name},
                    ).scalar()
                    if sequence is not None:
                        writing.execute(
                            text(
                                f'SELECT setval(:sequence, (SELECT max("{column.name}") '
                                f'FROM "{table.name}"))'
                            ),
                            {"sequence": sequence},
                        )
    finally:
        origin.dispose()
        target.dispose()


@pytest.mark.postgres
def test_the_previous_release_upgrades_on_postgresql(
    cli: Any, old_home: Path, monkeypatch: pytest.MonkeyPatch, pg_template: str
) -> None:
    from tests.conftest import pg_database

    before = _rows(old_home / "hanoix.db")
    with pg_database(template=None) as url:
        _copy_rows(old_home / "hanoix.db", url)
        (old_home / "hanoix.db").unlink()
        monkeypatch.setenv("HANOIX_DATABASE_URL", url)
        upgraded = cli("--home", old_home, "init", "--json")
        assert upgraded.exit_code == 0, upgraded.stderr
        assert upgraded.json()["schema"] == migrate.HEAD_REVISION
        listed = cli("--home", old_home, "request", "list", "--as", "officer", "--json")
        assert listed.exit_code == 0, listed.stderr
        assert {i["reference"] for i in listed.json()["items"]} == {
            row[1] for row in before["requests"]
        }
        verified = cli("--home", old_home, "ledger", "verify", "--json")
        assert verified.exit_code == 0, verified.stderr
        assert verified.json()["checkpoints_checked"] == len(before["ledger_checkpoints"])
        # New rows take new keys: the sequences continue after the copied rows.
        drafted = cli("--home", old_home, "ledger", "append", _event(old_home))
        assert drafted.exit_code == 0, drafted.stderr


def _event(home: Path) -> Path:
    import json

    path = home.parent / "event.json"
    path.write_text(
        json.dumps(
            {
                "kind": "request.created",
                "actor": "clerk:anna",
                "authority": "AUT-CA",
                "at": "2026-12-05T10:00:00Z",
                "subject": {"request": "AUT-2026-000099"},
                "details": {},
            }
        )
    )
    return path
