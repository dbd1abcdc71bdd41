"""``hanoix content``: hash, case new, add, match, through the CLI's contract (exit codes, JSON
on stdout)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from hanoix.config import load_settings
from hanoix.services.node import Node
from tests.content.images import edited_copies, encode, scene, unrelated
from tests.content.videos import matroska, original, reencoded, require_vpdq
from tests.services.requests_world import populate


def test_hash_prints_digests_and_pdq_for_an_image_and_digests_only_for_other_files(
    cli: Any, tmp_path: Path
) -> None:
    picture = tmp_path / "scene.png"
    picture.write_bytes(encode(scene()))
    text = tmp_path / "notes.txt"
    text.write_bytes(b"hello")
    result = cli("content", "hash", picture, text, "--json")
    assert result.exit_code == 0, result.stderr
    image, other = result.json()
    assert image["sha256"] == hashlib.sha256(picture.read_bytes()).hexdigest()
    assert image["pdq"]["quality"] >= 50 and len(image["pdq"]["hash"]) == 64
    assert other["pdq"] is None and "exact digests only" in other["note"]
    human = cli("content", "hash", picture)
    assert human.exit_code == 0 and "pdq" in human.stderr and human.stdout == ""


def test_hash_of_a_missing_file_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    result = cli("content", "hash", tmp_path / "absent.png")
    assert result.exit_code == 2
    assert "no such file" in result.stderr


@pytest.fixture
def run(cli: Any, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``hanoix --home HOME content ...`` on a node with the request world's users."""
    home = tmp_path / "home"
    node = Node.open(load_settings(home, environ={}, database_url=db_url))
    node.initialise()
    populate(node)
    node.close()
    monkeypatch.setenv("HANOIX_DATABASE_URL", db_url)
    return lambda *args: cli("--home", str(home), "content", *args)


