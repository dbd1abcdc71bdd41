"""``hanoix ledger``: JSON on stdout, exit 0/1/2, nothing appended on bad input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from hanoix.ledger.checkpoint import NoteVerifier, open_checkpoint
from hanoix.ledger.proofs import ConsistencyProof, InclusionProof


def event(number: int) -> dict[str, Any]:
    return {
        "kind": "request.created",
        "actor": "clerk:tran.thi.b",
        "authority": "VNM-CA",
        "at": f"2026-11-23T10:{number:02d}:00Z",
        "subject": {"request": f"VNM-2026-{number:04d}"},
        "details": {"kind": "mutual-legal-assistance"},
    }


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "node"


@pytest.fixture
def filled(cli: Any, home: Path, tmp_path: Path) -> Path:
    """A node whose ledger holds events 0..4 (one file, then a list of four)."""
    one = tmp_path / "one.json"
    one.write_text(json.dumps(event(0)))
    many = tmp_path / "many.json"
    many.write_text(json.dumps([event(i) for i in range(1, 5)]))
    assert cli("--home", home, "ledger", "append", one).exit_code == 0
    result = cli("--home", home, "ledger", "append", many, "--json")
    assert result.exit_code == 0, result.stderr
    assert [e["index"] for e in result.json()["entries"]] == [1, 2, 3, 4]
    assert result.json()["tree_size"] == 5
    return home


def vkey(cli: Any, home: Path) -> str:
    result = cli("--home", home, "ledger", "key", "--json")
    assert result.exit_code == 0, result.stderr
    value: str = result.json()["vkey"]
    return value


def test_append_creates_the_home_and_reports_the_entry(
    cli: Any, home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event(7)))
    result = cli("--home", home, "ledger", "append", path, "--json")
    assert result.exit_code == 0, result.stderr
    [entry] = result.json()["entries"]
    assert entry["index"] == 0
    assert bytes.fromhex(entry["leaf_hash"]) == bytes.fromhex(result.json()["root_hash"])
    human = cli("--home", home, "ledger", "append", path)
    assert human.exit_code == 0
    assert human.stdout == ""
    assert "appended entry 1" in human.stderr


def test_a_malformed_event_names_the_field_and_appends_nothing(
    cli: Any, filled: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**event(9), "at": "2026-11-23 10:00"}))
    result = cli("--home", filled, "ledger", "append", bad, "--json")
    assert result.exit_code == 2
    assert "'at'" in result.stderr
    assert result.json()["error"] == "malformed-entry"
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps([event(9), {**event(10), "kind": "request.lost"}]))
    result = cli("--home", filled, "ledger", "append", mixed)
    assert result.exit_code == 2
    assert "event 1" in result.stderr
    assert "kind" in result.stderr
    for garbage in ("{not json", ""):
        bad.write_text(garbage)
        assert cli("--home", filled, "ledger", "append", bad).exit_code == 2
    assert cli("--home", filled, "ledger", "append", tmp_path / "missing.json").exit_code == 2
    exported = cli("--home", filled, "ledger", "export", "--json")
    assert len(exported.json()) == 5


def test_checkpoint_prints_a_signed_note(cli: Any, filled: Path) -> None:
    result = cli("--home", filled, "ledger", "checkpoint", "--json")
    assert result.exit_code == 0, result.stderr
    value = result.json()
    signed = open_checkpoint(value["checkpoint"], NoteVerifier.from_vkey(value["vkey"]))
    assert (signed.size, signed.root_hash.hex()) == (5, value["root_hash"])
    piped = cli("--home", filled, "ledger", "checkpoint")
    assert piped.exit_code == 0, piped.stderr
    # The signed note alone on stdout, byte for byte (for transparency tools in a pipe);
    # the message for a person, with the key to check it, on stderr.
    assert piped.stdout == value["checkpoint"]
    assert value["vkey"] in piped.stderr
    assert value["checkpoint"] not in piped.stderr


def test_prove_prints_a_proof_that_verifies_offline(cli: Any, filled: Path, tmp_path: Path) -> None:
    result = cli("--home", filled, "ledger", "prove", "--index", "3", "--json")
    assert result.exit_code == 0, result.stderr
    value = result.json()
    assert set(value) == {
        "index",
        "tree_size",
        "leaf_hash",
        "root_hash",
        "audit_path",
        "checkpoint",
    }
    assert (value["index"], value["tree_size"]) == (3, 5)
    proof = InclusionProof.from_dict(value)
    proof.verify(NoteVerifier.from_vkey(vkey(cli, filled)), entry=rfc8785.dumps(event(3)))
    smaller = cli("--home", filled, "ledger", "prove", "--index", "1", "--size", "2", "--json")
    assert smaller.json()["tree_size"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--index", "5"], "not in the tree of size 5"),
        (["--index", "3", "--size", "2"], "not in the tree of size 2"),
        (["--index", "0", "--size", "6"], "no tree of size 6"),
        (["--index", "x"], "x"),
    ],
)
def test_impossible_proofs_exit_2(cli: Any, filled: Path, args: list[str], message: str) -> None:
    result = cli("--home", filled, "ledger", "prove", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_consistency_prints_a_proof_that_verifies(cli: Any, filled: Path) -> None:
    result = cli("--home", filled, "ledger", "consistency", "--from", "2", "--json")
    assert result.exit_code == 0, result.stderr
    proof = ConsistencyProof.from_dict(result.json())
    first, second = proof.verify(NoteVerifier.from_vkey(vkey(cli, filled)))
    assert (first.size, second.size) == (2, 5)
    assert cli("--home", filled, "ledger", "consistency", "--from", "4", "--to", "3").exit_code == 2
    assert cli("--home", filled, "ledger", "consistency", "--from", "1", "--to", "9").exit_code == 2


def test_export_lists_the_entries_in_order(cli: Any, filled: Path) -> None:
    result = cli("--home", filled, "ledger", "export", "--json")
    assert result.exit_code == 0
    exported = result.json()
    assert [item["index"] for item in exported] == [0, 1, 2, 3, 4]
    assert [item["entry"] for item in exported] == [event(i) for i in range(5)]
    part = cli("--home", filled, "ledger", "export", "--start", "2", "--stop", "4", "--json")
    assert [item["index"] for item in part.json()] == [2, 3]
    human = cli("--home", filled, "ledger", "export")
    assert human.stderr.count("\n") == 5


def test_export_by_subject_gives_one_objects_history(cli: Any, filled: Path) -> None:
    result = cli(
        "--home", filled, "ledger", "export", "--subject", "request=VNM-2026-0003", "--json"
    )
    assert result.exit_code == 0, result.stderr
    assert [item["index"] for item in result.json()] == [3]
    assert cli("--home", filled, "ledger", "export", "--subject", "request").exit_code == 2


def test_verify_passes_then_fails_after_tampering(cli: Any, filled: Path) -> None:
    cli("--home", filled, "ledger", "checkpoint")
    result = cli("--home", filled, "ledger", "verify", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["verified"] is True
    assert result.json()["checkpoints_checked"] == 1
    with sqlite3.connect(filled / "hanoix.db") as db:
        db.execute(
            "UPDATE ledger_entries SET entry = ? WHERE idx = 2",
            (rfc8785.dumps({**event(2), "actor": "someone else"}),),
        )
    result = cli("--home", filled, "ledger", "verify", "--json")
    assert result.exit_code == 1
    assert result.json()["error"] == "log-inconsistent"
    assert "entry 2" in result.stderr


def test_check_proof_verifies_offline_and_fails_closed(
    cli: Any, filled: Path, tmp_path: Path
) -> None:
    key = vkey(cli, filled)
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(cli("--home", filled, "ledger", "prove", "--index", "2", "--json").stdout)
    entry_file = tmp_path / "entry.json"
    entry_file.write_text(json.dumps(event(2), indent=4))  # spacing does not matter
    result = cli("ledger", "check-proof", proof_file, "--key", key, "--entry", entry_file, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["entry_checked"] is True
    consistency_file = tmp_path / "consistency.json"
    consistency_file.write_text(
        cli("--home", filled, "ledger", "consistency", "--from", "1", "--json").stdout
    )
    assert cli("ledger", "check-proof", consistency_file, "--key", key).exit_code == 0
    # Another entry, a tampered path, a bad key, a malformed file.
    entry_file.write_text(json.dumps(event(3)))
    wrong_entry = cli("ledger", "check-proof", proof_file, "--key", key, "--entry", entry_file)
    assert wrong_entry.exit_code == 1
    data = json.loads(proof_file.read_text())
    data["audit_path"][0] = "00" * 32
    proof_file.write_text(json.dumps(data))
    assert cli("ledger", "check-proof", proof_file, "--key", key).exit_code == 1
    assert cli("ledger", "check-proof", proof_file, "--key", "not-a-key").exit_code == 2
    proof_file.write_text("{}")
    assert cli("ledger", "check-proof", proof_file, "--key", key).exit_code == 2


def test_reading_a_home_that_does_not_exist_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    result = cli("--home", tmp_path / "nowhere", "ledger", "verify")
    assert result.exit_code == 2
    assert "hanoix --home" in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_disclose_gives_one_requests_key_and_pseudonym(cli: Any, filled: Path) -> None:
    import hashlib
    import hmac

    result = cli("--home", filled, "ledger", "disclose", "AUT-2026-000042", "--json")
    assert result.exit_code == 0, result.stderr
    shown = result.json()
    key = bytes.fromhex(shown["request_key"])
    assert shown["pseudonym"] == (
        "hmac-sha256:" + hmac.new(key, b"AUT-2026-000042", hashlib.sha256).hexdigest()
    )
    other = cli("--home", filled, "ledger", "disclose", "AUT-2026-000043", "--json").json()
    assert other["request_key"] != shown["request_key"]
    assert cli("--home", filled, "ledger", "disclose", "not-a-reference").exit_code == 2


def test_an_entry_as_deep_as_the_bound_is_served_and_its_proof_checks(
    cli: Any, home: Path, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from hanoix.api.app import create_app
    from hanoix.config import load_settings
    from hanoix.ledger.events import MAX_DEPTH
    from hanoix.services import auth
    from hanoix.services.node import Node

    details: dict[str, Any] = {"n": 1.5}
    for _ in range(MAX_DEPTH - 2):  # the entry is level 1, details level 2
        details = {"a": details}
    # About a package of VNM-CA (no request), so that VNM-CA's auditor reads it (docs/ledger.md,
    # "Who reads entries").
    deep = {
        **event(0),
        "kind": "package.sealed",
        "subject": {"package": "sha256:" + "ab" * 32},
        "details": details,
    }
    entry_file = tmp_path / "deep.json"
    entry_file.write_text(json.dumps(deep))
    appended = cli("--home", home, "ledger", "append", entry_file, "--json")
    assert appended.exit_code == 0, appended.stderr
    too_deep = tmp_path / "too-deep.json"
    too_deep.write_text(json.dumps({**event(1), "details": {"a": details}}))
    refused = cli("--home", home, "ledger", "append", too_deep)
    assert refused.exit_code == 2 and f"deeper than {MAX_DEPTH}" in refused.stderr
    assert "Traceback" not in refused.stderr

    node = Node.open(load_settings(home, environ={}))
    try:
        with node.unit_of_work() as session:
            auth.add_authority(
                session, node.clock, auth.Authority("VNM-CA", "CA", "central-authority", "VNM")
            )
            auth.add_user(
                session, node.clock, username="an", display_name="an", roles={"auditor"},
                authority="VNM-CA", password=None,
            )  # fmt: skip
            issued = auth.issue_token(session, node.clock, auth.user_id(session, "an"), "t")
        with TestClient(create_app(node)) as client:
            served = client.get(
                "/api/v1/ledger/entries", headers={"Authorization": f"Bearer {issued}"}
            )
    finally:
        node.close()
    assert served.status_code == 200, served.text
    [item] = [e for e in served.json()["entries"] if e["index"] == 0]
    assert item["entry"] == deep  # served whole, every level

    proof_file = tmp_path / "proof.json"
    proof_file.write_text(cli("--home", home, "ledger", "prove", "--index", "0", "--json").stdout)
    checked = cli(
        "ledger", "check-proof", proof_file, "--key", vkey(cli, home), "--entry", entry_file,
        "--json",
    )  # fmt: skip
    assert checked.exit_code == 0, checked.stderr
    assert checked.json()["entry_checked"] is True
