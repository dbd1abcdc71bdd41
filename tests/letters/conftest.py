"""Letters are tested on SQLite only: what they add is above the store."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.evidence import keys as keyfiles
from hanoix.evidence.keys import SigningKey
from hanoix.federation.directory import Directory, NodeEntry, sign_directory
from hanoix.federation.settings import trust_file
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


def pdfa_identification(path: Path) -> tuple[str, str]:
    """The PDF/A part and conformance the file's XMP metadata declares (as elements, as Typst
    writes them, or as attributes, as pyHanko rewrites them when it signs)."""
    meta = poppler("pdfinfo", "-meta", str(path))
    found = []
    for name in ("part", "conformance"):
        match = re.search(rf'pdfaid:{name}(?:>|=")([^<"]+)', meta)
        found.append(match.group(1) if match else "")
    return found[0], found[1]


def folded(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def world_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """Austria's node (the requesting State) with the request world's people: one per module
    (a node costs half a second to make; each test makes requests of its own)."""
    yield from state_node(tmp_path_factory.mktemp("aut") / "home", "AUT")


@pytest.fixture(scope="module")
def receiving_node(world_node: Node, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """Viet Nam's node, which receives a letter; both nodes hold a directory that lists both."""
    for node in state_node(tmp_path_factory.mktemp("vnm") / "home", "VNM"):
        publish_directory(world_node, node)
        yield node


def publish_directory(*nodes: Node, serial: int = 1) -> SigningKey:
    """A directory authority's directory of ``nodes``, in force on each of them."""
    entries = tuple(node.federation.own_entry() for node in nodes)
    return install_directory(*nodes, entries=entries, serial=serial)


def install_directory(*nodes: Node, entries: tuple[NodeEntry, ...], serial: int = 1) -> SigningKey:
    """A new directory authority's directory of ``entries``, in force on each of ``nodes``."""
    authority, _ = keyfiles.generate("directory", None)
    directory = Directory(serial=serial, issued=nodes[0].clock.now(), nodes=entries)
    data = sign_directory(directory, authority)
    for node in nodes:
        trust_file(node.settings).write_text(keyfiles.dump_public(authority.public), "utf-8")
        node.federation.import_directory(data)
    return authority


def state_node(home: Path, state: str) -> Iterator[Node]:
    settings = load_settings(
        home, environ={"HANOIX_STATE": state}, database_url=f"sqlite:///{home}.sqlite"
    )
    node = Node.open(settings, clock=FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC)))
    node.initialise()
    populate(node)
    yield node
    node.close()
