"""``hanoix directory``, ``hanoix node`` and ``hanoix federation`` end to end in one process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def _home(cli: Any, tmp_path: Path, name: str, state: str, port: int) -> Path:
    home = tmp_path / name
    home.mkdir()
    (home / "hanoix.toml").write_text(
        f'state = "{state}"\norigin = "{name}.hanoix.test"\nport = {port}\n'
    )
    assert cli("--home", home, "init", "--json").exit_code == 0
    return home


def _signed_directory(cli: Any, tmp_path: Path, authority: Path, *homes: Path) -> Path:
    """The directory authority's signed directory listing ``homes``, valid from 2026."""
    entries = []
    for home in homes:
        identity = cli("--home", home, "node", "identity", "--json")
        assert identity.exit_code == 0, identity.stderr
        entry = identity.json()
        assert {k["type"] for k in entry["keys"]} == {"ed25519", "x25519"}
        for key in entry["keys"]:
            key["not_before"] = "2026-01-01T00:00:00Z"
        entries.append(entry)
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"serial": 1, "nodes": entries}))
    signed = tmp_path / "directory.json"
    result = cli(
        "directory", "sign", draft, "--key", authority / "signing.key", "--out", signed, "--json"
    )
    assert result.exit_code == 0, result.stderr
    return signed


def test_directory_sign_trust_import_show_export_and_send(cli: Any, tmp_path: Path) -> None:
    authority = tmp_path / "authority"
    assert cli("keys", "new", "--out", authority, "--json").exit_code == 0
    aut = _home(cli, tmp_path, "aut", "AUT", 18470)
    vnm = _home(cli, tmp_path, "vnm", "VNM", 18471)
    signed = _signed_directory(cli, tmp_path, authority, aut, vnm)

    # Without the trust anchor the directory cannot be imported.
    refused = cli("--home", aut, "directory", "import", signed)
    assert refused.exit_code == 2 and "trust anchor" in refused.stderr
    for home in (aut, vnm):
        assert cli("--home", home, "directory", "trust", authority / "signing.pub").exit_code == 0
        imported = cli("--home", home, "directory", "import", signed, "--json")
        assert imported.exit_code == 0, imported.stderr
        assert imported.json()["serial"] == 1
    again = cli("--home", aut, "directory", "import", signed)
    assert again.exit_code == 1 and "not newer" in again.stderr

    shown = cli("--home", aut, "directory", "show", "--json").json()
    assert [n["origin"] for n in shown["nodes"]] == ["aut.hanoix.test", "vnm.hanoix.test"]
    exported = cli("--home", aut, "directory", "export")
    assert json.loads(exported.stdout) == json.loads(signed.read_text())

    sent = cli(
        "--home", aut, "federation", "send", "--to", "vnm.hanoix.test",
        "--text", "preserve", "--urgent", "--json",
    )  # fmt: skip
    assert sent.exit_code == 0, sent.stderr
    outbox = cli("--home", aut, "federation", "outbox", "--json").json()
    assert [(o["envelope_id"], o["status"], o["urgent"]) for o in outbox] == [
        (sent.json()["envelope_id"], "pending", True)
    ]
    status = cli("--home", aut, "federation", "status", "--json").json()
    assert status["directory_serial"] == 1 and status["outbox"]["pending"] == 1
    unknown = cli("--home", aut, "federation", "send", "--to", "nobody.test", "--text", "x")
    assert unknown.exit_code == 2 and "lists no node" in unknown.stderr

    rotated = cli("--home", aut, "node", "rotate-keys", "--json")
    assert rotated.exit_code == 0 and rotated.json()["generation"] == 2
    identity = cli("--home", aut, "node", "identity", "--json").json()
    assert len(identity["keys"]) == 4


