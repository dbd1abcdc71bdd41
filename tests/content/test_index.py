"""The index of listed PDQ hashes finds exactly what comparing with every hash finds."""

from __future__ import annotations

import random

import pytest

from hanoix.content.index import PdqIndex
from hanoix.content.signals import hamming
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
