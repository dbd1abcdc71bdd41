"""Setting up a node: several processes starting at once on a new home or a new database; the
node's federation, built once from its settings."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from hanoix.config import load_settings
from hanoix.errors import ConfigurationError
from hanoix.services.node import Node
from hanoix.store import migrate
from hanoix.store.db import make_engine
from hanoix.store.treaty import TreatyDatasetRow
from tests.conftest import pg_database

STARTED_TOGETHER = 4


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """An empty database (no schema): None for SQLite, where it lives in the shared home."""
    if request.param == "sqlite":
        yield None
        return
    request.getfixturevalue("pg_template")  # skips when PostgreSQL is not reachable
    with pg_database(template=None) as url:
        yield url


def test_commands_started_together_set_up_a_new_node_once(
    new_database: str | None, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANOIX_")}
    if new_database is None:
        homes = [tmp_path / "home"] * STARTED_TOGETHER  # one home: the lock file serialises
    else:
        # One database, a home each, as API workers on several machines: PostgreSQL's
        # advisory lock serialises them.
        homes = [tmp_path / f"home-{i}" for i in range(STARTED_TOGETHER)]
        env["HANOIX_DATABASE_URL"] = new_database
    command = [sys.executable, "-m", "hanoix", "--home"]
    children = [
        subprocess.Popen(
            [*command, str(home), "treaty", "status", "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for home in homes
    ]
    outcomes = [
        (child.wait(timeout=120), child.stderr.read() if child.stderr else "") for child in children
    ]

    for code, stderr in outcomes:
        assert code == 0, stderr
        assert "Traceback" not in stderr
    url = new_database or f"sqlite:///{homes[0] / 'hanoix.db'}"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            loaded = connection.scalar(select(func.count()).select_from(TreatyDatasetRow))
            revisions = connection.scalars(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert loaded == 1  # the shipped treaty data, once
    assert revisions == [migrate.head_revision()]


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path / "home",
        environ={},
        database_url="postgresql+psycopg://hanoix:s3cret-pass@127.0.0.1:1/hanoix",
    )
    node = Node.open(settings)
    try:
        with pytest.raises(ConfigurationError) as caught:
            node.initialise()
    finally:
        node.close()
    assert "cannot reach the database postgresql+psycopg://hanoix:***@127.0.0.1:1" in str(
        caught.value
    )
    assert "s3cret-pass" not in str(caught.value)


# --- the node's federation: built once, from its settings ----------------------------------


def test_a_node_reads_its_federation_settings_and_loads_its_plugins_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hanoix.services.federation import peers

    loaded: list[tuple[str, ...]] = []
    monkeypatch.setattr(peers, "load_plugins", lambda names: loaded.append(tuple(names)))
    home = tmp_path / "home"
    home.mkdir()
    (home / "federation.toml").write_text(
        'max_skew = 120\nplugins = ["tests.federation.plugin"]\n', "utf-8"
    )
    node = Node.open(load_settings(home, environ={}))
    try:
        federation = node.federation
        (home / "federation.toml").write_text("max_skew = 60\n", "utf-8")
        assert node.federation is federation
        assert federation.settings.max_skew == 120.0
        assert loaded == [("tests.federation.plugin",)]
    finally:
        node.close()


def test_a_node_given_federation_settings_builds_its_federation_from_them(
    tmp_path: Path,
) -> None:
    from hanoix.federation.settings import FederationSettings

    given = FederationSettings(max_skew=7.0, concurrency=1)
    node = Node.open(load_settings(tmp_path / "home", environ={}), federation_settings=given)
    try:
        assert node.federation.settings is given
    finally:
        node.close()


def test_two_nodes_in_one_process_share_no_federation_state(tmp_path: Path) -> None:
    from hanoix.services.federation import Federation

    first = Node.open(load_settings(tmp_path / "first", environ={}))
    second = Node.open(load_settings(tmp_path / "second", environ={}))
    try:
        assert first.federation_state is not second.federation_state
        assert first.federation.state is first.federation_state
        # A federation built for a test, with settings of its own, shares its node's state.
        assert Federation(first, first.federation.settings).state is first.federation_state
        first.federation_state.outbox_signal.set()
        assert not second.federation_state.outbox_signal.is_set()
    finally:
        first.close()
        second.close()
