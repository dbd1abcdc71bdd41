"""vPDQ's rule of matching (threatexchange's), a truncated video told apart, and what a case
lists of a video: pure functions on frames, no video decoded here."""

from __future__ import annotations

import json
import random

import pytest

from hanoix.content.cases import HashEntry, MatchPolicy, entries_of, match
from hanoix.content.signals import ContentHashes
from hanoix.content.video import VideoFrame, VpdqHash, compare, incomplete
from hanoix.errors import InputError

RANDOM = random.Random(16)


def _hash() -> str:
    return f"{RANDOM.getrandbits(256):064x}"


def _flip(value: str, bits: int) -> str:
    """``value`` with its lowest ``bits`` bits flipped."""
    return f"{int(value, 16) ^ ((1 << bits) - 1):064x}"


def _frames(hashes: list[str], quality: int = 100) -> tuple[VideoFrame, ...]:
    return tuple(VideoFrame(h, quality, i * 5, float(i)) for i, h in enumerate(hashes))


def _video(frames: tuple[VideoFrame, ...]) -> ContentHashes:
    return ContentHashes(10, "a" * 64, "b" * 32, None, "video", None, VpdqHash(frames))


LISTED = [_hash() for _ in range(10)]


def test_a_frame_matches_within_31_bits_and_not_at_32() -> None:
    listed = _frames(LISTED[:1])
    near = compare(_frames([_flip(LISTED[0], 31)]), listed, distance=31, quality=50)
    far = compare(_frames([_flip(LISTED[0], 32)]), listed, distance=31, quality=50)
    assert near is not None and near.query_percent == 100.0 and near.distance == 31
    assert far is not None and far.query_percent == 0.0


def test_the_query_matches_when_80_percent_of_its_frames_do() -> None:
    """Eight of ten query frames near the listed video's: 80%, a match; seven: none."""
    entry = HashEntry("RC-000001", "local", "vpdq", "d" * 64, frames=_frames(LISTED))
    for near, matched in ((8, True), (7, False)):
        query = [_flip(h, 10) for h in LISTED[:near]] + [_hash() for _ in range(10 - near)]
        result = match("q", _video(_frames(query)), [], [], MatchPolicy(), [entry])
        assert result.matched is matched, near
    [found] = match("q", _video(_frames(LISTED[:8])), [], [], MatchPolicy(), [entry]).matches
    assert found.signal == "vpdq" and found.distance == 0
    assert found.as_dict()["vpdq"] == {"query_percent": 100.0, "compared_percent": 80.0}


def test_a_clip_of_a_listed_video_matches_and_the_compared_share_can_be_required() -> None:
    """A query of three of the listed video's ten frames: all its frames match (100%), 30% of
    the listed video's. threatexchange asks nothing of the second share (0%) by default."""
    entry = HashEntry("RC-000001", "local", "vpdq", "d" * 64, frames=_frames(LISTED))
    clip = _video(_frames(LISTED[2:5]))
    assert match("q", clip, [], [], MatchPolicy(), [entry]).matched
    strict = MatchPolicy(vpdq_compared_percent=50.0)
    assert not match("q", clip, [], [], strict, [entry]).matched


def test_frames_below_the_quality_and_repeated_frames_are_not_counted() -> None:
    """Five frames of a still scene count once; dark frames (quality 10) are left out on both
    sides, so they neither help nor spoil a match."""
    still = _frames([LISTED[0]] * 5)
    dark = tuple(VideoFrame(_hash(), 10, 100 + i, 10.0 + i) for i in range(20))
    compared = compare(still + dark, _frames(LISTED[:1]), distance=31, quality=50)
    assert compared is not None and compared.query_percent == 100.0
    assert compare(dark, _frames(LISTED), distance=31, quality=50) is None


def test_no_match_unless_a_frame_matched_even_at_zero_percent() -> None:
    entry = HashEntry("RC-000001", "local", "vpdq", "d" * 64, frames=_frames(LISTED))
    anything = MatchPolicy(vpdq_query_percent=0.0)
    assert not match("q", _video(_frames([_hash()])), [], [], anything, [entry]).matched


def test_a_video_without_a_usable_frame_is_not_listed_by_vpdq_and_says_so() -> None:
    dark = _video(_frames(LISTED[:3], quality=20))
    entries, note = entries_of("RC-000001", "local", dark, MatchPolicy())
    assert [e.signal for e in entries] == ["sha256", "md5"]
    assert note is not None and "vPDQ hash is not listed" in note
    entries, note = entries_of("RC-000001", "local", _video(_frames(LISTED)), MatchPolicy())
    [vpdq] = [e for e in entries if e.signal == "vpdq"]
    assert len(vpdq.frames) == 10 and note is None


def test_the_digest_names_the_frames_as_threatexchange_writes_them() -> None:
    hashed = VpdqHash(_frames(LISTED[:2]))
    assert json.loads(hashed.signal) == [f"{LISTED[0]},100,0.000", f"{LISTED[1]},100,1.000"]
    assert hashed.digest == VpdqHash(_frames(LISTED[:2])).digest
    assert hashed.digest != VpdqHash(_frames(LISTED[:3])).digest


def test_a_truncated_video_is_told_by_its_decoder_or_its_stated_duration() -> None:
    frames = _frames(LISTED[:4])  # 0 to 3 s
    assert incomplete(frames, 4.0) is None
    assert incomplete(frames, None) is None
    assert "3.0 s of the 10.0 s" in (incomplete(frames, 10.0) or "")
    log = "[matroska,webm @ 0x5] File ended prematurely\n"
    assert "cut short" in (incomplete(frames, None, log) or "")
    assert incomplete((), 4.0) is not None


@pytest.mark.parametrize(
    ("pdq", "quality", "frame", "timestamp"),
    [("x" * 64, 50, 0, 0.0), ("a" * 63, 50, 0, 0.0), ("a" * 64, 101, 0, 0.0), ("a" * 64, 5, -1, 0)],
)
def test_a_malformed_frame_is_refused(pdq: str, quality: int, frame: int, timestamp: float) -> None:
    with pytest.raises(InputError):
        VideoFrame(pdq, quality, frame, timestamp)


def test_the_thresholds_are_checked() -> None:
    with pytest.raises(InputError):
        MatchPolicy(vpdq_query_percent=120.0)
    with pytest.raises(InputError):
        MatchPolicy(vpdq_distance=300)


def test_only_bytes_that_begin_as_a_video_container_are_handed_to_the_decoder() -> None:
    from hanoix.content.video import may_be_video

    assert may_be_video(b"\x00\x00\x00\x20ftypisom" + bytes(100))  # MP4
    assert may_be_video(b"\x1a\x45\xdf\xa3" + bytes(100))  # Matroska, WebM
    assert may_be_video(b"RIFF\x00\x00\x00\x00AVI LIST")
    assert may_be_video(bytes([0x47] + [0] * 187) * 3)  # MPEG-TS
    assert not may_be_video(b"%PDF-1.7\n" + bytes(400))
    assert not may_be_video(b"not a video " * 50)
    assert not may_be_video(b"")
