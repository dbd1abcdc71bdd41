"""An index of listed PDQ hashes: which lie within a distance of a query, without comparing the
query with every one of them (docs/content.md, "Matching at scale").

A node may hold millions of hashes (Hasher-Matcher-Actioner aims at ten million); comparing a
query with each grows with the list, and a picture is queried with its eight rotations and
mirror images. The index is faiss's multi-hash index, as the ``threatexchange``
library's PDQ index uses it: the 256 bits are cut into 16 chunks of 16 bits, each chunk a hash
table. Two hashes within ``radius`` bits of each other differ, by the pigeonhole principle, in at
most ``radius // 16`` bits of some chunk, so probing every key within that many flips of each of
the query's chunks finds every hash within ``radius`` (no match is missed: a test checks it
against comparing with all), and each candidate is then measured exactly. At the Convention's
usual threshold (31 bits) that is one flip: 17 probes a chunk.

Above 47 bits the probes grow past what a scan costs, and the index compares with all (faiss's
flat binary index). Positions are the order in which hashes were added; the caller keeps what
they stand for.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import faiss
import numpy

from hanoix.content.signals import PDQ_BITS
from hanoix.content.video import VideoFrame, usable_frames
from hanoix.errors import InputError

CHUNKS = 16
CHUNK_BITS = PDQ_BITS // CHUNKS
#: Past this many flips a chunk, probing costs more than comparing with every hash.
MOST_FLIPS = 2


def packed(values: Sequence[str]) -> numpy.ndarray:
    """PDQ hashes (64 hex digits each) as rows of 32 bytes, as faiss reads binary vectors."""
    try:
        raw = bytes.fromhex("".join(values))
    except ValueError:
        raise InputError("a PDQ hash is 64 hexadecimal digits") from None
    if any(len(value) != PDQ_BITS // 4 for value in values):
        raise InputError("a PDQ hash is 64 hexadecimal digits")
    return numpy.frombuffer(raw, dtype=numpy.uint8).reshape(len(values), PDQ_BITS // 8)


class PdqIndex:
    """PDQ hashes searchable within ``radius`` bits. Safe to share between threads."""

    def __init__(self, radius: int) -> None:
        if not 0 <= radius < PDQ_BITS:
            raise InputError(f"a PDQ search radius is between 0 and {PDQ_BITS - 1} bits")
        self.radius = radius
        flips = radius // CHUNKS
        self._index: faiss.IndexBinary
        if flips <= MOST_FLIPS:
            multi = faiss.IndexBinaryMultiHash(PDQ_BITS, CHUNKS, CHUNK_BITS)
            multi.nflip = flips
            self._index = multi
        else:
            self._index = faiss.IndexBinaryFlat(PDQ_BITS)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, values: Sequence[str]) -> None:
        """Add hashes; they take the next positions, in order."""
        if values:
            rows = packed(values)
            with self._lock:
                self._index.add(rows)

    def within(self, queries: Sequence[str]) -> dict[int, int]:
        """Every position whose hash is within ``radius`` bits of any of ``queries`` (a picture
        and its rotations, say), with its distance to the nearest of them."""
        if not queries or not len(self):
            return {}
        rows = packed(queries)
        with self._lock:
            # faiss's range search keeps distances strictly below the radius it is given.
            _limits, distances, positions = self._index.range_search(rows, self.radius + 1)
        nearest: dict[int, int] = {}
        for position, distance in zip(positions.tolist(), distances.tolist(), strict=True):
            if distance < nearest.get(position, PDQ_BITS + 1):
                nearest[position] = int(distance)
        return nearest


class VideoIndex:
    """Listed videos' frames in a :class:`PdqIndex`: which listed videos have a frame within
    ``radius`` bits of some frame of a query video, without comparing the query with every
    listed video. As the ``threatexchange`` library's vPDQ index does, only those candidates
    are then compared by the vPDQ rule (:func:`hanoix.content.video.compare`): a listed video
    no query frame comes near has no query frame matched, and never matches. Frames below
    ``quality`` are left out on both sides, and a frame repeated within a video is indexed
    once."""

    def __init__(self, radius: int, quality: int) -> None:
        self.radius = radius
        self.quality = quality
        self._frames = PdqIndex(radius)
        self._owners: list[int] = []
        self._videos = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._videos

    def add(self, videos: Sequence[Sequence[VideoFrame]]) -> None:
        """Add videos (their frames); they take the next numbers, in order."""
        values: list[str] = []
        owners: list[int] = []
        with self._lock:
            for number, frames in enumerate(videos, self._videos):
                usable = usable_frames(frames, self.quality)
                values.extend(usable)
                owners.extend([number] * len(usable))
            # Owners before the index: a query meanwhile finds no position without its video.
            self._owners.extend(owners)
            self._frames.add(values)
            self._videos += len(videos)

    def candidates(self, query: Sequence[VideoFrame]) -> list[int]:
        """The numbers of the listed videos with a frame within ``radius`` of a usable frame of
        ``query``, in order."""
        frames = usable_frames(query, self.quality)
        if not frames:
            return []
        owners = self._owners
        return sorted({owners[position] for position in self._frames.within(frames)})
