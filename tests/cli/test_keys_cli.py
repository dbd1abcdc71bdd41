"""``hanoix keys new``: an authority's key set on disk."""

from __future__ import annotations

import io
import stat
from pathlib import Path
from typing import Any

import pytest

from hanoix.evidence import keys
from hanoix.evidence.errors import KeyFileError
from hanoix.evidence.keys import KeyKind


def test_keys_new_writes_a_key_set_with_private_files_0600(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "aut"
    result = cli(
        "keys", "new", "--out", out, "--authority", "Ministry of Justice", "--state", "aut",
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["state"] == "AUT" and data["protected"] is False
    for name, mode in [
        ("signing.key", 0o600),
        ("encryption.key", 0o600),
        ("signing.pub", 0o644),
        ("encryption.pub", 0o644),
    ]:
        assert stat.S_IMODE((out / name).stat().st_mode) == mode, name
    public = keys.parse_public(
        (out / "signing.pub").read_bytes(), KeyKind.SIGNING, source="s", role="r"
    )
    assert public.key_id == data["signing_key_id"]
    assert public.authority == "Ministry of Justice"
    private = keys.parse_decryption_key((out / "encryption.key").read_bytes(), None, source="e")
    assert private.public.key_id == data["encryption_key_id"]


def test_keys_are_never_overwritten(cli: Any, tmp_path: Path) -> None:
    assert cli("keys", "new", "--out", tmp_path / "k").exit_code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "k").iterdir()}
    again = cli("keys", "new", "--out", tmp_path / "k")
    assert again.exit_code == 2
    assert "exists already" in again.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "k").iterdir()} == before


def test_passphrase_protected_keys(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keys, "SCRYPT_LOG_N", 12)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long pass phrase\n"))
    made = cli("keys", "new", "--out", tmp_path / "k", "--passphrase-stdin", "--json")
    assert made.exit_code == 0, made.stderr
    assert made.json()["protected"] is True
    text = (tmp_path / "k" / "signing.key").read_text()
    assert "protection: scrypt" in text
    with pytest.raises(KeyFileError, match="protected by a passphrase"):
        keys.parse_signing_key(text.encode(), None, source="s")


def test_a_bad_state_code_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    result = cli("keys", "new", "--out", tmp_path / "k", "--state", "Austria")
    assert result.exit_code == 2
    assert "alpha-3" in result.stderr
    assert not (tmp_path / "k").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_passphrase_comes_from_stdin_the_environment_or_a_terminal_prompt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hanoix.cli.keys import PASSPHRASE_ENV, read_passphrase

    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    with pytest.raises(KeyFileError, match=r"^--passphrase-stdin: standard input gave no"):
        read_passphrase(True, purpose="the key")
    monkeypatch.setenv(PASSPHRASE_ENV, "from the environment")
    assert read_passphrase(False, purpose="the key") == b"from the environment"
    monkeypatch.delenv(PASSPHRASE_ENV)
    with pytest.raises(KeyFileError, match=rf"^the key needs a passphrase: .*{PASSPHRASE_ENV}$"):
        read_passphrase(False, purpose="the key")

    monkeypatch.setattr("sys.stdin", _Terminal())
    typed = iter(["one", "two"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    with pytest.raises(KeyFileError, match=r"^the two passphrases differ$"):
        read_passphrase(False, purpose="the key", confirm=True)
    typed = iter(["", ""])
    with pytest.raises(KeyFileError, match=r"^the passphrase is empty$"):
        read_passphrase(False, purpose="the key", confirm=True)
    typed = iter(["same", "same"])
    assert read_passphrase(False, purpose="the key", confirm=True) == b"same"
