"""Custody events of evidence operations on a node (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hanoix.evidence import PackageVerificationError
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.services import custody, evidence
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from tests.evidence.helpers import authority

SENDER = authority(1)
RECEIVER = authority(2, "Police", "VNM")


def _events(node: Node) -> list[CustodyEvent]:
    return [
        CustodyEvent.from_dict(json.loads(entry.entry)) for entry in CustodyLedger(node).entries()
    ]


def test_seal_send_verify_open_are_recorded(node: Node, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("evidence")
    package = tmp_path / "p.hxp"
    actor = evidence.Actor("maria", "AUT-CA")
    sealed = evidence.seal_files(
        evidence.collect_sources([tmp_path / "in"]),
        package,
        signer=SENDER.signing,
        recipients=[RECEIVER.recipient],
        clock=node.clock,
        request="AUT-2026-0003",
        node=node,
        actor=actor,
    )
    evidence.record_sent(node, sealed.package_id, actor, ["VNM-CA"])
    evidence.verify_file(package, node=node, actor=evidence.Actor("nguyen", "VNM-CA"))
    evidence.open_file(
        package,
        RECEIVER.decryption,
        tmp_path / "out",
        node=node,
        actor=evidence.Actor("nguyen", "VNM-CA"),
    )
    events = _events(node)
    ours = [e for e in events if e.subject == {"package": sealed.package_id}]
    assert [e.kind for e in ours] == [
        EventKind.PACKAGE_SEALED,
        EventKind.PACKAGE_SENT,
        EventKind.PACKAGE_VERIFIED,
        EventKind.PACKAGE_OPENED,
    ]
    # The request it was sealed for, by its pseudonym (docs/ledger.md, "Requests by pseudonym").
    assert (
        ours[0].details["request"] == custody.disclose_request_key(node, "AUT-2026-0003").pseudonym
    )
    assert ours[0].details["files"] == 1
    assert ours[1].details["to"] == ["VNM-CA"]
    assert ours[2].details["verified"] is True
    assert ours[3].actor == "nguyen"
    assert all(e.at == node.clock.now() for e in ours)
    assert "a.txt" not in json.dumps([e.as_dict() for e in events])  # no names in the log


def test_a_failed_verification_is_recorded_too(node: Node, tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_bytes(b"x" * 5000)
    package = tmp_path / "p.hxp"
    sealed = evidence.seal_files(
        evidence.collect_sources([source]),
        package,
        signer=SENDER.signing,
        recipients=[RECEIVER.recipient],
        clock=node.clock,
        chunk_size=1024,
    )
    data = bytearray(package.read_bytes())
    data[1500] ^= 1
    package.write_bytes(bytes(data))
    with pytest.raises(PackageVerificationError):
        evidence.verify_file(package, node=node)
    [event] = [e for e in _events(node) if e.subject == {"package": sealed.package_id}]
    assert event.kind is EventKind.PACKAGE_VERIFIED
    assert event.details["verified"] is False
    assert "chunk" in event.details["problems"][0]
