"""Videos in removal cases: hashed by vPDQ (Meta's ``vpdq``, in a process of its own), listed
by their frames' hashes, matched after re-encoding; a truncated file and a file that is no video;
without vPDQ, exact digests and a note (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hanoix.services import content, video
from hanoix.services.node import Node
from hanoix.services.requests import user_named
from hanoix.store.content import ContentHashRow, ContentVideoFrameRow
from tests.content.videos import ffmpeg, matroska, original, other, reencoded, require_vpdq
from tests.services.requests_world import populate


@pytest.fixture
def world(node: Node) -> Node:
    populate(node)
    return node


def test_a_listed_video_matches_its_reencoded_copy_and_not_an_unrelated_video(
    world: Node,
) -> None:
    require_vpdq()
    drafter = user_named(world, "drafter")
    case = content.open_case(world, drafter, article=16, victim_ref="v-vid-1", consent=["hash"])
    [added] = content.add_content(world, drafter, case.reference, [("clip.mp4", original())])
    assert added.listed == 3 and added.note is None  # SHA-256, MD5, vPDQ
    assert added.vpdq is not None and added.vpdq["frames"] == 4
    with world.reading() as session:
        frames = session.scalars(select(ContentVideoFrameRow)).all()
        assert [f.at_ms for f in frames] == [0, 1000, 2000, 3000]
        assert all(f.quality >= 50 and len(f.pdq) == 64 for f in frames)
    again = content.add_content(world, drafter, case.reference, [("again.mp4", original())])
    assert again[0].listed == 0  # the same video lists nothing new

    results = content.match(
        world,
        user_named(world, "auditor"),
        [("copy.mkv", reencoded()), ("other.mp4", other())],
    )
    copy, unrelated = results
    [found] = copy.matches  # not the digests: other bytes
    assert (found.case, found.signal) == (case.reference, "vpdq")
    assert found.distance <= 31 and found.vpdq is not None
    assert found.vpdq.query_percent == 100.0 and found.vpdq.compared_percent == 100.0
    assert not unrelated.matched and unrelated.note is None


def test_a_truncated_video_and_a_file_that_is_no_video_are_listed_by_their_digests_only(
    world: Node,
) -> None:
    require_vpdq()
    drafter = user_named(world, "drafter")
    case = content.open_case(world, drafter, article=14, victim_ref="c-vid-2", consent=["none"])
    whole = matroska()
    cut = whole[: len(whole) * 8 // 10]
    broken = original()[: len(original()) * 6 // 10]  # an MP4 cut short: FFmpeg refuses it
    added = content.add_content(
        world,
        drafter,
        case.reference,
        [("cut.mkv", cut), ("cut.mp4", broken), ("notes.txt", b"not a video " * 50)],
    )
    assert [a.listed for a in added] == [2, 2, 2]
    assert "truncated video" in (added[0].note or "")
    assert "not an image or a whole video" in (added[1].note or "")
    assert "exact digests only" in (added[2].note or "")
    with world.reading() as session:
        signals = session.scalars(select(ContentHashRow.signal)).all()
        assert "vpdq" not in signals
        assert session.scalars(select(ContentVideoFrameRow)).all() == []
    [result] = content.match(world, drafter, [("whole.mkv", whole)])
    assert not result.matched  # the part listed nothing the whole video could match


def test_without_vpdq_a_video_has_its_digests_and_a_note_saying_how_to_enable_it(
    world: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    if ffmpeg() is None:
        pytest.skip("the ffmpeg tool makes the test's video (apt-get install ffmpeg)")
    monkeypatch.setattr(video, "available", lambda: False)
    drafter = user_named(world, "drafter")
    case = content.open_case(world, drafter, article=16, victim_ref="v-vid-3", consent=["hash"])
    [added] = content.add_content(world, drafter, case.reference, [("clip.mp4", original())])
    assert added.listed == 2 and "pip install 'hanoix[video]'" in (added.note or "")
    [result] = content.match(world, drafter, [("clip.mp4", original())])
    assert {m.signal for m in result.matches} == {"sha256", "md5"}


def test_no_video_bytes_are_stored_in_the_database_or_the_home(world: Node, tmp_path: Path) -> None:
    """The video is hashed from memory (an anonymous in-memory file, never a file on disk) and
    only its frames' hashes are kept: no run of its bytes is found in the node's home or, on
    PostgreSQL, in the hash and frame tables."""
    require_vpdq()
    drafter = user_named(world, "drafter")
    case = content.open_case(world, drafter, article=16, victim_ref="v-vid-4", consent=["hash"])
    data = original()
    content.add_content(world, drafter, case.reference, [("clip.mp4", data)])
    world.close()
    # Runs of 64 bytes from across the file (its header, its frames).
    runs = [data[i : i + 64] for i in range(0, len(data) - 64, len(data) // 16)]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            stored = path.read_bytes()
            assert not any(run in stored for run in runs), path
    if world.settings.database_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(world.settings.database_url.replace("+psycopg", "")) as db:
            rows = repr(db.execute("SELECT * FROM content_video_frames").fetchall())
            rows += repr(db.execute("SELECT value FROM content_hashes").fetchall())
            assert not any(run.hex() in rows for run in runs)
