"""read_fully: a view filled across short reads, and short only at the end of the stream."""

from __future__ import annotations

import pytest

from hanoix.evidence.streams import read_fully


class Trickle:
    """A stream that hands out at most ``step`` bytes a call (a pipe, a socket), then ``end``."""

    def __init__(self, data: bytes, step: int, end: int | None = 0) -> None:
        self.data, self.step, self.end, self.calls = data, step, end, 0

    def readinto(self, buffer: memoryview, /) -> int | None:
        self.calls += 1
        n = min(self.step, len(buffer), len(self.data))
        if n == 0:
            return self.end
        buffer[:n] = self.data[:n]
        self.data = self.data[n:]
        return n

    def close(self) -> None:
        pass


@pytest.mark.parametrize("end", [0, None])
def test_a_view_is_filled_across_short_reads(end: int | None) -> None:
    stream = Trickle(bytes(range(10)), 3, end)
    view = memoryview(bytearray(10))
    assert read_fully(stream, view) == 10
    assert bytes(view) == bytes(range(10))
    assert stream.calls == 4  # 3 + 3 + 3 + 1: no read once the view is full


@pytest.mark.parametrize("end", [0, None])
def test_a_stream_that_ends_early_fills_only_what_it_had(end: int | None) -> None:
    stream = Trickle(b"abcde", 2, end)
    buffer = bytearray(b"." * 8)
    assert read_fully(stream, memoryview(buffer)) == 5
    assert buffer == b"abcde..."


def test_an_empty_view_reads_nothing() -> None:
    stream = Trickle(b"abc", 3)
    assert read_fully(stream, memoryview(bytearray())) == 0
    assert stream.calls == 0
