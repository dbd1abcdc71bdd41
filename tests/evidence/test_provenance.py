"""Provenance as CASE/UCO: the CASE community's own validator must accept the graph."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hanoix.evidence.provenance import provenance_graph
from hanoix.evidence.verify import PackageReport
from hanoix.ledger.events import CustodyEvent, EventKind
from tests.evidence.helpers import authority, open_bytes, seal_bytes, verify_bytes

VECTORS = Path(__file__).with_name("vectors")
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


def test_the_whole_graph_is_pinned() -> None:
    # tests/evidence/vectors/provenance-answer.jsonld is the graph above as case_validate
    # accepts it: a change of any name, type, value or identifier cannot pass unseen.
    pinned = (VECTORS / "provenance-answer.jsonld").read_text(encoding="utf-8")
    assert _graph() == json.loads(pinned)


# The namespace of the graph's identifiers: kb:KIND-UUIDv5(package id|KIND|parts).
NAMESPACE = uuid.UUID("6c0a1c52-4b8e-5e53-9d0e-68616e6f6978")


def _iri(package_id: str, kind: str, *parts: str) -> str:
    return f"kb:{kind}-{uuid.uuid5(NAMESPACE, '|'.join((package_id, kind, *parts)))}"


def _nodes(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["@id"]: node for node in graph["@graph"]}


def test_identifiers_are_uuid5_of_the_package_id_kind_and_parts() -> None:
    package, sealed = seal_bytes(FILES, SENDER, [RECEIVER])
    opened, _ = open_bytes(package, RECEIVER)
    nodes = _nodes(
        provenance_graph(
            opened.report, package_name="p.hxp", package_sha256="00" * 32, manifest=opened.manifest
        )
    )
    pid = sealed.package_id
    assert nodes[_iri(pid, "file", "package")]["uco-core:name"] == "p.hxp"
    assert nodes[_iri(pid, "file", "phone/whatsapp.db")]["uco-core:name"] == "phone/whatsapp.db"
    assert nodes[_iri(pid, "organization", "Police (VNM)")]["uco-core:name"] == "Police (VNM)"
    assert nodes[_iri(pid, "tool", "hanoix")]["uco-core:name"] == "hanoix"


def test_a_package_without_request_files_or_named_holders_says_only_what_it_knows() -> None:
    anonymous = authority(3, None, None)
    package, sealed = seal_bytes({"a": b"x"}, anonymous, [RECEIVER], request=None)
    report = verify_bytes(package).report
    graph = provenance_graph(
        report, package_name="p.hxp", package_sha256="cd" * 32, generator="hanoix 9"
    )
    pid = sealed.package_id
    nodes = _nodes(graph)
    sender = f"holder of key {anonymous.sender.key_id}"
    assert nodes[_iri(pid, "organization", sender)] == {
        "@id": _iri(pid, "organization", sender),
        "@type": "uco-identity:Organization",
        "uco-core:name": sender,
    }
    assert nodes[_iri(pid, "provenance-record")] == {
        "@id": _iri(pid, "provenance-record"),
        "@type": "case-investigation:ProvenanceRecord",
        "case-investigation:exhibitNumber": pid,
        "uco-core:object": [{"@id": _iri(pid, "file", "package")}],
    }
    sealing = nodes[_iri(pid, "action", "sealed")]
    assert sealing["uco-core:description"] == (
        "Sealed into an evidence package (SHA-256 per file, AES-256-GCM, BLAKE3 tree, "
        "Ed25519 signature)"
    )
    assert "uco-action:object" not in sealing
    assert sealing["uco-action:instrument"] == [{"@id": _iri(pid, "tool", "hanoix 9")}]
    assert nodes[_iri(pid, "tool", "hanoix 9")]["uco-core:name"] == "hanoix 9"
    assert len(graph["@graph"]) == 6  # two holders, the package, the tool, record, sealing


def test_an_event_by_a_party_already_named_reuses_its_node() -> None:
    package, sealed = seal_bytes({"a": b"x"}, SENDER, [RECEIVER])
    report = verify_bytes(package).report
    at = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    events = [
        CustodyEvent(EventKind.PACKAGE_VERIFIED, "clerk", "Police (VNM)", at, {"p": "1"}),
        CustodyEvent(EventKind.PACKAGE_VERIFIED, "judge", "Court", at, {"p": "1"}),
        CustodyEvent(EventKind.PACKAGE_VERIFIED, "clerk2", "Court", at, {"p": "1"}),
    ]
    graph = provenance_graph(report, package_name="p", package_sha256="00" * 32, events=events)
    pid = sealed.package_id
    organizations = [n["uco-core:name"] for n in graph["@graph"] if "Organization" in n["@type"]]
    assert organizations == ["Ministry of Justice (AUT)", "Police (VNM)", "Court"]
    nodes = _nodes(graph)
    performers = [nodes[_iri(pid, "action", "event", str(i))] for i in range(3)]
    assert [p["uco-action:performer"]["@id"] for p in performers] == [
        _iri(pid, "organization", "Police (VNM)"),
        _iri(pid, "organization", "Court"),
        _iri(pid, "organization", "Court"),
    ]
    assert performers[1]["uco-core:description"] == "package.verified by judge"


def test_a_report_without_header_or_trailer_has_no_provenance() -> None:
    with pytest.raises(
        ValueError, match=r"^provenance needs a package whose header and trailer were read$"
    ):
        provenance_graph(PackageReport(size=40), package_name="p", package_sha256="00" * 32)


def test_a_report_whose_trailer_was_not_read_has_no_provenance() -> None:
    package, _ = seal_bytes({"a": b"x"}, SENDER, [RECEIVER])
    header = verify_bytes(package).header
    with pytest.raises(
        ValueError, match=r"^provenance needs a package whose header and trailer were read$"
    ):
        provenance_graph(
            PackageReport(size=len(package), header=header),
            package_name="p",
            package_sha256="00" * 32,
        )


def test_a_file_at_the_top_of_the_package_is_named_by_its_path() -> None:
    package, sealed = seal_bytes({"top.txt": b"x", "d/e/f.txt": b"y"}, SENDER, [RECEIVER])
    opened, _ = open_bytes(package, RECEIVER)
    nodes = _nodes(
        provenance_graph(
            opened.report, package_name="p", package_sha256="00" * 32, manifest=opened.manifest
        )
    )
    names = {
        path: nodes[_iri(sealed.package_id, "file", path)]["uco-core:hasFacet"][0][
            "uco-observable:fileName"
        ]
        for path in ("top.txt", "d/e/f.txt")
    }
    assert names == {"top.txt": "top.txt", "d/e/f.txt": "f.txt"}
