"""Make the upgrade fixture: a node's home whose database is at the previous release's schema,
with rows in every table (tests/store/test_upgrade_fixture.py upgrades it and uses it).

The demo's case is played on three nodes; Austria's home is kept: its database holds the
requests, custody ledger, envelopes, receipts, a received package, cosignatures, users, tokens
and the treaty data. The few tables the case leaves empty get a row each (a request drafted
with an Idempotency-Key, a failed sign-in, a refused envelope, a split view of a peer's log).
Then the schema is taken down to :data:`RELEASE` with the migrations' own downgrades, and the
home (database, keys, configuration, packages) is written to ``OUT``.

The fixture is committed; run this again only to move it to a newer release (change RELEASE to
that release's last migration, and run it from that release's code):

    .venv/bin/python scripts/make_upgrade_fixture.py [OUT]

OUT defaults to tests/store/fixtures/release-0015. Its keys are the fixture's own, made for it:
they protect nothing.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

import httpx
from alembic import command

from hanoix.config import load_settings
from hanoix.demo import PASSWORD, Demo, preservation_draft
from hanoix.ledger.witness import SplitViewEvidence
from hanoix.services.node import Node
from hanoix.store import federation as federation_store
from hanoix.store import ledger as ledger_store
from hanoix.store import migrate
from hanoix.store.db import make_engine

REPO = Path(__file__).resolve().parents[1]
RELEASE = "0015_deadline_counts"
DEFAULT_OUT = REPO / "tests" / "store" / "fixtures" / "release-0015"
#: What of a home the fixture keeps (logs, locks, sockets and derived copies are left out).
KEPT = ("hanoix.db", "hanoix.toml", "federation.toml", "directory-trust.pub", "keys", "blobs")


def _fill(demo: Demo) -> None:
    """Rows for the tables the demo's case leaves empty."""
    demo.call(
        "AUT",
        "officer",
        "POST",
        "/requests",
        body=preservation_draft(),
        expect=201,
        headers={"Idempotency-Key": "upgrade-fixture-1"},
    )
    failed = httpx.post(
        f"{demo.nodes['AUT'].url}/api/v1/auth/login",
        json={"username": "officer", "password": PASSWORD + "-wrong"},
        timeout=10,
    )
    if failed.status_code != 401:
        raise SystemExit(f"a wrong password was answered {failed.status_code}, not 401")


def _fill_offline(home: Path) -> None:
    node = Node.open(load_settings(home, environ={}))
    try:
        now = node.clock.now()
        with node.unit_of_work() as session:
            federation_store.count_refusal(
                session, "zaf.demo.hanoix", "bad-signature", "upgrade fixture: refused", now
            )
            ledger_store.add_split_view(
                session,
                SplitViewEvidence(
                    origin="zaf.demo.hanoix",
                    first_note="zaf.demo.hanoix\n3\nAAAA\n",
                    second_note="zaf.demo.hanoix\n3\nBBBB\n",
                    first_size=3,
                    second_size=3,
                    reason="two roots for one size (upgrade fixture)",
                ),
                now,
            )
    finally:
        node.close()


def _downgrade(database: Path) -> None:
    engine = make_engine(f"sqlite:///{database}")
    try:
        config = migrate.alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, RELEASE)
        if migrate.current_revision(engine) != RELEASE:
            raise SystemExit(f"the database did not come down to {RELEASE}")
    finally:
        engine.dispose()


def _check_and_compact(database: Path) -> dict[str, int]:
    connection = sqlite3.connect(database)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        counts = {
            name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
            for name in names
        }
        empty = [name for name, count in counts.items() if not count]
        if empty:
            raise SystemExit(f"tables left empty: {', '.join(empty)}")
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.execute("VACUUM")
    finally:
        connection.close()
    return counts


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="hanoix-upgrade-fixture-") as folder:
        demo = Demo(Path(folder) / "demo", notice=print)
        try:
            demo.setup()
            if not demo.play():
                failed = [r.as_dict() for r in demo.results if not r.ok]
                raise SystemExit(f"the demo's case failed: {failed}")
            _fill(demo)
        finally:
            demo.stop()
        home = demo.nodes["AUT"].home
        _fill_offline(home)
        _downgrade(home / "hanoix.db")
        counts = _check_and_compact(home / "hanoix.db")
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        for name in KEPT:
            source = home / name
            if source.is_dir():
                shutil.copytree(source, out / name)
            elif source.is_file():
                shutil.copy2(source, out / name)
    print(f"{out}: schema {RELEASE}; rows per table: {counts}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
