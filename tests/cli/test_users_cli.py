from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest


def test_authority_user_and_token(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "n"
    added = cli(
        "--home", home, "authority", "add", "AUT-CA", "--name", "Ministry of Justice",
        "--kind", "central-authority", "--state", "AUT", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert added.json()["code"] == "AUT-CA"

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    user = cli(
        "--home", home, "user", "add", "maria", "--role", "drafter", "--role", "approver",
        "--authority", "AUT-CA", "--password-stdin", "--json",
    )  # fmt: skip
    assert user.exit_code == 0, user.stderr
    assert user.json()["roles"] == ["approver", "drafter"]

    token = cli("--home", home, "user", "token", "maria", "--name", "script")
    assert token.exit_code == 0
    assert token.stdout.startswith("hxt_")
    assert "not shown again" in token.stderr

    listed = cli("--home", home, "authority", "list", "--json")
    assert [a["code"] for a in listed.json()] == ["AUT-CA"]


def test_bad_input_exits_2_with_a_message(cli: Any, tmp_path: Path) -> None:
    home = tmp_path / "n"
    result = cli("--home", home, "user", "add", "x1", "--role", "wizard", "--authority", "AUT-CA")
    assert result.exit_code == 2
    assert "choose from" in result.stderr
    missing = cli("--home", home, "user", "token", "ghost", "--name", "t")
    assert missing.exit_code == 2
    assert "no user named ghost" in missing.stderr
