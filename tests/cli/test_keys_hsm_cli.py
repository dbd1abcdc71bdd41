"""``hanoix keys hsm``: keys made in (or copied into) a SoftHSM2 token, used by ``evidence pack``,
and each bad input refused with exit 2 and a message naming what to fix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.softhsm import SoftHsm


@pytest.fixture
def with_hsm(monkeypatch: pytest.MonkeyPatch, softhsm: SoftHsm) -> SoftHsm:
    monkeypatch.setenv("HANOIX_HSM_MODULE", str(softhsm.module))
    monkeypatch.setenv("HANOIX_HSM_PIN_FILE", str(softhsm.pin_file))
    return softhsm


def test_a_key_made_in_the_token_seals_evidence_that_verifies(
    cli: Any, tmp_path: Path, with_hsm: SoftHsm
) -> None:
    home, key = tmp_path / "home", tmp_path / "aut" / "signing.key"
    label = with_hsm.label("evidence")
    made = cli(
        "--home", home, "keys", "hsm", "generate", "--token", with_hsm.token, "--label", label,
        "--out", key, "--authority", "Ministry of Justice", "--state", "aut", "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert made.json()["files"] == [str(key), str(key.with_suffix(".pub"))]
    assert "secret:" not in key.read_text() and oct(key.stat().st_mode)[-3:] == "600"

    checked = cli("--home", home, "keys", "hsm", "check", key, "--json")
    assert checked.exit_code == 0, checked.stderr
    assert checked.json()["sensitive"] is True and checked.json()["extractable"] is False

    assert cli("keys", "new", "--out", tmp_path / "vnm").exit_code == 0
    (tmp_path / "case").mkdir()
    (tmp_path / "case" / "a.txt").write_bytes(os.urandom(100))
    package = tmp_path / "answer.hxp"
    packed = cli(
        "--home", home, "evidence", "pack", tmp_path / "case", "--sign-key", key,
        "--to", tmp_path / "vnm" / "encryption.pub", "-o", package,
    )  # fmt: skip
    assert packed.exit_code == 0, packed.stderr
    verified = cli("evidence", "verify", package, "--sender-key", key.with_suffix(".pub"), "--json")
    assert verified.exit_code == 0, verified.stderr


def test_a_file_key_copied_into_the_token_keeps_its_key_id(
    cli: Any, tmp_path: Path, with_hsm: SoftHsm
) -> None:
    assert cli("keys", "new", "--out", tmp_path / "old").exit_code == 0
    out = tmp_path / "new" / "signing.key"
    result = cli(
        "--home", tmp_path / "home", "keys", "hsm", "import", tmp_path / "old" / "signing.key",
        "--token", with_hsm.token, "--label", with_hsm.label("imported"), "--out", out, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    old = (tmp_path / "old" / "signing.pub").read_text()
    assert f"key-id: {result.json()['key_id']}" in old
    assert (tmp_path / "new" / "signing.pub").read_text() == old


def test_bad_input_names_what_to_fix(
    cli: Any, tmp_path: Path, with_hsm: SoftHsm, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, key = tmp_path / "home", tmp_path / "signing.key"
    label = with_hsm.label()
    args = ("keys", "hsm", "generate", "--token", with_hsm.token, "--label", label)
    assert cli("--home", home, *args, "--out", key).exit_code == 0

    again = cli("--home", home, *args, "--out", tmp_path / "other.key")
    assert again.exit_code == 2
    assert f"holds a key labelled '{label}' already" in again.stderr
    nowhere = cli(
        "--home", home, "keys", "hsm", "generate", "--token", "nowhere", "--label", "k",
        "--out", tmp_path / "k.key",
    )  # fmt: skip
    assert nowhere.exit_code == 2 and "no token labelled 'nowhere'" in nowhere.stderr

    monkeypatch.delenv("HANOIX_HSM_MODULE")
    unset = cli("--home", home, "keys", "hsm", "check", key)
    assert unset.exit_code == 2 and "set hsm_module" in unset.stderr
    assert "Traceback" not in unset.stderr + again.stderr + nowhere.stderr