def test_the_commands_print_what_their_json_holds_for_a_person(cli: Any, tmp_path: Path) -> None:
    authority = tmp_path / "authority"
    assert cli("keys", "new", "--out", authority, "--json").exit_code == 0
    aut = _home(cli, tmp_path, "aut", "AUT", 18480)
    vnm = _home(cli, tmp_path, "vnm", "VNM", 18481)
    signed = _signed_directory(cli, tmp_path, authority, aut, vnm)
    for home in (aut, vnm):
        assert cli("--home", home, "directory", "trust", authority / "signing.pub").exit_code == 0
        assert cli("--home", home, "directory", "import", signed).exit_code == 0

    listing = cli("--home", aut, "directory", "show").stderr.splitlines()
    shown = cli("--home", aut, "directory", "show", "--json").json()
    assert listing[0].startswith("directory serial 1, issued ")
    first = shown["nodes"][0]
    assert f"  {first['state']}  {first['origin']}  {first['base_url']}" in listing
    assert {f"      {k['type']} {k['key_id']}" for k in first["keys"]} <= set(listing)

    entry = cli("--home", aut, "node", "identity", "--json").json()
    lines = cli("--home", aut, "node", "identity").stderr.splitlines()
    assert lines[0] == f"{entry['state']}  {entry['origin']}  {entry['base_url']}"
    assert {f"  {k['type']} {k['key_id']}" for k in entry["keys"]} <= set(lines)
    assert f"  tls sha256 {entry['tls']['sha256']}" in lines
    rotated = cli("--home", aut, "node", "rotate-tls")
    assert rotated.exit_code == 0, rotated.stderr
    after = cli("--home", aut, "node", "identity", "--json").json()
    assert (
        f"  tls next sha256 {after['tls']['next']['sha256']}"
        in cli("--home", aut, "node", "identity").stderr.splitlines()
    )

    sent = cli("--home", aut, "federation", "send", "--to", "vnm.hanoix.test", "--text", "x")
    assert sent.exit_code == 0, sent.stderr
    outbox = cli("--home", aut, "federation", "outbox", "--json").json()
    (line,) = cli("--home", aut, "federation", "outbox").stderr.splitlines()
    assert line.startswith(f"{outbox[0]['envelope_id']}  pending  ")
    assert "federation.notice -> vnm.hanoix.test  attempts 0" in line
    status = cli("--home", aut, "federation", "status").stderr.splitlines()
    assert status[0] == "aut.hanoix.test  directory serial 1"
    assert status[1] == "  peers: vnm.hanoix.test"

    for args, message in [
        (("federation", "outbox", "--status", "lost"), "--status must be one of"),
        (("federation", "send", "--to", "vnm.hanoix.test", "--type", "x"), "--type must be"),
        (("federation", "send", "--to", "vnm.hanoix.test"), "a notice needs --text"),
    ]:
        refused = cli("--home", aut, *args)
        assert (refused.exit_code, message in refused.stderr) == (2, True), refused.stderr
    unknown = cli("--home", aut, "federation", "retry", "no-such-envelope")
    assert unknown.exit_code == 2 and "no outbox envelope no-such-envelope" in unknown.stderr


def test_the_inbox_and_ack_show_a_restricted_item_to_its_handling_authority_only(
    cli: Any, tmp_path: Path
) -> None:
    from tests.services.exchange_world import (
        SECRET_FACT,
        add_visibility_people,
        exchange_network,
        send_restricted_preservation,
    )

    net = exchange_network(tmp_path / "net")
    try:
        add_visibility_people(net)
        sent = send_restricted_preservation(net)
        home = net["v"].node.settings.home
        nobody = cli("--home", home, "federation", "inbox")
        assert nobody.exit_code == 2 and "--as" in nobody.stderr
        clerk = cli("--home", home, "federation", "inbox", "--all", "--as", "drafter", "--json")
        assert clerk.exit_code == 0, clerk.stderr
        assert sent.reference not in clerk.stdout and SECRET_FACT not in clerk.stdout
        silenced = cli("--home", home, "federation", "ack", sent.envelope_id, "--as", "drafter")
        missing = cli("--home", home, "federation", "ack", "0" * 32, "--as", "drafter")
        assert silenced.exit_code == missing.exit_code != 0
        assert silenced.stderr == missing.stderr.replace("0" * 32, sent.envelope_id)

        officer = cli("--home", home, "federation", "inbox", "--as", "officer", "--json")
        assert [m["envelope_id"] for m in officer.json()][:1] == [sent.envelope_id]
        assert SECRET_FACT in officer.stdout
        acked = cli(
            "--home", home, "federation", "ack", sent.envelope_id, "--as", "officer", "--json"
        )
        assert acked.exit_code == 0 and acked.json()["changed"] is True
    finally:
        net.close()


def test_federation_refusals_lists_the_counts_per_sender_and_reason(
    cli: Any, tmp_path: Path
) -> None:
    from hanoix.config import load_settings
    from hanoix.federation.errors import EnvelopeRejectedError
    from hanoix.services.node import Node

    home = _home(cli, tmp_path, "vnm", "VNM", 18472)
    empty = cli("--home", home, "federation", "refusals")
    assert empty.exit_code == 0 and "no envelope refused" in empty.stderr
    node = Node.open(load_settings(home, environ={}))
    try:
        federation = node.federation
        for garbage in (b"one", b"two", b"three"):
            with pytest.raises(EnvelopeRejectedError):
                federation.process_inbound(garbage)
    finally:
        node.close()
    listed = cli("--home", home, "federation", "refusals", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert [(r["sender"], r["reason"], r["count"]) for r in listed.json()] == [
        ("(unknown)", "malformed", 3)
    ]
    shown = cli("--home", home, "federation", "refusals")
    assert "(unknown)  malformed  3 times" in shown.stderr
