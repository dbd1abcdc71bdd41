"""``hanoix content``: hash, case new, add, match, through the CLI's contract (exit codes, JSON
on stdout)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from hanoix.config import load_settings
from hanoix.services.node import Node
from tests.content.images import edited_copies, encode, scene, unrelated
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
