from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hanoix.config import load_settings
from hanoix.services import auth, second_factor
from hanoix.services.node import Node


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

    token = cli("--home", home, "user", "token", "new", "maria", "--name", "script")
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
    missing = cli("--home", home, "user", "token", "new", "ghost", "--name", "t")
    assert missing.exit_code == 2
    assert "no user named ghost" in missing.stderr


@pytest.fixture
def home(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "n"
    cli(
        "--home", home, "authority", "add", "AUT-CA", "--name", "Ministry",
        "--kind", "central-authority", "--state", "AUT",
    )  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    added = cli(
        "--home", home, "user", "add", "maria", "--role", "approver", "--authority", "AUT-CA",
        "--password-stdin",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    return home


def _node(home: Path) -> Node:
    node = Node.open(load_settings(home, environ={}))
    node.initialise()
    return node


def test_token_new_list_revoke(cli: Any, home: Path) -> None:
    issued = cli("--home", home, "user", "token", "new", "maria", "--name", "ci", "--days", "7")
    assert issued.exit_code == 0, issued.stderr
    token = issued.stdout.strip()
    listed = cli("--home", home, "user", "token", "list", "maria", "--json")
    assert listed.exit_code == 0
    [row] = listed.json()
    assert row["name"] == "ci" and row["status"] == "live"
    assert token not in listed.stdout and "secret" not in row
    human = cli("--home", home, "user", "token", "list", "maria")
    assert row["id"] in human.stderr
    revoked = cli("--home", home, "user", "token", "revoke", "maria", row["id"])
    assert revoked.exit_code == 0, revoked.stderr
    node = _node(home)
    try:
        with node.unit_of_work() as session, pytest.raises(auth.AuthenticationError):
            auth.authenticate_token(session, node.clock, token)
    finally:
        node.close()
    assert cli("--home", home, "user", "token", "list", "maria", "--json").json() == []
    ended = cli("--home", home, "user", "token", "list", "maria", "--all", "--json").json()
    assert [t["status"] for t in ended] == ["revoked"]


def test_token_commands_refuse_bad_input(cli: Any, home: Path) -> None:
    too_long = cli("--home", home, "user", "token", "new", "maria", "--name", "x", "--days", "91")
    assert too_long.exit_code == 2
    assert "1 to 90 days" in too_long.stderr
    not_a_number = cli(
        "--home", home, "user", "token", "new", "maria", "--name", "x", "--days", "x"
    )
    assert not_a_number.exit_code == 2
    unknown = cli("--home", home, "user", "token", "revoke", "maria", "0000000000000000")
    assert unknown.exit_code == 2
    assert "no API token" in unknown.stderr
    ghost = cli("--home", home, "user", "token", "list", "ghost")
    assert ghost.exit_code == 2
    assert "no user named ghost" in ghost.stderr
    assert "Traceback" not in too_long.stderr + unknown.stderr + ghost.stderr


def test_list_deactivate_activate(cli: Any, home: Path) -> None:
    token = cli("--home", home, "user", "token", "new", "maria", "--name", "ci").stdout.strip()
    listed = cli("--home", home, "user", "list", "--json")
    assert listed.exit_code == 0
    assert [(u["username"], u["active"], u["locked"]) for u in listed.json()] == [
        ("maria", True, False)
    ]
    assert "maria" in cli("--home", home, "user", "list").stderr
    off = cli("--home", home, "user", "deactivate", "maria", "--json")
    assert off.exit_code == 0, off.stderr
    assert off.json()["active"] is False
    on = cli("--home", home, "user", "activate", "maria")
    assert on.exit_code == 0 and "activated" in on.stderr
    node = _node(home)
    try:
        with node.unit_of_work() as session, pytest.raises(auth.AuthenticationError):
            auth.authenticate_token(session, node.clock, token)  # revoked, for good
    finally:
        node.close()
    for command in ("deactivate", "activate", "unlock"):
        ghost = cli("--home", home, "user", command, "ghost")
        assert ghost.exit_code == 2, command
        assert "no user named ghost" in ghost.stderr


def test_unlock(cli: Any, home: Path) -> None:
    node = _node(home)
    try:
        with node.unit_of_work() as session:
            maria = auth.user_id(session, "maria")
        for _ in range(node.credentials.policy.lockout_after):
            node.credentials.record_failure("maria", None, maria)
    finally:
        node.close()
    assert cli("--home", home, "user", "list", "--json").json()[0]["locked"] is True
    unlocked = cli("--home", home, "user", "unlock", "maria", "--json")
    assert unlocked.exit_code == 0, unlocked.stderr
    assert unlocked.json()["locked"] is False
    assert unlocked.json()["failed_logins"] == 0


def test_totp_enrol_confirm_disable(cli: Any, home: Path) -> None:
    enrolled = cli("--home", home, "user", "totp", "enrol", "maria", "--json")
    assert enrolled.exit_code == 0, enrolled.stderr
    secret = enrolled.json()["secret"]
    assert enrolled.json()["uri"].startswith("otpauth://totp/")
    shown = cli("--home", home, "user", "totp", "disable", "maria")
    assert shown.exit_code == 0
    human = cli("--home", home, "user", "totp", "enrol", "maria")
    assert human.stdout.startswith("otpauth://totp/")
    assert "not shown again" in human.stderr
    secret = human.stdout.split("secret: ")[1].strip()
    wrong = cli("--home", home, "user", "totp", "confirm", "maria", "000000")
    assert wrong.exit_code == 2
    assert "does not match" in wrong.stderr
    code = second_factor.code_at(secret, datetime.now(UTC))
    confirmed = cli("--home", home, "user", "totp", "confirm", "maria", code, "--json")
    assert confirmed.exit_code == 0, confirmed.stderr
    assert confirmed.json()["second_factor"] == "totp"
    again = cli("--home", home, "user", "totp", "enrol", "maria")
    assert again.exit_code == 2
    assert "disable" in again.stderr
    removed = cli("--home", home, "user", "totp", "disable", "maria", "--json")
    assert removed.json()["second_factor"] == "none"
    ghost = cli("--home", home, "user", "totp", "enrol", "ghost")
    assert ghost.exit_code == 2
    assert "Traceback" not in wrong.stderr + again.stderr + ghost.stderr


def test_empty_lists_say_so_and_how_to_add_one(cli: Any, tmp_path: Path) -> None:
    home = tmp_path / "new"
    told = {
        "user": "no users yet: create one with "
        "`hanoix user add USERNAME --role ROLE --authority CODE --password-stdin`",
        "authority": "no authorities yet: register one with "
        "`hanoix authority add CODE --name NAME --kind KIND`",
    }
    for group, message in told.items():
        shown = cli("--home", home, group, "list")
        assert shown.exit_code == 0
        assert " ".join(shown.stderr.split()) == message  # as a narrow terminal folds it
        assert cli("--home", home, group, "list", "--json").json() == []
