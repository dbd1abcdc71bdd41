"""The backup archive: what it holds reads back, and every kind of damage is refused."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hanoix.errors import InputError
from hanoix.evidence.keys import DecryptionKey
from hanoix.store.backup_archive import (
    MANIFEST_NAME,
    ArchiveWriter,
    BackupError,
    PassphraseError,
    SecretFile,
    read_backup,
)

PASSPHRASE = b"correct horse battery staple"
CHEAP = 10  # scrypt's cost in tests; the format records it, the reader follows it


def _write(path: Path, *, packages: int = 2) -> None:
    with path.open("wb") as out:
        writer = ArchiveWriter(out, {"node": {"origin": "aut.test"}}, PASSPHRASE, log_n=CHEAP)
        writer.add_secrets(
            [
                SecretFile("keys/ledger.key", b"secret ledger key\n", 0o600),
                SecretFile("config/hanoix.toml", b'state = "AUT"\n', 0o644),
            ]
        )
        database = path.with_name("db.bin")
        database.write_bytes(b"D" * 70_000)
        writer.add_file("database/hanoix.sqlite3", database)
        for n in range(packages):
            data = bytes([n]) * (1000 + n)
            writer.add_stream(f"blobs/sha256/{n:064x}", io.BytesIO(data), len(data))
        writer.finish()


@pytest.fixture
def backup(tmp_path: Path) -> Path:
    path = tmp_path / "node.hxb"
    _write(path)
    return path


def test_a_backup_reads_back_whole_with_its_secrets(backup: Path) -> None:
    seen: dict[str, bytes] = {}
    found = read_backup(
        backup, PASSPHRASE, lambda name, size, stream: seen.update({name: stream.read()})
    )
    assert found.authenticated
    assert found.header["node"] == {"origin": "aut.test"}
    assert {s.name: s.data for s in found.secrets} == {
        "keys/ledger.key": b"secret ledger key\n",
        "config/hanoix.toml": b'state = "AUT"\n',
    }
    assert seen["database/hanoix.sqlite3"] == b"D" * 70_000
    assert sorted(seen) == ["blobs/sha256/" + f"{n:064x}" for n in range(2)] + [
        "database/hanoix.sqlite3"
    ]
    assert b"secret ledger key" not in backup.read_bytes()  # the keys are encrypted


def test_without_the_passphrase_the_digests_are_checked_but_not_the_authenticity(
    backup: Path,
) -> None:
    found = read_backup(backup, None)
    assert not found.authenticated and found.secrets == []


def test_a_wrong_passphrase_is_refused(backup: Path) -> None:
    with pytest.raises(PassphraseError, match="passphrase does not open"):
        read_backup(backup, b"wrong")


@pytest.mark.parametrize("cut", [100, 1500, 40_000, "manifest", "mac"])
def test_a_truncated_backup_is_refused(backup: Path, cut: int | str) -> None:
    data = backup.read_bytes()
    # Cut inside the header, the secrets, the database, before the manifest, inside it. (Only
    # the zero blocks after the manifest may go: they hold nothing.)
    at = {"manifest": data.index(MANIFEST_NAME.encode()) - 1, "mac": data.index(b'"mac"')}
    backup.write_bytes(data[: at.get(cut, cut)])  # type: ignore[call-overload]
    with pytest.raises(BackupError, match=r"truncated|does not begin|corrupted"):
        read_backup(backup, None)


def test_a_changed_byte_in_any_member_is_found(backup: Path) -> None:
    data = bytearray(backup.read_bytes())
    where = data.index(b"D" * 100) + 5000
    data[where] ^= 1
    backup.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=r"database/hanoix\.sqlite3 is corrupted"):
        read_backup(backup, None)


def _rewrite(backup: Path, change: str) -> None:
    """Rebuild the archive with one alteration an attacker without the passphrase could make."""
    with tarfile.open(backup) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if info.name == MANIFEST_NAME:
                manifest = json.loads(data)
                if change == "swap-package":
                    entry = next(m for m in manifest["members"] if m["name"].startswith("blobs/"))
                    entry["sha256"] = hashlib.sha256(b"forged").hexdigest()
                    entry["size"] = 6
                data = json.dumps(manifest).encode()
            if change == "swap-package" and info.name == "blobs/sha256/" + "0" * 64:
                data = b"forged"
            if change == "drop-package" and info.name.endswith("0" * 64):
                continue
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    backup.write_bytes(out.getvalue())


def test_a_package_replaced_with_a_rewritten_manifest_fails_the_hmac(backup: Path) -> None:
    _rewrite(backup, "swap-package")
    read_backup(backup, None)  # the digests agree with the forged manifest...
    with pytest.raises(BackupError, match="HMAC does not match"):
        read_backup(backup, PASSPHRASE)  # ...but not its HMAC


def test_a_member_removed_is_found(backup: Path) -> None:
    _rewrite(backup, "drop-package")
    with pytest.raises(BackupError, match=r"lacks blobs/sha256/0{64}"):
        read_backup(backup, None)


def test_a_file_that_is_no_backup_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.tar"
    with tarfile.open(other, "w") as tar:
        info = tarfile.TarInfo("readme.txt")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(BackupError, match="does not begin as a backup does"):
        read_backup(other, None)
    (tmp_path / "text").write_text("hello")
    with pytest.raises(BackupError):
        read_backup(tmp_path / "text", None)


def _recipient(seed: int) -> DecryptionKey:
    return DecryptionKey(X25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


def test_a_backup_for_a_recipient_opens_with_its_private_key_only(tmp_path: Path) -> None:
    path = tmp_path / "for-key.hxb"
    holder, other = _recipient(1), _recipient(2)
    with path.open("wb") as out:
        writer = ArchiveWriter(out, {}, recipients=[holder.public], log_n=CHEAP)
        writer.add_secrets([SecretFile("keys/ledger.key", b"secret ledger key\n", 0o600)])
        writer.finish()
    found = read_backup(path, None, key=holder)
    assert found.authenticated and found.secrets[0].data == b"secret ledger key\n"
    with pytest.raises(PassphraseError, match="was not made for the key"):
        read_backup(path, None, key=other)
    with pytest.raises(PassphraseError, match="made for a recipient's key, not a passphrase"):
        read_backup(path, PASSPHRASE)


def test_a_backup_for_a_passphrase_and_a_recipient_opens_with_either(tmp_path: Path) -> None:
    path = tmp_path / "both.hxb"
    holder = _recipient(3)
    with path.open("wb") as out:
        writer = ArchiveWriter(out, {}, PASSPHRASE, recipients=[holder.public], log_n=CHEAP)
        writer.add_secrets([])
        writer.finish()
    assert read_backup(path, PASSPHRASE).authenticated
    assert read_backup(path, None, key=holder).authenticated
    with pytest.raises(InputError, match="needs a passphrase or a recipient"):
        ArchiveWriter(io.BytesIO(), {})
