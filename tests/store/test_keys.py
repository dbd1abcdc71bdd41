"""The KeyStore: modes, whole-or-nothing writes, refusals, and passphrase-protected key files."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from hanoix.errors import ConflictError
from hanoix.evidence import keys as keyfiles
from hanoix.evidence.errors import KeyFileError, OutputError
from hanoix.evidence.keys import KeyKind
from hanoix.store import files
from hanoix.store.files import OutputWriteError
from hanoix.store.keys import (
    KeyAccessError,
    KeyStore,
    NewKeyFile,
    key_is_protected,
    load_decryption_key,
    load_public_key,
    load_signing_key,
)
from tests.evidence.helpers import authority, rng_source

A = authority(1)
FAST = 10  # scrypt work factor for tests (readers accept 10..22)
SECRET = b"-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- permissions ----------------------------------------------------------------------------


def test_private_files_are_0600_public_0644_and_new_folders_0700(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    keys.write_private("federation/signing-1.key", SECRET)
    keys.write_public("federation/signing-1.pub", b"public\n")
    assert _mode(tmp_path / "keys" / "federation" / "signing-1.key") == 0o600
    assert _mode(tmp_path / "keys" / "federation" / "signing-1.pub") == 0o644
    assert _mode(tmp_path / "keys") == 0o700
    assert _mode(tmp_path / "keys" / "federation") == 0o700
    assert keys.read_private("federation/signing-1.key") == SECRET
    assert keys.names("federation") == ["signing-1.key", "signing-1.pub"]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_private_key_others_may_read_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    keys = KeyStore(tmp_path)
    keys.write_private("ledger.key", SECRET)
    (tmp_path / "ledger.key").chmod(mode)
    with pytest.raises(KeyAccessError, match=f"mode {mode:o}.*chmod 600 {tmp_path}/ledger.key"):
        keys.read_private("ledger.key")


def test_a_missing_key_or_a_folder_in_its_place_is_a_clear_error(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    with pytest.raises(KeyAccessError, match=r"ledger\.key is missing: restore it"):
        keys.read_private("ledger.key")
    (tmp_path / "witness.key").mkdir()
    with pytest.raises(KeyAccessError, match="is a folder, not a key file"):
        keys.read_private("witness.key")


def test_a_key_this_user_cannot_read_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = KeyStore(tmp_path)
    keys.write_private("ledger.key", SECRET)
    real_open = Path.open

    def refused(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "ledger.key":  # what a file owned by another user answers (not root)
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refused)
    with pytest.raises(KeyAccessError, match="cannot be read by this user"):
        keys.read_private("ledger.key")


# --- whole or nothing -----------------------------------------------------------------------


def test_a_failed_write_leaves_no_key_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(self: files.StreamingWriter) -> None:
        raise OutputWriteError("cannot write: No space left on device")

    monkeypatch.setattr(files.StreamingWriter, "finish", disk_full)
    keys = KeyStore(tmp_path)
    with pytest.raises(OutputWriteError, match="No space left"):
        keys.write_private("ledger.key", SECRET)
    assert not (tmp_path / "ledger.key").exists()
    assert _leftovers(tmp_path) == []


def test_a_key_is_never_overwritten(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    keys.write_private("ledger.key", SECRET)
    with pytest.raises(ConflictError, match="exists already"):
        keys.write_private("ledger.key", b"another key")
    assert keys.read_private("ledger.key") == SECRET


def test_create_private_makes_a_key_once_then_reads_it(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    made = []

    def make() -> bytes:
        made.append(1)
        return SECRET

    assert keys.create_private("ledger.key", make) == SECRET
    assert keys.create_private("ledger.key", make) == SECRET
    assert made == [1]
    assert _mode(tmp_path / "ledger.key") == 0o600


def test_when_two_processes_create_a_key_the_first_one_in_place_wins(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)

    def make_while_another_process_does() -> bytes:
        KeyStore(tmp_path).write_private("ledger.key", b"theirs")  # the other process
        return b"ours"

    assert keys.create_private("ledger.key", make_while_another_process_does) == b"theirs"
    assert _leftovers(tmp_path) == []


def test_a_key_set_is_written_all_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = KeyStore(tmp_path / "set")
    wanted = [
        NewKeyFile("signing.key", SECRET, private=True),
        NewKeyFile("signing.pub", b"public\n", private=False),
        NewKeyFile("encryption.key", SECRET, private=True),
    ]
    real_finish = files.StreamingWriter.finish
    finished = []

    def fails_third(self: files.StreamingWriter) -> None:
        finished.append(1)
        if len(finished) == 3:
            raise OutputWriteError("cannot write: No space left on device")
        real_finish(self)

    monkeypatch.setattr(files.StreamingWriter, "finish", fails_third)
    with pytest.raises(OutputWriteError):
        keys.write_set(wanted)
    assert list((tmp_path / "set").iterdir()) == []
    monkeypatch.undo()
    keys.write_set(wanted)
    assert sorted(keys.names(".")) == ["encryption.key", "signing.key", "signing.pub"]
    with pytest.raises(OutputError, match=r"signing\.key exists already; keys are never"):
        keys.write_set(wanted)


def test_replace_puts_a_file_in_place_of_another(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    keys.write_private("tls.key", b"old")
    keys.write_private("tls-next.key", b"new")
    keys.replace("tls-next.key", "tls.key")
    assert keys.read_private("tls.key") == b"new"
    assert not keys.exists("tls-next.key")


# --- key files a user names, and passphrases -------------------------------------------------


def _protected(tmp_path: Path, passphrase: bytes | None) -> Path:
    path = tmp_path / "signing.key"
    text = keyfiles.dump_private(A.signing, passphrase, random=rng_source(3), log_n=FAST)
    path.write_text(text, "utf-8")
    return path


def test_a_protected_key_opens_with_its_passphrase_given_or_asked(tmp_path: Path) -> None:
    path = _protected(tmp_path, b"right")
    assert key_is_protected(path, "--sign-key")
    assert load_signing_key(path, b"right").public == A.sender
    assert load_signing_key(path, ask=lambda: b"right").public == A.sender


def test_a_wrong_passphrase_is_a_clear_error(tmp_path: Path) -> None:
    path = _protected(tmp_path, b"right")
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_signing_key(path, b"wrong")
    with pytest.raises(KeyFileError, match="protected by a passphrase; give the passphrase"):
        load_signing_key(path)


def test_the_passphrase_is_asked_for_only_when_the_key_needs_one(tmp_path: Path) -> None:
    path = _protected(tmp_path, None)

    def never() -> bytes:
        raise AssertionError("asked for a passphrase the key does not need")

    assert not key_is_protected(path, "--sign-key")
    assert load_signing_key(path, ask=never).public == A.sender


def test_named_key_files_missing_a_folder_or_of_the_wrong_kind_are_clear_errors(
    tmp_path: Path,
) -> None:
    with pytest.raises(KeyFileError, match="--key: no such key file"):
        load_decryption_key(tmp_path / "absent.key")
    with pytest.raises(KeyFileError, match="is a folder, not a key file"):
        load_public_key(tmp_path, KeyKind.ENCRYPTION, "--to")
    path = _protected(tmp_path, None)
    with pytest.raises(KeyFileError):
        load_decryption_key(path)  # a signing key where an encryption key is needed
