"""``hanoix treaty status``, ``participant`` and ``applies`` answer from the home's copy of the
treaty data without opening the database (issue 13), exactly as the database would, and from
the database when the home has no copy, none yet, or its database is named by a URL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hanoix.config import load_settings
from hanoix.services import treaty as treaty_service
from hanoix.services.node import Node
from hanoix.store import treaty_file
from tests.cli.test_validate_from_home import DEPOSITED, shared_database
from tests.services.test_treaty_service import CSV, SHIPPED_STATES, ratifications

#: 90 days after the fortieth deposit on DEPOSITED (Art. 65(1)); the shipped data has the
#: Convention not in force, so an answer from stale data would differ.
IN_FORCE_FROM = date(2026, 8, 30)
COMMANDS = (
    ("treaty", "status", "--json"),
    ("treaty", "participant", "AUT", "--json"),
    ("treaty", "applies", "AUT", "VNM", "--json"),
    ("treaty", "applies", "AUT", "VNM", "--on", "2026-08-29", "--json"),
)


def imported_home(path: Path) -> Path:
    node = Node.open(load_settings(path, environ={}))
    node.initialise()
    treaty_service.import_bytes(
        node, ratifications(SHIPPED_STATES, DEPOSITED), CSV, name="deposits.csv"
    )
    node.close()
    return path


def _refuse(*_args: object, **_kwargs: object) -> Node:
    raise AssertionError("the command opened the node")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[1:3]))
def test_the_copy_answers_as_the_database_would(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    home = imported_home(tmp_path / "home")
    with monkeypatch.context() as patched:
        patched.setattr(Node, "open", _refuse)
        from_copy = cli("--home", home, *command)
    (home / treaty_file.COPY_NAME).unlink()
    from_database = cli("--home", home, *command)
    assert from_copy.exit_code == from_database.exit_code
    assert from_copy.json() == from_database.json()


def test_the_copy_carries_the_import_and_its_dataset(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = imported_home(tmp_path / "home")
    monkeypatch.setattr(Node, "open", _refuse)
    status = cli("--home", home, "treaty", "status", "--json")
    assert status.exit_code == 0
    answer = status.json()
    assert answer["entry_into_force"] == IN_FORCE_FROM.isoformat()
    assert answer["dataset"]["imported_from"] == "deposits.csv"
    applies = cli("--home", home, "treaty", "applies", "AUT", "VNM", "--on", "2026-08-29")
    assert applies.exit_code == 1  # the day before entry into force
    assert cli("--home", home, "treaty", "applies", "AUT", "VNM").exit_code == 0


def test_a_home_without_a_database_is_made_and_answers_as_a_new_node(
    cli: Any, tmp_path: Path
) -> None:
    home = tmp_path / "new"
    status = cli("--home", home, "treaty", "status", "--json")
    assert status.exit_code == 0
    assert status.json()["entry_into_force"] is None  # the shipped data
    assert (home / treaty_file.COPY_NAME).is_file()  # the next command reads the copy


def test_a_database_named_by_url_is_asked(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared_database(tmp_path, monkeypatch)
    status = cli("--home", tmp_path / "home", "treaty", "status", "--json")
    assert status.exit_code == 0
    assert status.json()["entry_into_force"] == IN_FORCE_FROM.isoformat()
