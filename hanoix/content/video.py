"""A video's vPDQ hash and the rule by which two videos match: pure values, no I/O.

vPDQ (Meta's video PDQ) hashes one frame a second with PDQ and keeps, for each, its PDQ hash,
quality, frame number and time. Two videos are compared frame by frame, as the ``threatexchange``
library does (``extensions/vpdq``: ``vpdq_util``, ``vpdq_index``): frames below a quality are
dropped and repeated frames counted once, on both sides; a query frame matches when some
listed frame lies within a distance of it. The query matches a listed video when at least a
share of the query's frames match (80% by default) and at least a share of the listed video's
frames are matched (0% by default): so a clip cut from a listed video matches it, and a long
video that merely contains a listed clip does not unless the shares are set so.

The frames are computed by the ``vpdq`` package outside this module (hanoix/services/video.py
runs it in a separate process); here they are only counted and compared.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hanoix.errors import InputError

#: The thresholds of the ``threatexchange`` library's vPDQ signal (``vpdq_util``):
#: frame distance, frame quality, and the shares of matched frames in the query and in the
#: listed (compared) video, in percent.
VPDQ_DISTANCE = 31
VPDQ_QUALITY = 50
VPDQ_QUERY_PERCENT = 80.0
VPDQ_COMPARED_PERCENT = 0.0

#: How far (in seconds) a video's last hashed frame may fall short of its stated duration
#: before it is taken for a truncated file. vPDQ hashes one frame a second, so a whole video's
#: last frame lies less than a second before its end; half a second more allows for rounding.
TRUNCATION_SLACK = 1.5

PDQ_HEX = 64
#: How many query frames are compared with a listed video's frames at once.
BLOCK = 64


@dataclass(frozen=True)
class VideoFrame:
    """One hashed frame: its PDQ hash (64 hex digits), quality (0-100), number and time (s)."""

    pdq: str
    quality: int
    frame: int
    timestamp: float

    def __post_init__(self) -> None:
        if len(self.pdq) != PDQ_HEX or not all(c in "0123456789abcdef" for c in self.pdq):
            raise InputError("a vPDQ frame's hash is 64 lower-case hexadecimal digits")
        if not 0 <= self.quality <= 100 or self.frame < 0 or self.timestamp < 0:
            raise InputError("a vPDQ frame has a quality 0-100 and no negative number or time")

    def as_dict(self) -> dict[str, Any]:
        return {
            "pdq": self.pdq,
            "quality": self.quality,
            "frame": self.frame,
            "timestamp": round(self.timestamp, 3),
        }


@dataclass(frozen=True)
class VpdqHash:
    """A video's vPDQ hash: its frames in order."""

    frames: tuple[VideoFrame, ...]

    @property
    def features(self) -> list[str]:
        """The frames as the ``threatexchange`` library writes vPDQ features:
        ``"hex,quality,timestamp"`` strings, in order."""
        return [f"{f.pdq},{f.quality},{f.timestamp:.3f}" for f in self.frames]

    @property
    def signal(self) -> str:
        """The hash as the ``threatexchange`` library writes a vPDQ signal: the JSON list of
        its :attr:`features` (what lists exchanged with other systems carry)."""
        return json.dumps(self.features)

    @property
    def digest(self) -> str:
        """The SHA-256 of :attr:`signal`: what names this hash in a list (the same video hashed
        twice gives the same digest, so it is listed once)."""
        return hashlib.sha256(self.signal.encode()).hexdigest()

    def usable(self, quality: int) -> int:
        """How many distinct frames are of ``quality`` or more (the frames that are matched)."""
        return len(_prepared(self.frames, quality))

    def as_dict(self) -> dict[str, Any]:
        return {"digest": self.digest, "frames": [f.as_dict() for f in self.frames]}


#: What FFmpeg's demuxers say of a file cut short (Matroska and WebM: "File ended
#: prematurely"; MP4: "stream 0, offset ...: partial file"; others: "truncated ..."), in lower
#: case. A file streamed without a stated duration is told truncated by these alone.
TRUNCATION_SIGNS = ("ended prematurely", "partial file", "truncat")


