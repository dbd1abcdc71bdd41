"""A backup taken while the node writes is one instant of it: restored, its ledger verifies."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from hanoix.config import load_settings
from hanoix.ledger.events import load_events
from hanoix.services.backup import create_backup, restore_backup
from hanoix.services.node import Node
from tests.conftest import need_pg_dump, pg_database

PASSPHRASE = b"a passphrase for the test"


def _event(number: int) -> bytes:
    return json.dumps(
        {
            "kind": "request.created",
            "actor": "clerk:anna",
            "authority": "AUT-CA",
            "at": "2026-11-23T10:00:00Z",
            "subject": {"request": f"AUT-2026-{number:06d}"},
            "details": {},
        }
    ).encode()


def test_a_backup_taken_while_the_ledger_grows_restores_to_a_log_that_verifies(
    node: Node, tmp_path: Path, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        need_pg_dump()
    ledger = node.custody_ledger
    ledger.append(load_events(_event(0)))
    ledger.checkpoint()
    appended = [1]
    stop = threading.Event()
    started = threading.Event()

    def keep_appending() -> None:
        while not stop.is_set():
            ledger.append(load_events(_event(appended[0])))
            appended[0] += 1
            if appended[0] > 3:
                started.set()

    writer = threading.Thread(target=keep_appending)
    writer.start()
    try:
        assert started.wait(30)
        create_backup(node, tmp_path / "node.hxb", PASSPHRASE, log_n=10)
        during = appended[0]
    finally:
        stop.set()
        writer.join(30)
    home = tmp_path / "restored"
    if db_url.startswith("sqlite"):
        restore_backup(tmp_path / "node.hxb", home, PASSPHRASE, environ={})
        _check(home, {}, during)
    else:
        with pg_database(template=None) as url:
            environ = {"HANOIX_DATABASE_URL": url}
            restore_backup(tmp_path / "node.hxb", home, PASSPHRASE, environ=environ)
            _check(home, environ, during)


def _check(home: Path, environ: dict[str, str], during: int) -> None:
    restored = Node.open(load_settings(home, environ=environ))
    try:
        report = restored.custody_ledger.verify()
        # The copy is the log as one append left it: whole, at a size the writer reached.
        assert 4 <= report.entries <= during + 1
        assert report.checkpoints_checked >= 1
    finally:
        restored.close()