def test_a_case_is_opened_its_content_added_and_copies_matched(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = run(
        "case", "new", "--article", "16", "--victim-ref", "v-2026-07",
        "--consent", "hash", "--consent", "share", "--as", "drafter", "--json",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.stderr
    case = opened.json()
    assert case["article"] == 16 and case["consent"] == ["hash", "share"]
    reference = case["case"]
    original = tmp_path / "scene.png"
    original.write_bytes(encode(scene()))
    added = run("add", original, "--case", reference, "--as", "drafter", "--json")
    assert added.exit_code == 0, added.stderr
    assert added.json()["files"][0]["listed"] == 3
    shown = run("case", "show", reference, "--as", "drafter", "--json")
    assert shown.json()["hashes"] == 3

    copy = tmp_path / "copy.jpg"
    copy.write_bytes(edited_copies()["resized-jpeg-mirrored"])
    matched = run("match", copy, "--as", "auditor", "--json")
    assert matched.exit_code == 0, matched.stderr
    answer = matched.json()
    assert answer["matched"] is True
    assert answer["matches"][0]["case"] == reference
    assert set(answer["matches"][0]) == {"case", "list", "signal", "distance", "origin"}

    other = tmp_path / "other.png"
    other.write_bytes(encode(unrelated()))
    missed = run("match", other, "--as", "auditor", "--json")
    assert missed.exit_code == 1 and missed.json() == {
        "matched": False,
        "matches": [],
        "files": [{"file": str(other), "matched": False, "matches": [], "note": None}],
        "reopened": [],
    }
    strict = run("match", copy, "--as", "auditor", "--pdq-distance", "0")
    assert strict.exit_code == 1 and "no match" in strict.stderr
    # The node's own threshold, and the option over it.
    monkeypatch.setenv("HANOIX_CONTENT_PDQ_DISTANCE", "0")
    assert run("match", copy, "--as", "auditor").exit_code == 1
    assert run("match", copy, "--as", "auditor", "--pdq-distance", "31").exit_code == 0


def test_bad_case_input_is_refused_with_what_to_fix(run: Any) -> None:
    named = run(
        "case", "new", "--article", "16", "--victim-ref", "Jane Doe", "--consent", "hash",
        "--as", "drafter",
    )  # fmt: skip
    assert named.exit_code == 2 and "pseudonym" in named.stderr and "Art. 36" in named.stderr
    nobody = run("case", "new", "--article", "14", "--victim-ref", "c-1", "--consent", "none")
    assert nobody.exit_code == 2 and "--as" in nobody.stderr
    admin = run(
        "case", "new", "--article", "14", "--victim-ref", "c-1", "--consent", "none",
        "--as", "admin",
    )  # fmt: skip
    assert admin.exit_code == 1 and "may not work removal cases" in admin.stderr


def test_a_notice_is_sent_answered_listed_overdue_and_reopened_by_a_re_upload(
    run: Any, tmp_path: Path
) -> None:
    opened = run(
        "case", "new", "--article", "16", "--victim-ref", "v-9", "--consent", "hash",
        "--as", "drafter", "--json",
    )  # fmt: skip
    reference = opened.json()["case"]
    original = tmp_path / "scene.png"
    original.write_bytes(encode(scene()))
    assert run("add", original, "--case", reference, "--as", "drafter").exit_code == 0
    bad = run("notice", "new", "--case", reference, "--to", "X", "--deadline", "soon",
              "--as", "drafter")  # fmt: skip
    assert bad.exit_code == 2 and "48h" in bad.stderr
    sent = run("notice", "new", "--case", reference, "--to", "ExampleTube", "--deadline", "48h",
               "--as", "drafter", "--json")  # fmt: skip
    assert sent.exit_code == 0, sent.stderr
    notice = sent.json()
    assert notice["state"] == "sent" and notice["overdue"] is False
    # The test node's clock is the real one: a deadline in the past is refused.
    late = run("notice", "new", "--case", reference, "--to", "Y", "--deadline", "2020-01-01",
               "--as", "drafter")  # fmt: skip
    assert late.exit_code == 2 and "deadline" in late.stderr
    assert run("notice", "list", "--overdue", "--as", "drafter", "--json").json() == []
    refused = run("notice", "removed", notice["notice"], "--confirmation", "", "--as", "drafter")
    assert refused.exit_code == 2
    removed = run("notice", "removed", notice["notice"], "--confirmation", "TKT-5",
                  "--as", "drafter", "--json")  # fmt: skip
    assert removed.json()["state"] == "removed"
    again = run("notice", "refused", notice["notice"], "--reason", "x", "--as", "drafter")
    assert again.exit_code == 1 and "removed" in again.stderr
    matched = run("match", original, "--as", "auditor", "--json")
    assert matched.exit_code == 0
    assert [r["notice"] for r in matched.json()["reopened"]] == [notice["notice"]]
    [listed] = run("notice", "list", "--as", "drafter", "--json").json()
    assert listed["state"] == "reuploaded" and listed["reuploads"] == 1
    shown = run("case", "show", reference, "--as", "drafter", "--json").json()
    assert shown["notices"][0]["notice"] == notice["notice"]
    assert {s["signal"] for s in shown["signals"]} == {"sha256", "md5", "pdq"}
    # The match is kept on the case: how, by whom, that it reopened the notice; not the file.
    assert shown["matches"]["total"] == 1
    [kept] = shown["matches"]["kept"]
    assert kept["signals"] == ["md5", "pdq", "sha256"] and kept["reopened"] is True
    assert "scene.png" not in json.dumps(shown)
    printed = run("case", "show", reference, "--as", "drafter")
    assert printed.exit_code == 0
    text = printed.stderr
    assert "matched 1 time(s)" in text and "md5+pdq+sha256, distance 0" in text
    assert "RE-UPLOAD" in text


def test_preserve_needs_the_victims_consent_on_the_command(run: Any, tmp_path: Path) -> None:
    opened = run(
        "case", "new", "--article", "16", "--victim-ref", "v-9", "--consent", "hash",
        "--as", "drafter", "--json",
    )  # fmt: skip
    media = tmp_path / "m.bin"
    media.write_bytes(b"media")
    result = run("add", media, "--case", opened.json()["case"], "--preserve", "--as", "drafter")
    assert result.exit_code == 2 and "--consent preserve" in result.stderr


def test_a_case_is_linked_to_a_request_and_its_media_preserved_sealed(
    run: Any, tmp_path: Path, db_url: str
) -> None:
    from hanoix.services import evidence, exchange
    from tests.services.requests_world import outgoing

    home = tmp_path / "home"
    node = Node.open(load_settings(home, environ={}, database_url=db_url))
    request = str(outgoing(node, "sent").reference)
    keys = exchange.authority_keys_dir(node, "AUT-CA")
    evidence.write_key_set(keys, authority="AUT-CA", state="AUT", passphrase=None)
    node.close()
    opened = run(
        "case", "new", "--article", "16", "--victim-ref", "v-9", "--consent", "hash",
        "--as", "drafter", "--json",
    )  # fmt: skip
    reference = opened.json()["case"]
    linked = run("case", "link", reference, "--request", request, "--as", "drafter", "--json")
    assert linked.exit_code == 0, linked.stderr
    assert linked.json()["status"] == "sent"
    unknown = run("case", "link", reference, "--request", "AUT-2026-999999", "--as", "drafter")
    assert unknown.exit_code == 2 and "not found" in unknown.stderr
    media = tmp_path / "m.bin"
    marker = b"HANOIX-CLI-PRESERVED-" + bytes(range(40))
    media.write_bytes(marker)
    added = run("add", media, "--case", reference, "--preserve", "--consent", "preserve",
                "--as", "drafter", "--json")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    package_id = added.json()["files"][0]["package_id"]
    shown = run("case", "show", reference, "--as", "drafter", "--json").json()
    assert shown["requests"] == [
        {"request": request, "kind": "mla", "status": "sent", "visible": True}
    ]
    assert [p["package_id"] for p in shown["preserved"]] == [package_id]
    assert "preserve" in shown["consent"]
    for path in home.rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path
    # Written out, the package opens with the authority's own decryption key.
    package = tmp_path / "kept.hxp"
    wrote = run("case", "package", reference, package_id, "-o", package, "--as", "drafter")
    assert wrote.exit_code == 0, wrote.stderr
    opened_dir = tmp_path / "opened"
    key = evidence.load_decryption_key(keys / "encryption.key", ask=lambda: b"")
    evidence.open_file(package, key, opened_dir)
    assert (opened_dir / "m.bin").read_bytes() == marker
    absent = run("case", "package", reference, "sha256:" + "0" * 64, "-o", tmp_path / "x",
                 "--as", "drafter")  # fmt: skip
    assert absent.exit_code == 2 and "no package" in absent.stderr


# --- videos (vPDQ) ---------------------------------------------------------------------------


def test_hash_gives_a_videos_frames_in_json_and_a_summary_to_people(
    cli: Any, tmp_path: Path
) -> None:
    require_vpdq()
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(original())
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(matroska()[: len(matroska()) * 8 // 10])
    result = cli("content", "hash", clip, cut, "--json")
    assert result.exit_code == 0, result.stderr
    whole, part = result.json()
    assert whole["media"] == "video" and whole["pdq"] is None and whole["note"] is None
    frames = whole["vpdq"]["frames"]
    assert [f["timestamp"] for f in frames] == [0.0, 1.0, 2.0, 3.0]
    assert [f["frame"] for f in frames] == [0, 5, 10, 15]
    assert all(len(f["pdq"]) == 64 and 0 <= f["quality"] <= 100 for f in frames)
    assert part["vpdq"] is None and "truncated video" in part["note"]
    human = cli("content", "hash", clip)
    assert "vpdq   4 frames (one a second, 0-3 s)" in human.stderr


def test_a_video_added_to_a_case_matches_its_reencoded_copy_by_vpdq(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_vpdq()
    opened = run(
        "case", "new", "--article", "16", "--victim-ref", "v-vid-9", "--consent", "hash",
        "--as", "drafter", "--json",
    )  # fmt: skip
    reference = opened.json()["case"]
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(original())
    added = run("add", clip, "--case", reference, "--as", "drafter", "--json")
    assert added.exit_code == 0, added.stderr
    [item] = added.json()["files"]
    assert item["listed"] == 3 and item["vpdq"]["frames"] == 4
    copy = tmp_path / "copy.mkv"
    copy.write_bytes(reencoded())
    matched = run("match", copy, "--as", "auditor", "--json")
    assert matched.exit_code == 0, matched.stderr
    [found] = matched.json()["matches"]
    assert found["signal"] == "vpdq" and found["vpdq"]["query_percent"] == 100.0
    human = run("match", copy, "--as", "auditor")
    assert "by vpdq" in human.stderr and "100% of its frames matched" in human.stderr
    # The node's frame distance, set below what the copy lies at: no match.
    monkeypatch.setenv("HANOIX_CONTENT_VPDQ_DISTANCE", "4")
    assert run("match", copy, "--as", "auditor").exit_code == 1
