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

    verified = run(receiving_node, "letter", "verify", str(out), "--offline", "--json")
    assert verified.exit_code == 0, verified.stdout
    assert verified.json()["verified"] is True and verified.json()["ledger_checked"] is False
    skipped = run(receiving_node, "letter", "verify", str(out), "--offline")
    assert "skip ledger: not checked" in skipped.stderr

    # The requesting node writes the record of the issue for a verifier who cannot reach it.
    proof_file = tmp_path / "proof.json"
    given = run(world_node, "letter", "proof", str(out), "-o", str(proof_file))
    assert given.exit_code == 0, given.stderr
    assert f"entry {written.json()['ledger']['index']}" in given.stderr
    proved = run(receiving_node, "letter", "verify", str(out), "--proof", str(proof_file))
    assert proved.exit_code == 0 and "ok   ledger: entry" in proved.stderr
    assert json.loads(run(world_node, "letter", "proof", str(out)).stdout) == json.loads(
        proof_file.read_text("utf-8")
    )
    # A bare inclusion proof does not show the entry is this letter's: refused, saying why.
    mark = written.json()["ledger"]
    bare = CustodyLedger(world_node).prove_inclusion(mark["index"], mark["tree_size"])
    bare_file = tmp_path / "bare.json"
    bare_file.write_text(json.dumps(bare.as_dict()), "utf-8")
    refused = run(receiving_node, "letter", "verify", str(out), "--proof", str(bare_file))
    assert refused.exit_code == 2 and "hanoix letter proof" in refused.stderr
    # Viet Nam's node recorded no issue of Austria's letter.
    none = run(receiving_node, "letter", "proof", str(out))
    assert none.exit_code != 0 and "no issue of a letter" in none.stderr

    damaged = tmp_path / "damaged.pdf"
    data = out.read_bytes()
    at = data.index(b"Demande de coop")
    damaged.write_bytes(data[:at] + b"d" + data[at + 1 :])
    refused = run(receiving_node, "letter", "verify", str(damaged))
    assert refused.exit_code == 1
    assert "FAIL signature: altered after signing" in refused.stderr

    bare = tmp_path / "bare.json"
    bare.write_text('{"format": "nothing"}', "utf-8")
    refused = run(receiving_node, "request", "import-letter", str(out), "--proof", str(bare))
    assert refused.exit_code == 2, refused.stderr
    imported = run(
        receiving_node, "request", "import-letter", str(out), "--offline", "--as", "vnm-clerk"
    )
    assert imported.exit_code == 0, imported.stderr
    assert str(request.reference) in imported.stdout + imported.stderr
    assert "ok   signature:" in imported.stderr
    assert "skip ledger: not checked" in imported.stderr


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
