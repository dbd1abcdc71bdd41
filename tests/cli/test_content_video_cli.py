"""``hanoix content hash|add|match`` with videos: vPDQ frames in the JSON, a summary for people,
a truncated video refused its vPDQ hash with a note."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hanoix.config import load_settings
from hanoix.services.node import Node
from tests.content.videos import matroska, original, reencoded, require_vpdq
from tests.services.requests_world import populate


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
    assert "vpdq   4 frames over 3 s" in human.stderr


@pytest.fixture
def run(cli: Any, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    require_vpdq()
    home = tmp_path / "home"
    node = Node.open(load_settings(home, environ={}, database_url=db_url))
    node.initialise()
    populate(node)
    node.close()
    monkeypatch.setenv("HANOIX_DATABASE_URL", db_url)
    return lambda *args: cli("--home", str(home), "content", *args)


def test_a_video_added_to_a_case_matches_its_reencoded_copy_by_vpdq(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
