"""``hanoix evidence``: pack, verify, open and provenance, end to end, and every bad input."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hanoix.config import load_settings
from hanoix.evidence.format import FOOTER_SIZE
from hanoix.ledger.events import CustodyEvent
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node


@dataclass
class World:
    root: Path
    sender: Path
    receiver: Path
    outsider: Path
    evidence: Path

    def package(self, cli: Any, *extra: str, name: str = "answer.hxp") -> Path:
        out = self.root / name
        result = cli(
            "evidence", "pack", self.evidence, "--sign-key", self.sender / "signing.key",
            "--to", self.receiver / "encryption.pub", "--request", "AUT-2026-0042",
            "--note", "seized under warrant 17", "--chunk-size", "1024", "-o", out, *extra,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        return out


@pytest.fixture
def world(cli: Any, tmp_path: Path) -> World:
    for name, authority, state in [
        ("aut", "Ministry of Justice", "AUT"),
        ("vnm", "Ministry of Public Security", "VNM"),
        ("fra", "Ministère de la Justice", "FRA"),
    ]:
        made = cli(
            "keys", "new", "--out", tmp_path / name, "--authority", authority, "--state", state
        )
        assert made.exit_code == 0, made.stderr
    evidence = tmp_path / "case-17"
    (evidence / "phone" / "DCIM").mkdir(parents=True)
    (evidence / "phone" / "DCIM" / "ảnh 001.jpg").write_bytes(os.urandom(5000))
    (evidence / "phone" / "notes.txt").write_text("meeting at 9\n")
    (evidence / "empty.log").write_bytes(b"")
    os.utime(evidence / "phone" / "notes.txt", (1_700_000_000, 1_700_000_000))
    return World(tmp_path, tmp_path / "aut", tmp_path / "vnm", tmp_path / "fra", evidence)


def _no_traceback(result: Any) -> None:
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if "error" in line]) <= 1


def test_pack_verify_open_round_trip(cli: Any, world: World) -> None:
    package = world.package(cli)

    verified = cli("evidence", "verify", package, "--sender-key", world.sender / "signing.pub",
                   "--json")  # fmt: skip
    assert verified.exit_code == 0, verified.stderr
    report = verified.json()
    assert report["verified"] is True
    assert report["signer"]["authority"] == "Ministry of Justice"
    assert [r["state"] for r in report["recipients"]] == ["VNM"]
    assert (report["files"], report["bytes"]) == (3, 5013)
    assert report["request"] == "AUT-2026-0042"
    assert report["problems"] == []

    out = world.root / "received"
    opened = cli("evidence", "open", package, "--key", world.receiver / "encryption.key",
                 "-o", out, "--json")  # fmt: skip
    assert opened.exit_code == 0, opened.stderr
    for original in world.evidence.rglob("*"):
        if original.is_file():
            copy = out / "case-17" / original.relative_to(world.evidence)
            assert copy.read_bytes() == original.read_bytes()
    assert (out / "case-17" / "phone" / "notes.txt").stat().st_mtime == 1_700_000_000
    assert opened.json()["note"] == "seized under warrant 17"
    assert [p.name for p in world.root.iterdir() if p.name.startswith(".")] == []


def test_human_output_goes_to_stderr(cli: Any, world: World) -> None:
    package = world.package(cli)
    result = cli("evidence", "verify", package)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "verified" in result.stderr and "AUT-2026-0042" in result.stderr


def _corrupt(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))


def test_a_tampered_package_fails_verify_and_open_writes_nothing(cli: Any, world: World) -> None:
    package = world.package(cli)
    _corrupt(package, 2000)  # inside the chunks
    verified = cli("evidence", "verify", package, "--json")
    assert verified.exit_code == 1
    report = verified.json()
    assert report["verified"] is False
    assert report["problems"][0]["field"].startswith("chunk ")
    assert "does not match its committed hash" in verified.stderr
    out = world.root / "received"
    opened = cli("evidence", "open", package, "--key", world.receiver / "encryption.key", "-o", out)
    assert opened.exit_code == 1
    assert "chunk" in opened.stderr
    assert not out.exists()
    assert [p.name for p in world.root.iterdir() if p.name.startswith(".")] == []
    _no_traceback(opened)


def test_a_truncated_package_is_named(cli: Any, world: World) -> None:
    package = world.package(cli)
    data = package.read_bytes()
    package.write_bytes(data[: len(data) - FOOTER_SIZE - 100])
    result = cli("evidence", "verify", package)
    assert result.exit_code == 1
    assert "truncated" in result.stderr
    _no_traceback(result)


def test_the_wrong_sender_is_named(cli: Any, world: World) -> None:
    package = world.package(cli)
    result = cli("evidence", "verify", package, "--sender-key", world.outsider / "signing.pub")
    assert result.exit_code == 1
    assert "wrong sender" in result.stderr


def test_a_mis_addressed_package_writes_nothing(cli: Any, world: World) -> None:
    package = world.package(cli)
    out = world.root / "received"
    result = cli("evidence", "open", package, "--key", world.outsider / "encryption.key", "-o", out)
    assert result.exit_code == 1
    assert "not addressed to key" in result.stderr
    assert "Ministry of Public Security" in result.stderr
    assert not out.exists()
    _no_traceback(result)


def test_open_never_overwrites_existing_files(cli: Any, world: World) -> None:
    package = world.package(cli)
    out = world.root / "received"
    (out / "case-17").mkdir(parents=True)
    (out / "case-17" / "empty.log").write_text("mine")
    result = cli("evidence", "open", package, "--key", world.receiver / "encryption.key", "-o", out)
    assert result.exit_code == 2
    assert "exists already" in result.stderr
    assert (out / "case-17" / "empty.log").read_text() == "mine"
    assert sorted(p.name for p in (out / "case-17").iterdir()) == ["empty.log"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text\n", "not a Hanoi Exchange evidence package"),
        (b"\x89HXEV\r\n\x1a\x00\x07\x00\x00\x00\x00\x00\x10", "version 7 is not supported"),
    ],
)
def test_not_a_package_and_future_versions_are_input_errors(
    cli: Any, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "thing.hxp"
    path.write_bytes(content)
    result = cli("evidence", "verify", path)
    assert result.exit_code == 2
    assert message in result.stderr
    _no_traceback(result)


def test_bad_inputs_to_pack_exit_2_and_leave_no_output(cli: Any, world: World) -> None:
    out = world.root / "p.hxp"
    good_key, good_to = world.sender / "signing.key", world.receiver / "encryption.pub"
    cases = [
        (world.root / "missing.txt", good_key, good_to, "no such file or folder"),
        (world.evidence, world.sender / "encryption.key", good_to, "--sign-key needs an"),
        (world.evidence, good_key, world.receiver / "signing.pub", "--to needs an X25519"),
        (world.evidence, good_key, world.receiver / "encryption.key", "is a private key"),
        (world.evidence, world.root / "nokey", good_to, "no such key file"),
        (world.evidence, world.evidence, good_to, "is a folder, not a key file"),
    ]
    for source, key, to, message in cases:
        result = cli("evidence", "pack", source, "--sign-key", key, "--to", to, "-o", out)
        assert result.exit_code == 2, (message, result.stderr)
        assert message in result.stderr, (message, result.stderr)
        _no_traceback(result)
        assert not out.exists()
    assert sorted(p.name for p in world.root.iterdir()) == ["aut", "case-17", "fra", "vnm"]


def test_a_corrupted_key_is_an_input_error(cli: Any, world: World) -> None:
    key = world.sender / "signing.key"
    key.write_text(key.read_text().replace("secret: ", "secret: AAAA"))
    result = cli("evidence", "pack", world.evidence, "--sign-key", key,
                 "--to", world.receiver / "encryption.pub", "-o", world.root / "p.hxp")  # fmt: skip
    assert result.exit_code == 2
    assert "corrupted" in result.stderr
    assert not (world.root / "p.hxp").exists()


def test_an_unreadable_file_stops_pack_before_any_output(
    cli: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hanoix.services import evidence as service

    real = service._open_source

    def locked(path: Path) -> Any:
        if path.name == "notes.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(service, "_open_source", locked)
    out = world.root / "p.hxp"
    result = cli("evidence", "pack", world.evidence, "--sign-key", world.sender / "signing.key",
                 "--to", world.receiver / "encryption.pub", "-o", out)  # fmt: skip
    assert result.exit_code == 2
    assert "notes.txt: Permission denied" in result.stderr
    assert not out.exists()


def test_a_symbolic_link_is_refused(cli: Any, world: World) -> None:
    (world.evidence / "link").symlink_to(world.evidence / "empty.log")
    result = cli("evidence", "pack", world.evidence, "--sign-key", world.sender / "signing.key",
                 "--to", world.receiver / "encryption.pub", "-o", world.root / "p.hxp")  # fmt: skip
    assert result.exit_code == 2
    assert "symbolic link" in result.stderr


def test_passphrase_protected_signing_key(
    cli: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hanoix.evidence.keys.SCRYPT_LOG_N", 12)
    monkeypatch.setattr("sys.stdin", io.StringIO("pass phrase one\n"))
    assert cli("keys", "new", "--out", world.root / "locked", "--passphrase-stdin").exit_code == 0
    args = ["evidence", "pack", world.evidence, "--sign-key", world.root / "locked/signing.key",
            "--to", world.receiver / "encryption.pub", "-o", world.root / "p.hxp"]  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    monkeypatch.delenv("HANOIX_KEY_PASSPHRASE", raising=False)
    missing = cli(*args)
    assert missing.exit_code == 2
    assert "needs a passphrase" in missing.stderr
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong\n"))
    wrong = cli(*args, "--passphrase-stdin")
    assert wrong.exit_code == 2
    assert "wrong passphrase" in wrong.stderr
    monkeypatch.setattr("sys.stdin", io.StringIO("pass phrase one\n"))
    right = cli(*args, "--passphrase-stdin")
    assert right.exit_code == 0, right.stderr


def test_provenance_to_stdout_and_file(cli: Any, world: World) -> None:
    package = world.package(cli)
    plain = cli("evidence", "provenance", package, "--format", "case-uco")
    assert plain.exit_code == 0, plain.stderr
    graph = json.loads(plain.stdout)
    assert "meeting" not in plain.stdout and "notes.txt" not in plain.stdout
    assert any(n["@type"] == "case-investigation:ProvenanceRecord" for n in graph["@graph"])
    out = world.root / "prov.jsonld"
    keyed = cli("evidence", "provenance", package, "--key", world.receiver / "encryption.key",
                "-o", out)  # fmt: skip
    assert keyed.exit_code == 0, keyed.stderr
    assert "phone/notes.txt" in out.read_text()


def _events(home: Path) -> list[CustodyEvent]:
    node = Node.open(load_settings(home, environ={}))
    try:
        return [
            CustodyEvent.from_dict(json.loads(entry.entry))
            for entry in CustodyLedger(node).entries()
        ]
    finally:
        node.close()


@pytest.mark.slow
def test_with_a_node_each_step_is_a_custody_event_and_case_validate_accepts(
    cli: Any, world: World
) -> None:
    home = world.root / "node"
    package = world.package(cli, name="p.hxp")  # standalone: nothing recorded
    assert not home.exists()
    sealed = cli("--home", home, "evidence", "pack", world.evidence,
                 "--sign-key", world.sender / "signing.key",
                 "--to", world.receiver / "encryption.pub", "-o", world.root / "n.hxp",
                 "--json")  # fmt: skip
    assert sealed.exit_code == 0, sealed.stderr
    package = world.root / "n.hxp"
    package_id = sealed.json()["package_id"]
    assert cli("--home", home, "evidence", "verify", package).exit_code == 0
    opened = cli("--home", home, "evidence", "open", package,
                 "--key", world.receiver / "encryption.key", "-o", world.root / "o")  # fmt: skip
    assert opened.exit_code == 0, opened.stderr
    events = [e for e in _events(home) if e.subject.get("package") == package_id]
    assert [e.kind.value for e in events] == ["package.sealed", "package.verified",
                                              "package.opened"]  # fmt: skip
    assert events[0].authority == "Ministry of Justice"
    assert events[2].authority == "Ministry of Public Security"

    out = world.root / "prov.jsonld"
    prov = cli("--home", home, "evidence", "provenance", package, "--format", "case-uco",
               "--key", world.receiver / "encryption.key", "-o", out)  # fmt: skip
    assert prov.exit_code == 0, prov.stderr
    text = out.read_text()
    assert "package.opened" in text and "ảnh 001.jpg" in text
    validator = Path(sys.executable).with_name("case_validate")
    checked = subprocess.run([str(validator), str(out)], capture_output=True, text=True,
                             timeout=120)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_missing_package_or_a_folder_is_an_input_error(cli: Any, world: World) -> None:
    missing = cli("evidence", "verify", world.root / "nothing.hxp")
    assert missing.exit_code == 2
    assert "no such package file" in missing.stderr
    folder = cli("evidence", "verify", world.evidence, "--json")
    assert folder.exit_code == 2
    assert "is a folder" in folder.stderr
    assert folder.json()["error"] == "evidence-source"


def test_progress_bar_on_a_terminal_shows_bytes_and_speed_unless_turned_off(
    cli: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hanoix.cli import evidence as evidence_commands

    # What counts as large is lowered so that a 5 KiB input draws the bar.
    monkeypatch.setattr(evidence_commands, "_BAR_ON_TERMINAL", 1024)
    monkeypatch.setattr(evidence_commands.human, "_force_terminal", True)

    package = world.root / "with-bar.hxp"
    shown = cli(
        "evidence", "pack", world.evidence, "--sign-key", world.sender / "signing.key",
        "--to", world.receiver / "encryption.pub", "--chunk-size", "1024", "-o", package,
    )  # fmt: skip
    assert shown.exit_code == 0, shown.stderr
    # Bytes done of bytes in all, then the speed ("?" until the bar has two samples).
    assert re.search(r"sealing .*━.* 4\.9/4\.9 KiB ([\d.]+ [kMG]?B/s|\?) ", shown.stderr)

    opened = cli("evidence", "open", package, "--key", world.receiver / "encryption.key",
                 "-o", world.root / "opened")  # fmt: skip
    assert opened.exit_code == 0, opened.stderr
    assert "opening" in opened.stderr

    quiet = cli("evidence", "verify", package, "--no-progress")
    assert quiet.exit_code == 0, quiet.stderr
    assert "verifying" not in quiet.stderr


def test_progress_off_a_terminal_is_one_line_with_size_and_speed_for_large_inputs(
    cli: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hanoix.cli import evidence as evidence_commands

    package = world.package(cli)  # 5 KiB: below the size that earns a line
    verified = cli("evidence", "verify", package)
    assert verified.exit_code == 0, verified.stderr
    assert "verifying" not in verified.stderr

    monkeypatch.setattr(evidence_commands, "_LINE_IN_LOGS", 1024)
    verified = cli("evidence", "verify", package)
    assert verified.exit_code == 0, verified.stderr
    lines = [line for line in verified.stderr.splitlines() if line.startswith("verifying")]
    assert len(lines) == 1, verified.stderr
    assert re.fullmatch(r"verifying [\d.]+ KiB in [\d.]+ s \([\d.]+ [KMG]?i?B/s\)", lines[0])
    assert "━" not in verified.stderr

    failed = cli("evidence", "open", package, "--key", world.outsider / "encryption.key",
                 "-o", world.root / "not-for-us")  # fmt: skip
    assert failed.exit_code == 1
    assert "opening" not in failed.stderr  # no speed reported for work that failed
