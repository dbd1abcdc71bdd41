"""The index of listed PDQ hashes finds exactly what comparing with every hash finds, and the
index of listed videos' frames the same matches as comparing with every listed video."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

import pytest

from hanoix.content.cases import HashEntry, MatchPolicy, match
from hanoix.content.index import PdqIndex, VideoIndex
from hanoix.content.signals import ContentHashes, hamming
from hanoix.content.video import VideoFrame, VpdqHash
from hanoix.errors import InputError


def _hash(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _flipped(value: str, bits: int, rng: random.Random) -> str:
    number = int(value, 16)
    for bit in rng.sample(range(256), bits):
        number ^= 1 << bit
    return f"{number:064x}"


@pytest.mark.parametrize("radius", [0, 31, 47, 60])
def test_it_finds_every_hash_within_the_radius_and_no_other(radius: int) -> None:
    rng = random.Random(radius)
    listed = [_hash(rng) for _ in range(3000)]
    # Near copies of listed hashes at the radius, just past it, and well inside it, with the
    # flips spread over the chunks in every way chance gives.
    near = [_flipped(listed[i], d, rng) for i in range(0, 3000, 7) for d in (radius, radius + 1)]
    near += [listed[i] for i in range(0, 3000, 11)]
    index = PdqIndex(radius)
    index.add(listed[:1000])
    index.add(listed[1000:])  # added in two goes: positions continue
    assert len(index) == 3000
    numbers = [int(value, 16) for value in listed]
    for start in range(0, len(near), 50):
        queries = near[start : start + 8]
        asked = [int(query, 16) for query in queries]
        expected = {}
        for position, value in enumerate(numbers):
            distance = min((value ^ query).bit_count() for query in asked)
            if distance <= radius:
                expected[position] = distance
        assert index.within(queries) == expected


def test_an_empty_index_and_an_empty_query_find_nothing() -> None:
    index = PdqIndex(31)
    assert index.within(["0" * 64]) == {}
    index.add(["f" * 64])
    assert index.within([]) == {}
    assert index.within(["f" * 64]) == {0: 0}
    assert index.within(["f" * 63 + "e"]) == {0: hamming("f" * 64, "f" * 63 + "e")}


def test_bad_hashes_and_radii_are_named() -> None:
    with pytest.raises(InputError, match="64 hexadecimal digits"):
        PdqIndex(31).add(["abc"])
    with pytest.raises(InputError, match="64 hexadecimal digits"):
        PdqIndex(31).add(["z" * 64])
    with pytest.raises(InputError, match="between 0 and 255"):
        PdqIndex(256)


def _video(rng: random.Random, frames: int) -> list[VideoFrame]:
    found = []
    for n in range(frames):
        # Some frames too flat to count, some a still scene repeated.
        quality = 30 if rng.random() < 0.1 else 90
        value = found[-1].pdq if found and rng.random() < 0.1 else _hash(rng)
        found.append(VideoFrame(value, quality, n, float(n)))
    return found


def _query(frames: Sequence[VideoFrame]) -> ContentHashes:
    video = VpdqHash(tuple(frames))
    return ContentHashes(0, "0" * 64, "0" * 32, None, "video", vpdq=video)


@pytest.mark.parametrize(
    "policy",
    [
        MatchPolicy(),
        MatchPolicy(vpdq_distance=20, vpdq_query_percent=50.0, vpdq_compared_percent=30.0),
        MatchPolicy(vpdq_distance=40, vpdq_quality=60, vpdq_query_percent=10.0),
    ],
)
def test_the_video_index_finds_the_same_matches_as_comparing_with_every_listed_video(
    policy: MatchPolicy,
) -> None:
    rng = random.Random(policy.vpdq_distance)
    listed = [
        HashEntry(
            None, "AUT:AUT-CA", "vpdq", f"{n:064x}", frames=tuple(_video(rng, rng.randint(5, 40)))
        )
        for n in range(200)
    ]
    index = VideoIndex(policy.vpdq_distance, policy.vpdq_quality)
    index.add([entry.frames for entry in listed[:80]])
    index.add([entry.frames for entry in listed[80:]])  # numbers continue
    assert len(index) == 200
    queries: list[list[VideoFrame]] = []
    for n in range(0, 200, 11):
        frames = list(listed[n].frames)
        # Re-encoded (every frame some bits off, around the distance), a clip of it, a clip
        # mixed with another video and with unrelated frames, and something else entirely.
        queries.append([replace(f, pdq=_flipped(f.pdq, rng.randint(0, 45), rng)) for f in frames])
        queries.append(frames[: max(1, len(frames) // 3)])
        other = list(listed[(n + 1) % 200].frames)
        queries.append(frames[::2] + other[::3] + _video(rng, 4))
        queries.append(_video(rng, 12))
    matched = 0
    for frames in queries:
        query = _query(frames)
        candidates = index.candidates(frames)
        assert len(candidates) <= 3  # never every listed video
        by_index = match("q", query, [], [], policy, [listed[c] for c in candidates])
        by_all = match("q", query, [], [], policy, listed)
        assert by_index.matches == by_all.matches
        matched += by_all.matched
    assert matched > len(queries) // 4  # the comparison is not one of empty answers
