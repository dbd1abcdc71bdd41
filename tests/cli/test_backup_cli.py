"""``hanoix backup``: a node backed up comes back whole, on SQLite and PostgreSQL; a bad backup,
a wrong passphrase or a home that is not empty are refused and change nothing."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from hanoix.config import load_settings
from hanoix.services import backup as backup_service
from hanoix.services.node import Node
from hanoix.store.federation import add_transfer, get_transfer, update_transfer
from tests.conftest import pg_database
from tests.seaweedfs import BUCKET

PACKAGE = b"hanoix-package bytes, sealed to their recipient"


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    # scrypt's cost is recorded in the backup; a test need not pay the real one.
    monkeypatch.setattr(backup_service, "SCRYPT_LOG_N", 10)


@pytest.fixture
def passphrase(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase"
    path.write_text("correct horse battery staple\n")
    return path


both = pytest.mark.parametrize(
    "own_database",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
sqlite_only = pytest.mark.parametrize("own_database", ["sqlite"], indirect=True)


@pytest.fixture
def node_home(
    cli: Any, tmp_path: Path, own_database: str | None, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A node of Austria with custody entries, a signed checkpoint and one stored package."""
    if own_database is not None:
        monkeypatch.setenv("HANOIX_DATABASE_URL", own_database)  # the cli fixture unset it
    home = tmp_path / "aut"
    assert cli("--home", home, "init", "--state", "AUT", "--origin", "aut.test").exit_code == 0
    events = tmp_path / "events.json"
    events.write_text(
        json.dumps(
            [
                {
                    "kind": "request.created",
                    "actor": "clerk:anna",
                    "authority": "AUT-CA",
                    "at": f"2026-11-23T10:0{n}:00Z",
                    "subject": {"request": f"AUT-2026-00000{n}"},
                    "details": {},
                }
                for n in range(3)
            ]
        )
    )
    assert cli("--home", home, "ledger", "append", events).exit_code == 0
    assert cli("--home", home, "ledger", "checkpoint", "--json").exit_code == 0
    node = Node.open(load_settings(home))
    try:
        _store_package(node)
        with node.unit_of_work() as session:
            # A package half received from Viet Nam: its chunks are staged, not backed up.
            add_transfer(
                session,
                id="b" * 32,
                direction="in",
                peer="vnm.test",
                sha256="c" * 64,
                size=1000,
                now=node.clock.now(),
            )
            update_transfer(session, "b" * 32, node.clock.now(), offset=400)
    finally:
        node.close()
    return home


def _store_package(node: Node) -> str:
    """A package sent for a request: stored, and named by its outgoing transfer."""
    key = node.blobs.put(io.BytesIO(PACKAGE))
    with node.unit_of_work() as session:
        add_transfer(
            session,
            id="a" * 32,
            direction="out",
            peer="vnm.test",
            sha256=key.removeprefix("sha256:"),
            size=len(PACKAGE),
            now=node.clock.now(),
            blob_key=key,
        )
    return key


