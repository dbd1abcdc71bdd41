"""The home's copy of the treaty data (issue 13: ``request validate FILE`` opens no database):
written by every change of the treaty tables of the home's own SQLite database, equal to what
the database holds, absent when a change did not finish, never kept for a database named by a
URL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from hanoix.clock import FixedClock
from hanoix.config import Settings, load_settings
from hanoix.errors import ConflictError
from hanoix.services import treaty as service
from hanoix.services.node import Node
from hanoix.services.validation import TreatyView, home_treaty
from hanoix.store import treaty as store
from hanoix.store import treaty_file
from hanoix.treaty.dataset import TreatyData
from hanoix.treaty.shipped import shipped_data
from hanoix.treaty.status import TreatyStatus
from tests.services.test_treaty_service import CSV, ratifications

LANGUAGES = b"participant,action,date,text\nVNM,languages,2027-01-04,Vietnamese and French\n"


@pytest.fixture
def home_settings(tmp_path: Path) -> Settings:
    """A home whose database is its own SQLite file (no database URL), as a new node's."""
    return load_settings(tmp_path / "home", environ={})


@pytest.fixture
def home_node(home_settings: Settings, clock: FixedClock) -> Node:
    node = Node.open(home_settings, clock=clock)
    node.initialise()
    yield node  # type: ignore[misc]
    node.close()


def stored(node: Node) -> TreatyData:
    with node.unit_of_work() as session:
        return store.load(session)


def test_a_new_node_keeps_a_copy_of_the_shipped_data_in_its_home(home_node: Node) -> None:
    home = home_node.settings.home
    shipped = shipped_data()
    copied = treaty_file.read(home)
    assert copied == stored(home_node)
    assert copied is not None
    assert (copied.actions, copied.declarations) == (shipped.actions, shipped.declarations)
    # The dataset is described as the database describes it: the shipped data, stamped with
    # the time it was loaded.
    assert copied.info == replace(shipped.info, imported_at=home_node.clock.now())
    assert json.loads((home / treaty_file.COPY_NAME).read_text())["format"] == 2


def test_an_import_writes_the_copy_of_the_data_it_committed(home_node: Node) -> None:
    service.import_bytes(home_node, ratifications(["VNM"]), CSV, name="r.csv")
    service.import_bytes(home_node, LANGUAGES, CSV, name="languages.csv")
    copied = treaty_file.read(home_node.settings.home)
    assert copied == stored(home_node)
    assert copied is not None
    vnm = [d for d in copied.declarations if d.participant == "VNM"]
    assert [(d.kind.value, d.text, d.date) for d in vnm] == [
        ("languages", "Vietnamese and French", date(2027, 1, 4))
    ]


def test_a_refused_import_leaves_the_copy_of_the_unchanged_data(home_node: Node) -> None:
    service.import_bytes(home_node, ratifications(["VNM"]), CSV, name="first.csv")
    before = treaty_file.read(home_node.settings.home)
    with pytest.raises(ConflictError, match=r"second\.csv"):
        service.import_bytes(
            home_node, ratifications(["VNM"], date(2027, 9, 1)), CSV, name="second.csv"
        )
    assert treaty_file.read(home_node.settings.home) == before == stored(home_node)


def test_a_change_that_did_not_finish_leaves_no_copy_until_init_writes_it_again(
    home_node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the process died here")

    monkeypatch.setattr(store, "replace", crash)
    with pytest.raises(RuntimeError, match="the process died here"):
        service.import_bytes(home_node, ratifications(["VNM"]), CSV, name="r.csv")
    home = home_node.settings.home
    assert not (home / treaty_file.COPY_NAME).exists()
    assert treaty_file.read(home) is None
    assert home_treaty(home_node.settings) is None  # the database must answer
    monkeypatch.undo()
    home_node.initialise()  # `hanoix init`, as after an upgrade from an earlier version
    assert treaty_file.read(home) == stored(home_node)


def test_a_database_named_by_url_keeps_no_copy(tmp_path: Path, clock: FixedClock) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    settings = load_settings(tmp_path / "home", environ={}, database_url=url)
    node = Node.open(settings, clock=clock)
    node.initialise()
    service.import_bytes(node, ratifications(["VNM"]), CSV, name="r.csv")
    node.close()
    assert not (settings.home / treaty_file.COPY_NAME).exists()
    assert home_treaty(settings) is None


def test_a_home_without_a_database_answers_with_the_shipped_data_and_makes_nothing(
    home_settings: Settings,
) -> None:
    view = home_treaty(home_settings)
    shipped = shipped_data()
    assert isinstance(view, TreatyView)
    expected = TreatyStatus(shipped.actions, shipped.declarations)
    assert (view.status.actions, view.status.declarations) == (
        expected.actions,
        expected.declarations,
    )
    assert not home_settings.home.exists()


def test_the_home_answers_with_its_copy(home_node: Node) -> None:
    service.import_bytes(home_node, LANGUAGES, CSV, name="languages.csv")
    view = home_treaty(home_node.settings)
    assert view is not None
    assert view.profile("VNM").languages == frozenset({"vi", "fr"})


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b'{"format": 1, "actions": [], "declarations": []}',  # before the dataset was copied
        b'{"format": 3, "actions": [], "declarations": [], "dataset": {}}',
        b"[]",
    ],
)
def test_a_copy_this_version_cannot_read_is_left_to_the_database(
    home_node: Node, content: bytes
) -> None:
    (home_node.settings.home / treaty_file.COPY_NAME).write_bytes(content)
    assert treaty_file.read(home_node.settings.home) is None
    assert home_treaty(home_node.settings) is None
