"""``verify`` with the chunk hashes worked out while the package was received
(:class:`StreamedLeaves`): the same answers as reading the file, with the chunks read once."""

from __future__ import annotations

import io
import random

import pytest

from hanoix.evidence.errors import EvidenceInputError, PackageVerificationError
from hanoix.evidence.format import TAG_SIZE
from hanoix.evidence.verify import StreamedLeaves, chunk_spans, verify
from tests.evidence.helpers import CHUNK, authority, seal_bytes

SENDER = authority(21)
RECEIVER = authority(22, "Police", "VNM")

_rng = random.Random(31)
PACKAGE, _ = seal_bytes({"disk.img": _rng.randbytes(40 * CHUNK + 77)}, SENDER, [RECEIVER], seed=5)


class _CountingReads(io.BytesIO):
    """A package file that counts the bytes read from it (no fileno: no memory map)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def _streamed(data: bytes, pieces: list[int]) -> StreamedLeaves:
    leaves = StreamedLeaves()
    offset = 0
    for size in pieces:
        leaves.update(data[offset : offset + size])
        offset += size
    leaves.update(memoryview(data)[offset:])
    return leaves


def _spans(package: bytes) -> list[tuple[int, int]]:
    verified = verify(io.BytesIO(package))
    return list(chunk_spans(verified.header, verified.trailer, verified.payload_start))


SPANS = _spans(PACKAGE)


@pytest.mark.parametrize(
    "pieces",
    [[], [1] * 40, [7, 9, 3000, 1, CHUNK + TAG_SIZE, 5], [CHUNK + TAG_SIZE] * 30],
    ids=["whole", "byte by byte through the header", "odd pieces", "chunk-sized pieces"],
)
def test_chunks_hashed_while_streamed_are_not_read_again(pieces: list[int]) -> None:
    plain = _CountingReads(PACKAGE)
    expected = verify(plain)
    streamed_file = _CountingReads(PACKAGE)
    verified = verify(streamed_file, streamed=_streamed(PACKAGE, pieces))
    assert verified.package_id == expected.package_id
    assert plain.bytes_read >= SPANS[-1][0] + SPANS[-1][1] - SPANS[0][0]
    # The header, the trailer and the last chunk (shorter than the others) are read; no
    # other chunk is.
    last_offset, last_length = SPANS[-1]
    assert last_length < CHUNK + TAG_SIZE
    assert streamed_file.bytes_read == plain.bytes_read - (last_offset - SPANS[0][0])


def _problems(package: bytes, streamed: StreamedLeaves | None) -> list[tuple[str | None, str]]:
    with pytest.raises(PackageVerificationError) as raised:
        verify(io.BytesIO(package), streamed=streamed)
    return [(p.field, p.message) for p in raised.value.problems]


@pytest.mark.parametrize("chunk", [0, 17, 39, 40], ids=["first", "middle", "before last", "last"])
def test_an_altered_chunk_streamed_is_found_as_from_the_file(chunk: int) -> None:
    tampered = bytearray(PACKAGE)
    offset, _length = SPANS[chunk]
    tampered[offset + 5] ^= 0x01
    problems = _problems(bytes(tampered), _streamed(bytes(tampered), [333] * 10))
    assert problems == _problems(bytes(tampered), None)
    assert problems == [
        (
            f"chunk {chunk}",
            f"step 7: chunk {chunk} does not match its committed hash (altered or reordered)",
        )
    ]


def test_a_truncated_package_streamed_answers_as_from_the_file() -> None:
    cut = PACKAGE[: SPANS[20][0]] + PACKAGE[SPANS[21][0] :]
    assert _problems(cut, _streamed(cut, [4096])) == _problems(cut, None)


def _read_as_without(streamed: StreamedLeaves) -> bool:
    """Whether verifying PACKAGE with ``streamed`` reads as many bytes as without it."""
    file = _CountingReads(PACKAGE)
    verify(file, streamed=streamed)
    plain = _CountingReads(PACKAGE)
    verify(plain)
    return file.bytes_read == plain.bytes_read


def test_a_stream_that_is_not_a_package_leaves_the_chunks_to_the_file() -> None:
    assert _read_as_without(_streamed(bytes(len(PACKAGE)), [100]))


def test_a_stream_of_another_chunk_size_leaves_the_chunks_to_the_file() -> None:
    other, _ = seal_bytes(
        {"disk.img": random.Random(1).randbytes(len(PACKAGE))},
        SENDER,
        [RECEIVER],
        seed=5,
        chunk_size=2 * CHUNK,
    )
    other = other[: len(PACKAGE)] + bytes(max(0, len(PACKAGE) - len(other)))
    assert _read_as_without(_streamed(other, [999]))


def test_hashes_streamed_from_fewer_or_more_bytes_than_the_file_are_refused() -> None:
    for streamed in (_streamed(PACKAGE[:-1], []), _streamed(PACKAGE + b"x", [])):
        with pytest.raises(EvidenceInputError, match=r"streamed hashes cover .* not of this file"):
            verify(io.BytesIO(PACKAGE), streamed=streamed)
