"""Letters are tested on SQLite only: what they add is above the store."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.services.node import Node
from tests.services.requests_world import populate


def poppler(tool: str, *args: str) -> str:
    """The output of poppler-utils' ``tool`` (scripts/test-setup.sh installs them in CI)."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    done = subprocess.run([tool, *args], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def pdf_text(path: Path) -> str:
    """The letter's text as pdftotext reads it, whitespace folded."""
    return " ".join(poppler("pdftotext", str(path), "-").split())


def folded(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def world_node(tmp_path: Path) -> Iterator[Node]:
    """Austria's node (the requesting State) with the request world's people."""
    yield from _node(tmp_path / "aut", "AUT")


@pytest.fixture
def receiving_node(tmp_path: Path) -> Iterator[Node]:
    """Viet Nam's node, which receives a letter."""
    yield from _node(tmp_path / "vnm", "VNM")


def _node(home: Path, state: str) -> Iterator[Node]:
    settings = load_settings(
        home, environ={"HANOIX_STATE": state}, database_url=f"sqlite:///{home}.sqlite"
    )
    node = Node.open(settings, clock=FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC)))
    node.initialise()
    populate(node)
    yield node
    node.close()
