"""The letters from the command line: 'request letter', 'letter verify', 'request
import-letter', with the exit codes of every command (0 yes, 1 no, 2 unusable input)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from tests.services.requests_world import outgoing


def _home(node: Node) -> list[str]:
    return ["--home", str(node.settings.home)]


@pytest.fixture
def run(cli: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    def call(node: Node, *args: str) -> Any:
        monkeypatch.setenv("HANOIX_DATABASE_URL", node.settings.database_url)
        monkeypatch.setenv("HANOIX_STATE", node.settings.state or "")
        return cli(*_home(node), *args)

    return call


def _letter(run: Any, node: Node, reference: str, out: Path, lang: str, *more: str) -> Any:
    return run(
        node,
        "request",
        "letter",
        reference,
        "-o",
        str(out),
        "--as",
        "editor",
        "--lang",
        lang,
        *more,
    )


def test_a_letter_is_written_verified_and_imported(
    world_node: Node, receiving_node: Node, run: Any, tmp_path: Path
) -> None:
    request = outgoing(world_node, "approved")
    out = tmp_path / "letter.pdf"
    written = _letter(run, world_node, str(request.reference), out, "fr", "--json")
    assert written.exit_code == 0, written.stderr
    assert written.json()["language"] == "fr" and written.json()["draft"] is False
    again = run(world_node, "request", "letter", str(request.reference), "-o", str(out))
    assert again.exit_code == 2 and "exists already" in again.stderr

    verified = run(receiving_node, "letter", "verify", str(out), "--json")
    assert verified.exit_code == 0, verified.stdout
    assert verified.json()["verified"] is True
    mark = written.json()["ledger"]
    proof = CustodyLedger(world_node).prove_inclusion(mark["index"], mark["tree_size"])
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(json.dumps(proof.as_dict()), "utf-8")
    proved = run(receiving_node, "letter", "verify", str(out), "--proof", str(proof_file))
    assert proved.exit_code == 0 and "ok   ledger: entry" in proved.stderr

    damaged = tmp_path / "damaged.pdf"
    data = out.read_bytes()
    at = data.index(b"Demande de coop")
    damaged.write_bytes(data[:at] + b"d" + data[at + 1 :])
    refused = run(receiving_node, "letter", "verify", str(damaged))
    assert refused.exit_code == 1
    assert "FAIL signature: altered after signing" in refused.stderr

    imported = run(
        receiving_node, "request", "import-letter", str(out), "--as", "vnm-clerk", "--json"
    )
    assert imported.exit_code == 0, imported.stderr
    assert imported.json()["reference"] == str(request.reference)


def test_an_unknown_language_and_a_file_that_is_not_a_letter_are_usage_errors(
    world_node: Node, run: Any, tmp_path: Path
) -> None:
    request = outgoing(world_node, "approved")
    out = tmp_path / "x.pdf"
    unknown = _letter(run, world_node, str(request.reference), out, "xx")
    assert unknown.exit_code == 2 and "no letter wording for language 'xx'" in unknown.stderr
    assert not out.exists()
    text = tmp_path / "note.txt"
    text.write_text("hello", "utf-8")
    assert run(world_node, "letter", "verify", str(text)).exit_code == 2
