"""A backup is one instant of the node: taken while it writes, its ledger verifies once restored;
taken during a delivery, the restored node delivers again without a second effect."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from hanoix.config import load_settings
from hanoix.errors import ConfigurationError
from hanoix.ledger.events import load_events
from hanoix.services.backup import create_backup, restore_backup
from hanoix.services.node import Node
from hanoix.store import federation as store
from hanoix.store.backup_archive import ArchiveWriter
from tests.conftest import need_pg_dump, pg_database
from tests.federation.builders import Member, Router, make_network, worker_for
from tests.services.federation_world import inbox, outbox, send

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


def test_an_envelope_in_the_backups_outbox_is_delivered_again_without_a_second_effect(
    tmp_path: Path,
) -> None:
    # The backup's promise for a delivery (docs/operations.md): an envelope still in the
    # backup's outbox is sent again after the restore, and the peer that had it already
    # answers the repeat with its first receipt, with no second effect.
    network = make_network(tmp_path / "net", ["a", "b"])
    try:
        sender = network["a"]
        envelope_id = send(network, "a", "b", text="preserve the account")
        archive = tmp_path / "a.hxb"
        create_backup(sender.node, archive, PASSPHRASE, log_n=10)  # the envelope is pending
        worker_for(sender, Router(network)).drain()
        assert outbox(network, "a")[envelope_id].status == store.DELIVERED
        (first,) = inbox(network, "b")

        # Node a is lost and comes back from the backup, where the envelope was not delivered.
        restored_home = tmp_path / "a-restored"
        restore_backup(archive, restored_home, PASSPHRASE, environ={})
        settings = sender.node.settings
        sender.node.close()
        node = Node.open(
            load_settings(
                restored_home,
                environ={},
                state=settings.state,
                origin=settings.origin,
                port=settings.port,
            ),
            clock=sender.clock,
            federation_settings=sender.node.federation_settings,
        )
        restored = Member("a", node, node.federation, sender.clock)
        network.members["a"] = restored
        assert outbox(network, "a")[envelope_id].status == store.PENDING

        worker_for(restored, Router(network)).drain()
        item = outbox(network, "a")[envelope_id]
        assert item.status == store.DELIVERED
        (again,) = inbox(network, "b")  # one message, one effect
        assert again.envelope_id == first.envelope_id and again.duplicates == 1
        with node.unit_of_work() as session:
            receipt = store.get_receipt(session, envelope_id)
        assert receipt is not None
    finally:
        network.close()


def test_a_backup_of_a_newer_schema_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    archive = tmp_path / "future.hxb"
    with archive.open("wb") as out:
        writer = ArchiveWriter(
            out,
            {"node": {"origin": "aut.test", "state": "AUT"}, "schema": "0999_future",
             "hanoix": "9.0.0", "database": "sqlite"},
            PASSPHRASE,
            log_n=10,
        )  # fmt: skip
        writer.add_secrets([])
        writer.finish()
    with pytest.raises(ConfigurationError, match=r"0999_future.*version that made it, 9\.0\.0"):
        restore_backup(archive, tmp_path / "home", PASSPHRASE, environ={})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["future.hxb"]
