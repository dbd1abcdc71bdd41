"""A full disk (a small tmpfs, see tests/faults/disk.py) under every writer of the node: evidence
packed onto it and opened into it, a node's SQLite database filling it, an evidence transfer
received onto it by a running node.

Each time: a clear error (the CLI's one line and exit 2; a 507 problem document with
Retry-After over HTTP), nothing half-written left behind (no partial package or file, the
database consistent), and everything usable again once there is space.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.config import load_settings
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from tests.faults.disk import files_under, fill, free_bytes, resize, small_disk
from tests.services import requests_world as world

pytestmark = pytest.mark.timeout(300)

BIG = 12 * 1024 * 1024  # more than the 8 MiB disk


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


@pytest.fixture
def keys(cli: Any, tmp_path: Path) -> Path:
    for name in ("aut", "vnm"):
        made = cli("keys", "new", "--out", tmp_path / name, "--state", name.upper())
        assert made.exit_code == 0, made.stderr
    return tmp_path


def pack(cli: Any, keys: Path, source: Path, out: Path) -> Any:
    return cli(
        "evidence", "pack", source, "--sign-key", keys / "aut" / "signing.key",
        "--to", keys / "vnm" / "encryption.pub", "-o", out,
    )  # fmt: skip


def big_source(tmp_path: Path) -> Path:
    source = tmp_path / "seized"
    (source / "disk").mkdir(parents=True)
    (source / "notes.txt").write_text("imaged on 2026-11-20\n")
    (source / "disk" / "image.bin").write_bytes(os.urandom(BIG))
    return source


def test_a_package_packed_onto_a_full_disk_fails_in_one_line_and_leaves_nothing(
    cli: Any, keys: Path, tmp_path: Path
) -> None:
    source = big_source(tmp_path)
    with small_disk(tmp_path / "disk") as disk:
        result = pack(cli, keys, source, disk / "case.hxev")
        assert result.exit_code == 2
        line = one_error_line(result.stderr)
        assert "No space left on device" in line and "case.hxev" in line
        assert files_under(disk) == []  # no partial package, no temporary file
        # The same command with room for it works, on the same disk.
        resize(disk, "64m")
        assert pack(cli, keys, source, disk / "case.hxev").exit_code == 0
        assert cli("evidence", "verify", disk / "case.hxev").exit_code == 0


def test_a_package_opened_onto_a_full_disk_fails_in_one_line_and_writes_nothing(
    cli: Any, keys: Path, tmp_path: Path
) -> None:
    package = tmp_path / "case.hxev"
    assert pack(cli, keys, big_source(tmp_path), package).exit_code == 0
    key = keys / "vnm" / "encryption.key"
    with small_disk(tmp_path / "disk") as disk:
        (disk / "existing").mkdir()
        (disk / "existing" / "mine.txt").write_text("the examiner's own file\n")
        for out in (disk / "new", disk / "existing"):
            result = cli("evidence", "open", package, "--key", key, "-o", out)
            assert result.exit_code == 2
            assert "No space left on device" in one_error_line(result.stderr)
            # Nothing of the package, not even a staging folder; the examiner's file kept.
            assert files_under(disk) == ["existing", "existing/mine.txt"]
        resize(disk, "64m")
        opened = cli("evidence", "open", package, "--key", key, "-o", disk / "new")
        assert opened.exit_code == 0, opened.stderr
        assert (disk / "new" / "seized" / "disk" / "image.bin").stat().st_size == BIG


def _events(count: int, start: int) -> list[dict[str, Any]]:
    return [
        {
            "kind": "package.sealed",
            "actor": "examiner:ngo.van.a",
            "authority": "AUT-CA",
            "at": "2026-11-23T12:00:00Z",
            "subject": {"request": f"AUT-2026-{start + n:04d}"},
            "details": {"note": "n" * 20_000},
        }
        for n in range(count)
    ]


def test_a_node_whose_database_fills_its_disk_refuses_cleanly_and_stays_consistent(
    cli: Any, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        home = disk / "home"
        assert cli("--home", home, "init").exit_code == 0
        node = Node.open(load_settings(home, environ={}, state="AUT"))
        try:
            world.populate(node)
            headers = world.token(node, "drafter")
            batch = tmp_path / "batch.json"
            appended = 0
            refused = None
            for round_number in range(200):
                batch.write_text(json.dumps(_events(20, appended)))
                result = cli("--home", home, "ledger", "append", batch)
                if result.exit_code != 0:
                    refused = result
                    break
                appended += 20
                assert round_number < 199, "the disk never filled"
            assert refused is not None and refused.exit_code == 2
            assert "the node's storage is full" in one_error_line(refused.stderr)
            assert free_bytes(disk) < 1024 * 1024

            # Over HTTP, once the last free byte is taken: a problem document, not a 500.
            fill(disk / "ballast")
            # (SQLite still commits into the pages its journal already holds: go on until then.)
            with TestClient(create_app(node)) as client:
                for _ in range(1000):
                    answer = client.post("/api/v1/requests", json=world.document(), headers=headers)
                    if answer.status_code != 201:
                        break
            assert answer.status_code == 507, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["type"].endswith("/storage-full")
            assert int(answer.headers["retry-after"]) >= 1

            # Nothing half-written: the database is consistent and the refused batch absent.
            with sqlite3.connect(home / "hanoix.db") as database:
                assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert _appended(node) == appended
            assert cli("--home", home, "ledger", "verify").exit_code == 0

            # Space freed: the same node goes on.
            (disk / "ballast").unlink()
            resize(disk, "64m")
            assert cli("--home", home, "ledger", "append", batch).exit_code == 0
            with TestClient(create_app(node)) as client:
                created = client.post("/api/v1/requests", json=world.document(), headers=headers)
            assert created.status_code == 201, created.text
            assert cli("--home", home, "ledger", "verify").exit_code == 0
        finally:
            node.close()


def _appended(node: Node) -> int:
    """How many of the test's events the ledger holds."""
    return sum(
        1
        for entry in CustodyLedger(node).entries()
        if json.loads(entry.entry)["actor"] == "examiner:ngo.van.a"
    )


