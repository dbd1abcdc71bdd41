"""``hanoix request validate FILE`` opens no database (issue 13) and answers as the node would:
from the home's copy of the treaty data, from the shipped data where the home has no database
yet, and from the database itself when it has no copy or acts for someone (``--as``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hanoix.config import load_settings
from hanoix.services import treaty as treaty_service
from hanoix.services.node import Node
from hanoix.store import treaty_file
from tests.services.requests_world import document, populate
from tests.services.test_treaty_service import CSV, SHIPPED_STATES, ratifications

#: Forty instruments deposited on this day put the Convention in force 90 days later (Art.
#: 65(1)), before the day these tests run: the imported data answers differently from the
#: shipped data, under which the Convention is not in force.
DEPOSITED = date(2026, 6, 1)
NOT_IN_FORCE = "the Convention is not in force between AUT and VNM"


def make_home(path: Path, *, imported: bool) -> Path:
    node = Node.open(load_settings(path, environ={}))
    node.initialise()
    populate(node)
    if imported:
        treaty_service.import_bytes(
            node, ratifications(SHIPPED_STATES, DEPOSITED), CSV, name="deposits.csv"
        )
    node.close()
    return path


@pytest.fixture
def request_file(tmp_path: Path) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(document(requesting_state="AUT")), encoding="utf-8")
    return path


@pytest.fixture
def no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a node fails the test: the command must answer without one."""
    monkeypatch.setattr(Node, "open", _refuse)


def warnings(result: Any) -> list[str]:
    return [w["message"] for w in result.json()["warnings"]]


def test_a_home_with_imported_data_answers_from_its_copy_as_its_database_would(
    cli: Any, tmp_path: Path, request_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = make_home(tmp_path / "home", imported=True)
    validate = ("--home", home, "request", "validate", request_file, "--json")
    as_user = cli(*validate, "--as", "drafter")  # acting for someone opens the node
    assert as_user.exit_code == 0
    with monkeypatch.context() as patched:
        patched.setattr(Node, "open", _refuse)
        from_copy = cli(*validate)
    assert from_copy.exit_code == 0
    assert from_copy.json() == as_user.json()
    assert from_copy.json()["valid"] is True
    assert not any(NOT_IN_FORCE in w for w in warnings(from_copy))  # the import, not shipped
    # Without the copy the database answers, the same.
    (home / treaty_file.COPY_NAME).unlink()
    from_database = cli(*validate)
    assert from_database.exit_code == 0
    assert from_database.json() == from_copy.json()


def test_a_home_without_a_database_answers_with_the_shipped_data_and_creates_nothing(
    cli: Any, tmp_path: Path, request_file: Path, no_database: None
) -> None:
    absent = tmp_path / "no-node-here"
    answer = cli("--home", absent, "request", "validate", request_file, "--json")
    assert answer.exit_code == 0
    assert answer.json()["valid"] is True
    assert [w for w in warnings(answer) if NOT_IN_FORCE in w]
    assert not absent.exists()


def test_without_a_database_the_answer_is_a_new_nodes(
    cli: Any, tmp_path: Path, request_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(Node, "open", _refuse)
        unborn = cli("--home", tmp_path / "unborn", "request", "validate", request_file, "--json")
    new_node = make_home(tmp_path / "new", imported=False)
    (new_node / treaty_file.COPY_NAME).unlink()  # so that its database answers
    from_database = cli("--home", new_node, "request", "validate", request_file, "--json")
    assert (unborn.exit_code, from_database.exit_code) == (0, 0)
    assert unborn.json() == from_database.json()


def test_a_database_named_by_url_is_asked(
    cli: Any, tmp_path: Path, request_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared_database(tmp_path, monkeypatch)
    answer = cli("--home", tmp_path / "home", "request", "validate", request_file, "--json")
    assert answer.exit_code == 0
    assert not any(NOT_IN_FORCE in w for w in warnings(answer))


def shared_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database named by ``HANOIX_DATABASE_URL`` for the home ``tmp_path/home``, holding
    forty deposits on :data:`DEPOSITED` (so it answers unlike the shipped data)."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    node = Node.open(load_settings(tmp_path / "home", environ={}, database_url=url))
    node.initialise()
    treaty_service.import_bytes(
        node, ratifications(SHIPPED_STATES, DEPOSITED), CSV, name="deposits.csv"
    )
    node.close()
    monkeypatch.setenv("HANOIX_DATABASE_URL", url)


def _refuse(*_args: object, **_kwargs: object) -> Node:
    raise AssertionError("the command opened the node")