@contextmanager
def restored_database(database: str | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Where the restored node's database goes: the new home's SQLite file, or a new, empty
    PostgreSQL database (named in the environment, as an operator would)."""
    if database is None:
        yield
        return
    with pg_database(template=None) as url:
        monkeypatch.setenv("HANOIX_DATABASE_URL", url)
        yield


@both
def test_a_node_backed_up_comes_back_whole(
    cli: Any,
    node_home: Path,
    tmp_path: Path,
    passphrase: Path,
    own_database: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = cli(
        "--home", node_home, "backup", "create", "-o", tmp_path / "aut.hxb",
        "--passphrase-file", passphrase, "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    summary = made.json()
    assert summary["node"] == {"origin": "aut.test", "state": "AUT"}
    assert summary["packages"] == 1 and summary["key_files"] >= 4
    before = cli("--home", node_home, "ledger", "verify", "--json").json()

    checked = cli(
        "backup", "verify", tmp_path / "aut.hxb", "--passphrase-file", passphrase, "--json"
    )
    assert checked.exit_code == 0 and checked.json()["authenticated"] is True

    restored_home = tmp_path / "restored"
    with restored_database(own_database, monkeypatch):
        _restore_and_check(cli, tmp_path, passphrase, node_home, restored_home, before)


def _restore_and_check(
    cli: Any, tmp_path: Path, passphrase: Path, node_home: Path, restored_home: Path, before: Any
) -> None:
    done = cli(
        "backup", "restore", tmp_path / "aut.hxb", "--home", restored_home,
        "--passphrase-file", passphrase, "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert done.json()["schema_current"] is True
    after = cli("--home", restored_home, "ledger", "verify", "--json")
    assert after.exit_code == 0, after.stderr
    assert after.json()["root_hash"] == before["root_hash"]
    assert after.json()["entries"] == before["entries"] == 3
    # The same keys: the next checkpoint is signed by the same ledger key, of the same log.
    assert (restored_home / "keys" / "ledger.key").read_bytes() == (
        node_home / "keys" / "ledger.key"
    ).read_bytes()
    assert oct((restored_home / "keys" / "ledger.key").stat().st_mode & 0o777) == "0o600"
    assert done.json()["transfers_restarted"] == 1
    restored = Node.open(load_settings(restored_home))
    try:
        with restored.blobs.get("sha256:" + _sha256(PACKAGE)) as handle:
            assert handle.read() == PACKAGE
        with restored.unit_of_work() as session:
            # The half-received package starts over: its sender resumes from the first byte.
            half = get_transfer(session, "b" * 32)
            assert half is not None and half.offset == 0 and half.status == "open"
    finally:
        restored.close()
    assert not list(tmp_path.glob(".restored.restoring-*"))


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


@sqlite_only
def test_a_bad_backup_or_passphrase_or_a_live_home_changes_nothing(
    cli: Any, node_home: Path, tmp_path: Path, passphrase: Path
) -> None:
    archive = tmp_path / "aut.hxb"
    assert cli("--home", node_home, "backup", "create", "-o", archive,
               "--passphrase-file", passphrase).exit_code == 0  # fmt: skip
    # The output is never overwritten.
    again = cli(
        "--home", node_home, "backup", "create", "-o", archive, "--passphrase-file", passphrase
    )
    assert again.exit_code == 2 and "exists already" in again.stderr

    wrong = tmp_path / "wrong"
    wrong.write_text("not it\n")
    target = tmp_path / "new-home"
    refused = cli("backup", "restore", archive, "--home", target, "--passphrase-file", wrong)
    assert refused.exit_code == 1 and "passphrase does not open" in refused.stderr
    assert cli("backup", "verify", archive, "--passphrase-file", wrong).exit_code == 1

    data = archive.read_bytes()
    cut = tmp_path / "cut.hxb"
    cut.write_bytes(data[: len(data) // 2])
    refused = cli("backup", "restore", cut, "--home", target, "--passphrase-file", passphrase)
    assert refused.exit_code == 1 and "truncated" in refused.stderr
    verified = cli("backup", "verify", cut, "--json")
    assert verified.exit_code == 1 and verified.json()["error"] == "backup-invalid"

    # Another node's live home: named in the refusal, and left as it was.
    other = tmp_path / "vnm"
    assert cli("--home", other, "init", "--state", "VNM", "--origin", "vnm.test").exit_code == 0
    listing = sorted(p.name for p in other.iterdir())
    refused = cli("backup", "restore", archive, "--home", other, "--passphrase-file", passphrase)
    assert refused.exit_code == 2
    assert "holds the node vnm.test (VNM)" in refused.stderr and "aut.test" in refused.stderr
    assert sorted(p.name for p in other.iterdir()) == listing
    # Its own home, still there: not empty, so refused too.
    refused = cli(
        "backup", "restore", archive, "--home", node_home, "--passphrase-file", passphrase
    )
    assert refused.exit_code == 2 and "is not empty" in refused.stderr

    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if ".restoring-" in p.name]
    # The backup itself still restores after all this.
    ok = cli("backup", "restore", archive, "--home", target, "--passphrase-file", passphrase)
    assert ok.exit_code == 0, ok.stderr
    users = sqlite3.connect(target / "hanoix.db").execute("SELECT count(*) FROM alembic_version")
    assert users.fetchone() == (1,)


@sqlite_only
def test_usage_errors_say_what_to_fix(
    cli: Any, node_home: Path, tmp_path: Path, passphrase: Path
) -> None:
    empty = tmp_path / "empty"
    empty.write_text("")
    result = cli("--home", node_home, "backup", "create", "-o", tmp_path / "x.hxb",
                 "--passphrase-file", empty)  # fmt: skip
    assert result.exit_code == 2 and "is empty" in result.stderr
    result = cli("backup", "restore", tmp_path / "x.hxb", "--passphrase-file", empty)
    assert result.exit_code == 2 and "--home DIR" in result.stderr
    result = cli("backup", "verify", tmp_path / "missing.hxb")
    assert result.exit_code == 2 and "cannot read the backup" in result.stderr
    archive = tmp_path / "aut.hxb"
    words = ("--home", node_home, "backup", "create", "-o", archive, "--passphrase-file")
    assert cli(*words, passphrase).exit_code == 0
    # A folder nobody can write in (even root cannot create folders in /proc): a message, no
    # traceback, nothing left behind.
    result = cli("backup", "restore", archive, "--home", "/proc/hanoix-test/home",
                 "--passphrase-file", passphrase)  # fmt: skip
    assert result.exit_code == 2 and "cannot restore into /proc/hanoix-test/home" in result.stderr


@pytest.mark.slow
@sqlite_only
def test_packages_in_an_object_store_are_backed_up_and_restored_into_the_store_named(
    cli: Any,
    tmp_path: Path,
    passphrase: Path,
    own_database: None,
    seaweedfs: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweedfs["access"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweedfs["secret"])
    prefix = os.urandom(6).hex()

    def store(name: str) -> str:
        return f"s3://{BUCKET}/{prefix}-{name}?endpoint={seaweedfs['endpoint']}"

    monkeypatch.setenv("HANOIX_BLOB_URL", store("live"))
    home = tmp_path / "aut"
    assert cli("--home", home, "init", "--state", "AUT", "--origin", "aut.test").exit_code == 0
    node = Node.open(load_settings(home))
    try:
        key = _store_package(node)
    finally:
        node.close()
    archive = tmp_path / "aut.hxb"
    made = cli("--home", home, "backup", "create", "-o", archive, "--passphrase-file", passphrase)
    assert made.exit_code == 0, made.stderr

    monkeypatch.setenv("HANOIX_BLOB_URL", store("restored"))
    restored_home = tmp_path / "restored"
    done = cli(
        "backup", "restore", archive, "--home", restored_home, "--passphrase-file", passphrase
    )
    assert done.exit_code == 0, done.stderr
    assert not (restored_home / "blobs").exists()  # into the store, not the folder
    restored = Node.open(load_settings(restored_home))
    try:
        with restored.blobs.get(key) as handle:
            assert handle.read() == PACKAGE
    finally:
        restored.close()


@sqlite_only
def test_a_backup_made_for_a_recipient_key_opens_with_that_key_alone(
    cli: Any, node_home: Path, tmp_path: Path, passphrase: Path
) -> None:
    keys = tmp_path / "backup-keys"
    assert cli("keys", "new", "--out", keys, "--authority", "AUT backups").exit_code == 0
    archive = tmp_path / "aut.hxb"
    # No passphrase anywhere: the machine making backups holds the public key only.
    made = cli("--home", node_home, "backup", "create", "-o", archive,
               "--to", keys / "encryption.pub", "--json")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    refused = cli("backup", "restore", archive, "--home", tmp_path / "x",
                  "--passphrase-file", passphrase)  # fmt: skip
    assert refused.exit_code == 1 and "give --key" in refused.stderr
    checked = cli("backup", "verify", archive, "--key", keys / "encryption.key", "--json")
    assert checked.exit_code == 0 and checked.json()["authenticated"] is True
    done = cli("backup", "restore", archive, "--home", tmp_path / "restored",
               "--key", keys / "encryption.key")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert (tmp_path / "restored" / "keys" / "ledger.key").read_bytes() == (
        node_home / "keys" / "ledger.key"
    ).read_bytes()


@sqlite_only
def test_a_node_set_up_without_an_origin_is_named_by_its_ledgers(
    cli: Any, tmp_path: Path, passphrase: Path, own_database: str | None
) -> None:
    home = tmp_path / "plain"
    assert cli("--home", home, "init", "--state", "AUT").exit_code == 0
    made = cli("--home", home, "backup", "create", "-o", tmp_path / "p.hxb",
               "--passphrase-file", passphrase, "--json")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    origin = made.json()["node"]["origin"]
    key = cli("--home", home, "ledger", "key", "--json").json()
    assert origin and origin == key["origin"]
