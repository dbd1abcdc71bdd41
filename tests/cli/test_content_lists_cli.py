"""``hanoix content list`` and ``content withdraw`` through the CLI's contract: a list exported
in the field's formats, imported as a platform's, its feedback recorded, a hash withdrawn; bad
input exits 2 saying what to fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hanoix.config import load_settings
from hanoix.content.signals import ContentHashes, hash_content
from hanoix.services.node import Node
from tests.content.images import edited_copies, encode, scene
from tests.services.requests_world import populate


@pytest.fixture
def run(cli: Any, tmp_path: Path) -> Any:
    home = tmp_path / "home"
    node = Node.open(load_settings(home, environ={}))
    node.initialise()
    populate(node)
    node.close()
    return lambda *args: cli("--home", str(home), "content", *args)


def _listed(run: Any, tmp_path: Path, victim: str) -> ContentHashes:
    """An Art. 14 case opened on the CLI, listing the drawn scene: its hashes."""
    opened = run(
        "case", "new", "--article", "14", "--victim-ref", victim, "--consent", "none",
        "--as", "drafter", "--json",
    )  # fmt: skip
    picture = tmp_path / "scene.png"
    picture.write_bytes(encode(scene()))
    assert run("add", picture, "--case", opened.json()["case"], "--as", "drafter").exit_code == 0
    hashes = hash_content(picture.read_bytes())
    assert hashes.pdq is not None
    return hashes


def test_export_import_feedback_and_withdraw(run: Any, tmp_path: Path) -> None:
    hashes = _listed(run, tmp_path, "c-2026-1")
    assert hashes.pdq is not None

    te_file = tmp_path / "list.txt"
    exported = run("list", "export", "--format", "te-file", "-o", te_file, "--as", "drafter")
    assert exported.exit_code == 0, exported.stderr
    assert te_file.read_text().splitlines() == [
        f"video_md5 {hashes.md5}",
        f"pdq {hashes.pdq.value}",
    ]
    stopncii = tmp_path / "stopncii.json"
    assert (
        run("list", "export", "--format", "stopncii", "-o", stopncii, "--as", "drafter").exit_code
        == 0
    )
    again = run("list", "export", "--format", "stopncii", "-o", stopncii, "--as", "drafter")
    assert again.exit_code == 2 and "exists already" in again.stderr

    # The prosecutor's office holds the same hashes as a platform's list (StopNCII, Art. 16).
    imported = run(
        "list", "import", stopncii, "--format", "stopncii", "--as", "prosecutor", "--json"
    )
    assert imported.exit_code == 0, imported.stderr
    assert imported.json()["list"] == "stopncii:stopncii" and imported.json()["added"] == 2

    feedback = tmp_path / "feedback.json"
    feedback.write_text(json.dumps({"count": 2, "hashFeedbacks": [
        {"hashValue": hashes.pdq.value, "feedbackValue": "Blocked", "tags": []},
        {"hashValue": "0" * 64, "feedbackValue": "NotBlocked", "tags": []},
    ]}))  # fmt: skip
    told = run(
        "list", "feedback", feedback, "--platform", "example-platform", "--as", "drafter", "--json"
    )
    assert told.exit_code == 0, told.stderr
    [recorded] = told.json()["recorded"]
    assert recorded["verdict"] == "blocked" and recorded["platform"] == "example-platform"
    assert told.json()["unknown"] == ["0" * 64]

    copy = tmp_path / "copy.png"
    copy.write_bytes(edited_copies()["resized"])
    assert run("match", copy, "--as", "auditor").exit_code == 0
    withdrawn = run(
        "withdraw", hashes.pdq.value, "--reason", "court-order", "--as", "drafter", "--json"
    )
    assert withdrawn.exit_code == 0, withdrawn.stderr
    assert [c["signal"] for c in withdrawn.json()["cases"]] == ["pdq"]
    assert [c["list"] for c in withdrawn.json()["lists"]] == ["stopncii:stopncii"]
    assert run("match", copy, "--as", "auditor").exit_code == 1  # matches nowhere now

    shown = run("list", "show", "--as", "drafter", "--json")
    assert shown.exit_code == 0, shown.stderr
    [held] = shown.json()["held"]
    assert (held["entries"], held["withdrawn"]) == (1, 1)


def test_bad_list_input_exits_2_saying_what_to_fix(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "x"
    wrong = run("list", "export", "--format", "csv", "-o", out, "--as", "drafter")
    assert wrong.exit_code == 2 and "hanoix, te-file, stopncii" in wrong.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("pdq 12\n")
    refused = run(
        "list", "import", bad, "--format", "te-file", "--article", "16", "--as", "drafter"
    )
    assert refused.exit_code == 2 and "line 1" in refused.stderr
    unsaid = run("list", "import", bad, "--format", "te-file", "--as", "drafter")
    assert unsaid.exit_code == 2 and "--article" in unsaid.stderr
    reason = run("withdraw", "ab" * 32, "--reason", "whim", "--as", "drafter")
    assert reason.exit_code == 2 and "court-order" in reason.stderr
    nobody = run("list", "publish", "--to", "VNM", "--as", "auditor")
    assert nobody.exit_code == 1 and "may not work removal cases" in nobody.stderr


def test_a_list_still_waiting_for_parts_is_shown_with_what_is_missing(
    run: Any, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from hanoix.store import content as store

    node = Node.open(load_settings(tmp_path / "home", environ={}))
    with node.unit_of_work() as session:
        at = datetime(2026, 12, 5, tzinfo=UTC)
        store.stage_part(session, "VNM:VNM-CA", "vnm.example", 4, 2, 3, "{}", at)
    node.close()
    shown = run("list", "show", "--as", "drafter")
    assert shown.exit_code == 0, shown.stderr
    assert "VNM:VNM-CA from vnm.example: serial 4 not imported, 1 of 3 parts received, " in (
        shown.stdout + shown.stderr
    )
    assert "missing 1, 3" in shown.stdout + shown.stderr
    [pending] = run("list", "show", "--as", "drafter", "--json").json()["incomplete"]
    assert pending["missing"] == [1, 3]


def test_a_platforms_vote_is_recorded_and_a_bad_one_says_what_to_fix(
    run: Any, tmp_path: Path
) -> None:
    hashes = _listed(run, tmp_path, "c-2026-2")
    assert hashes.pdq is not None
    up = run(
        "list", "vote", hashes.md5, "--vote", "upvote", "--platform", "example",
        "--as", "drafter", "--json",
    )  # fmt: skip
    assert up.exit_code == 0, up.stderr
    [recorded] = up.json()["recorded"]
    assert recorded["signal"] == "md5" and recorded["opinion"] == "POSITIVE_CLASS"
    down = run(
        "list", "vote", hashes.pdq.value, "--signal", "pdq", "--vote", "downvote",
        "--reason", "a logo", "--platform", "example", "--as", "drafter",
    )  # fmt: skip
    assert down.exit_code == 0 and "downvote by example" in down.stderr
    unknown = run(
        "list", "vote", "0" * 32, "--vote", "upvote", "--platform", "example", "--as", "drafter",
    )  # fmt: skip
    assert unknown.exit_code == 0 and "not recorded" in unknown.stderr
    for args, words in (
        ([hashes.pdq.value, "--vote", "upvote"], "--signal"),
        ([hashes.md5, "--vote", "sideways"], "upvote or downvote"),
        ([hashes.md5, "--vote", "upvote", "--reason", "x"], "downvote only"),
    ):
        bad = run("list", "vote", *args, "--platform", "example", "--as", "drafter")
        assert bad.exit_code == 2 and words in bad.stderr, (args, bad.stderr)
    refused = run(
        "list", "vote", hashes.md5, "--vote", "upvote", "--platform", "x", "--as", "auditor"
    )
    assert refused.exit_code != 0