#: How the containers a video comes in begin (a box type at offset 4 for the ISO family). Only
#: bytes that begin so are handed to the decoder: starting a process to hear FFmpeg refuse a
#: text or a PDF costs a few hundred milliseconds a file.
_ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"styp", b"moof")
_MAGIC = (
    b"\x1a\x45\xdf\xa3",  # Matroska, WebM
    b"FLV",
    b"OggS",
    b"\x30\x26\xb2\x75\x8e\x66\xcf\x11",  # ASF: WMV
    b"\x00\x00\x01\xba",  # MPEG program stream
    b"\x00\x00\x01\xb3",  # MPEG-1/2 video
    b"\x00\x00\x00\x01",  # H.264/H.265 elementary stream
)


def may_be_video(data: bytes) -> bool:
    """Whether ``data`` begins as a video container does (MP4, MOV, 3GP, Matroska, WebM, AVI,
    FLV, Ogg, ASF, MPEG program or transport stream, a raw H.264 stream)."""
    if data[4:8] in _ISO_BOXES or data.startswith(_MAGIC):
        return True
    if data.startswith(b"RIFF") and data[8:12] in (b"AVI ", b"AVIX"):
        return True
    # MPEG transport stream: a sync byte every 188 bytes.
    return len(data) >= 377 and data[0] == data[188] == data[376] == 0x47


def incomplete(
    frames: Sequence[VideoFrame], duration: float | None, decoder_log: str = ""
) -> str | None:
    """Why ``frames`` look like the hash of a truncated file (FFmpeg said so while decoding,
    or its frames stop well short of the duration its container states), or None. A file cut
    short is refused rather than half listed: its hash would stand for part of the video only."""
    if not frames:
        return "a video with no frame that could be decoded"
    log = decoder_log.lower()
    if any(sign in log for sign in TRUNCATION_SIGNS):
        return "a truncated video: the decoder found the file cut short"
    if duration is None:
        return None
    last = max(f.timestamp for f in frames)
    if last + TRUNCATION_SLACK < duration:
        return (
            f"a truncated video: its frames stop at {last:.1f} s of the {duration:.1f} s "
            "its container states"
        )
    return None


@dataclass(frozen=True)
class VpdqComparison:
    """How two vPDQ hashes compare: the share (percent) of the query's distinct usable frames
    that lie within the distance of some listed frame, the share of the listed video's frames
    that some query frame lies near, and the largest distance among the query's matched frames
    (to their nearest listed frame)."""

    query_percent: float
    compared_percent: float
    distance: int


def usable_frames(frames: Sequence[VideoFrame], quality: int) -> list[str]:
    """The distinct PDQ hashes of ``frames`` of ``quality`` or more, in order: the frames that
    are compared (on both sides of a match)."""
    return _prepared(frames, quality)


def _prepared(frames: Sequence[VideoFrame], quality: int) -> list[str]:
    # As threatexchange's dedupe and quality_filter: frames below the quality are left out and
    # a hash that repeats (a still scene) counts once.
    seen: dict[str, None] = {}
    for frame in frames:
        if frame.quality >= quality:
            seen.setdefault(frame.pdq, None)
    return list(seen)


def _words(values: Sequence[str]) -> Any:
    import numpy

    return numpy.frombuffer(bytes.fromhex("".join(values)), dtype=">u8").reshape(len(values), 4)


def compare(
    query: Sequence[VideoFrame], listed: Sequence[VideoFrame], *, distance: int, quality: int
) -> VpdqComparison | None:
    """Compare two videos' frames, or None when either has no frame of ``quality`` or more."""
    import numpy

    ours, theirs = _prepared(query, quality), _prepared(listed, quality)
    if not ours or not theirs:
        return None
    a, b = _words(ours), _words(theirs)
    query_matched = numpy.zeros(len(ours), dtype=bool)
    listed_matched = numpy.zeros(len(theirs), dtype=bool)
    nearest = numpy.zeros(len(ours), dtype=numpy.int64)
    # Every query frame against every listed frame (XOR and bit counts over 64-bit words), a
    # block of query frames at a time so that an hour against an hour stays a few megabytes.
    for start in range(0, len(ours), BLOCK):
        block = a[start : start + BLOCK]
        table = numpy.bitwise_count(block[:, None, :] ^ b[None, :, :]).sum(
            axis=2, dtype=numpy.int64
        )
        near = table <= distance
        query_matched[start : start + BLOCK] = near.any(axis=1)
        listed_matched |= near.any(axis=0)
        nearest[start : start + BLOCK] = table.min(axis=1)
    return VpdqComparison(
        query_percent=100.0 * int(query_matched.sum()) / len(ours),
        compared_percent=100.0 * int(listed_matched.sum()) / len(theirs),
        distance=int(nearest[query_matched].max()) if query_matched.any() else int(nearest.min()),
    )