@pytest.mark.slow
def test_a_transfer_received_onto_a_full_disk_waits_for_space_then_arrives_once(
    tmp_path: Path,
) -> None:
    from hanoix.evidence.verify import verify
    from hanoix.ledger.events import EventKind
    from hanoix.store import federation as store
    from tests.federation.builders import write_package
    from tests.federation.multinode import start_cluster, wait_until

    # Viet Nam's whole home (database, staged transfers, blobs) is on the small disk.
    with small_disk(tmp_path / "vnm") as disk:
        cluster = start_cluster(
            tmp_path, ["aut", "vnm"], federation={"chunk_size": 1024 * 1024, "backoff_cap": 0.5}
        )
        try:
            aut, vnm = cluster["aut"], cluster["vnm"]
            package = write_package(tmp_path, BIG, 7)
            with aut.node.unit_of_work() as session:
                sent = aut.federation.send_package(session, vnm.origin, package).header.id

            def last_error() -> str:
                with aut.node.unit_of_work() as session:
                    item = store.get_outbox(session, sent)
                assert item is not None and item.status == store.PENDING, item
                return item.last_error or ""

            assert wait_until(lambda: "507" in last_error(), 120), (last_error(), vnm.log_tail())
            assert free_bytes(disk) < 1024 * 1024
            assert "storage-full" in last_error() or "storage is full" in last_error()
            log = vnm.log_tail(lines=100_000)
            assert "Traceback" not in log, log[-3000:]
            assert vnm.process is not None and vnm.process.poll() is None

            resize(disk, "64m")  # space freed: the transfer resumes where it stopped
            with aut.node.unit_of_work() as session:
                assert store.get_outbox(session, sent) is not None
            assert wait_until(
                lambda: (item := _outbox(aut, sent)) is not None and item.status == "delivered",
                120,
            ), (last_error(), vnm.log_tail())
            with vnm.node.unit_of_work() as session:
                (transfer,) = store.list_transfers(session, "in")
            assert transfer.status == "verified" and transfer.blob_key is not None
            with vnm.node.blobs.get(transfer.blob_key) as handle:
                assert verify(handle).package_id == transfer.package_id
            received = [
                entry
                for entry in CustodyLedger(vnm.node).entries()
                if json.loads(entry.entry)["kind"] == EventKind.PACKAGE_RECEIVED.value
            ]
            assert len(received) == 1
            CustodyLedger(vnm.node).verify()
            with sqlite3.connect(vnm.home / "hanoix.db") as database:
                assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert not list((vnm.home / "federation" / "incoming").glob("*.part"))
        finally:
            cluster.stop()


def _outbox(member: Any, envelope_id: str) -> Any:
    from hanoix.store import federation as store

    with member.node.unit_of_work() as session:
        return store.get_outbox(session, envelope_id)
