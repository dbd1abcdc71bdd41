"""``hanoix content``: hash, case new, add, match, through the CLI's contract (exit codes, JSON
on stdout)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from tests.content.images import encode, scene


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
