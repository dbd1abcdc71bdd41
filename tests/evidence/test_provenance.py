"""Provenance as CASE/UCO: the CASE community's own validator must accept the graph."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hanoix.evidence.provenance import provenance_graph
from hanoix.ledger.events import CustodyEvent, EventKind
from tests.evidence.helpers import authority, open_bytes, seal_bytes

SENDER = authority(1)
RECEIVER = authority(2, "Police", "VNM")
FILES = {"phone/whatsapp.db": b"sqlite" * 100, "phone/DCIM/ảnh.jpg": b"\xff\xd8" * 50}


def _graph() -> dict[str, object]:
    package, _ = seal_bytes(FILES, SENDER, [RECEIVER])
    opened, _ = open_bytes(package, RECEIVER)
    event = CustodyEvent(
        EventKind.PACKAGE_VERIFIED,
        actor="clerk",
        authority="VNM-CA",
        at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        subject={"package": opened.package_id},
    )
    return provenance_graph(
        opened.report,
        package_name="answer.hxp",
        package_sha256="ab" * 32,
        manifest=opened.manifest,
        events=[event],
    )


def _case_validate() -> str:
    return str(Path(sys.executable).with_name("case_validate"))


def test_the_graph_names_files_digests_parties_and_request() -> None:
    graph = _graph()
    nodes = graph["@graph"]
    assert isinstance(nodes, list)
    types = [n["@type"] for n in nodes]
    assert types.count("uco-observable:File") == 1 + len(FILES)
    assert "case-investigation:ProvenanceRecord" in types
    assert types.count("case-investigation:InvestigativeAction") == 2
    text = json.dumps(graph, ensure_ascii=False)
    for path in FILES:
        assert path in text
    assert "AUT-2026-0001" in text
    assert "Ministry of Justice (AUT)" in text and "Police (VNM)" in text
    assert graph == _graph()  # identifiers are derived, not random


@pytest.mark.slow
def test_case_validate_accepts_the_graph(tmp_path: Path) -> None:
    document = tmp_path / "provenance.jsonld"
    document.write_text(json.dumps(_graph(), ensure_ascii=False), encoding="utf-8")
    result = subprocess.run(
        [_case_validate(), str(document)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Conforms: True" in result.stdout


@pytest.mark.slow
def test_case_validate_rejects_a_broken_graph(tmp_path: Path) -> None:
    # The check above can fail: a wrong datatype is refused by the same validator.
    graph = _graph()
    nodes = graph["@graph"]
    assert isinstance(nodes, list)
    package = next(n for n in nodes if n["@type"] == "uco-observable:File")
    package["uco-core:hasFacet"][0]["uco-observable:sizeInBytes"] = "not a number"
    document = tmp_path / "broken.jsonld"
    document.write_text(json.dumps(graph), encoding="utf-8")
    result = subprocess.run(
        [_case_validate(), str(document)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
