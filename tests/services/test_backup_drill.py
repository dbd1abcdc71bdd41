"""The restore drill: the demo's case played, Austria's node backed up while it serves, its home
destroyed, the backup restored; then everything is found again and the node federates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hanoix.demo import Demo, preservation_draft
from hanoix.services import exchange
from hanoix.services import requests as request_service
from hanoix.services.backup import restore_backup
from hanoix.services.evidence import Actor, load_decryption_key
from tests.conftest import PG_ADMIN_URL

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "drill passphrase, kept apart from the backup"


def _hanoix(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANOIX_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "hanoix", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def _requests(demo: Demo) -> list[tuple[str, str]]:
    listed = demo.get("AUT", "officer", "/requests")["items"]
    return sorted((r["reference"], r["status"]) for r in listed)


def _ledger(demo: Demo) -> dict[str, Any]:
    """Austria's ledger recomputed and checked against every checkpoint, and its key."""
    ledger = demo.nodes["AUT"].node.custody_ledger
    return {**ledger.verify().as_dict(), "key": ledger.verifier.vkey}


def _open(demo: Demo, mla: str, folder: Path) -> dict[str, bytes]:
    member = demo.nodes["AUT"]
    node = member.node
    officer = request_service.user_named(node, "officer")
    received = exchange.received_evidence(node, officer, mla)[-1]
    exchange.open_evidence(
        node,
        officer,
        mla,
        received.package_id,
        load_decryption_key(member.keys("247") / "encryption.key"),
        folder,
        actor=Actor("officer", member.authority("247")),
    )
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _recreate_empty(url: str) -> None:
    """The lost database server comes back empty, at the same address."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


@pytest.mark.slow
@pytest.mark.parametrize(
    "own_database",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_austria_restored_from_a_backup_has_everything_and_federates_again(
    tmp_path: Path, own_database: str | None
) -> None:
    austria_database = own_database  # None: its home's SQLite file
    urls = {"AUT": austria_database} if austria_database else {}
    demo = Demo(tmp_path / "demo", database_urls=urls)
    try:
        demo.setup()
        assert demo.play(), [r.as_dict() for r in demo.results if not r.ok]
        preservation, mla = demo.facts["preservation"], demo.facts["mla"]
        aut = demo.nodes["AUT"]
        home = aut.home
        requests_before = _requests(demo)
        opened_before = _open(demo, mla, tmp_path / "opened-before")
        ledger_before = _ledger(demo)

        # The backup, taken by the command while the server runs.
        passphrase = tmp_path / "passphrase"
        passphrase.write_text(PASSPHRASE + "\n")
        archive = tmp_path / "aut.hxb"
        made = _hanoix(
            "--home", str(home), "backup", "create", "-o", str(archive),
            "--passphrase-file", str(passphrase),
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert aut.process is not None and aut.process.poll() is None  # it served throughout

        # The disaster: the server stops, its home (and database) are gone.
        demo.stop_node("AUT")
        shutil.rmtree(home)
        if austria_database is not None:
            _recreate_empty(austria_database)

        summary = restore_backup(archive, home, PASSPHRASE.encode(), environ={})
        assert summary["schema_current"] is True
        demo.start_node("AUT")

        # Every request, every custody entry, the same log under the same key.
        assert _requests(demo) == requests_before
        assert {preservation, mla} <= {ref for ref, _ in requests_before}
        ledger_after = _ledger(demo)
        for same in ("origin", "entries", "root_hash", "key"):
            assert ledger_after[same] == ledger_before[same], same
        # Every package opens again, to the same files.
        assert _open(demo, mla, tmp_path / "opened-after") == opened_before
        ledger_after = _ledger(demo)  # the opening is a custody entry of its own

        # Federating again, both ways: a new request reaches Viet Nam, and Viet Nam's receipt
        # of it comes back.
        created = demo.call(
            "AUT", "officer", "POST", "/requests", body=preservation_draft(), expect=201
        ).json()
        fresh = created["reference"]
        demo.step("AUT", "officer", fresh, "submit")
        demo.step("AUT", "supervisor", fresh, "approve")
        demo.step("AUT", "officer", fresh, "send")
        demo.wait_for("VNM", "officer", fresh, "received")
        demo.wait_for("AUT", "officer", fresh, "received")

        # The log continued: its earlier checkpoints still verify against the longer log.
        ledger_later = _ledger(demo)
        assert ledger_later["entries"] > ledger_after["entries"]
        assert ledger_later["checkpoints_checked"] >= ledger_after["checkpoints_checked"]
        assert ledger_later["origin"] == ledger_before["origin"]
    finally:
        demo.stop()
