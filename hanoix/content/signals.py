"""The signals of a piece of content: exact digests and, for an image, its PDQ hash.

SHA-256 and MD5 are exact: one changed byte and they differ. PDQ (Meta's perceptual hash, 256
bits, through the ``pdqhash`` binding of Meta's reference code) survives resizing, recompression
and light edits: two hashes of the same picture differ in few bits. Hashing works on bytes
already read; nothing here opens a file. The media is never kept: only these values leave.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hanoix.content.video import VpdqHash

#: The signals a node knows, by the names the threatexchange library and its exchanges use.
SHA256 = "sha256"
MD5 = "md5"
PDQ = "pdq"
VPDQ = "vpdq"
SIGNALS = (SHA256, MD5, PDQ, VPDQ)

#: The smallest side an image is decoded at. PDQ reduces every image to 64 x 64, so decoding a
#: JPEG at a reduced scale (its DCT allows 1/2, 1/4, 1/8) down to this side changes the hash by
#: a bit or two (2 bits on a 12 megapixel photograph at 1/8) while decoding it several times
#: faster (34 ms instead of 55 at 1/4; benchmarks/content.py); a large picture of another
#: format is reduced by a whole factor once decoded. The same rule hashes both sides of a match.
DECODE_SIDE = 256

#: Pillow refuses images of more pixels than this (decompression bombs): 20,000 x 20,000.
MAX_PIXELS = 400_000_000

PDQ_BITS = 256

#: A copy whose edges were cut, by up to this share of the picture's width and of its height in
#: all, from any sides, still matches (docs/content.md, "Cropped copies"). PDQ alone does not
#: survive that: cutting 2.5% from every side of a picture moves its hash by 44-48 bits on the
#: tests' pictures, past the 31 that make a match. So a listed picture is also hashed cropped to
#: a grid of windows, every cut a multiple of :data:`CROP_STEP` with at most :data:`CROP_MOST`
#: cut in each dimension; any copy within that range is then at most half a step (1.25%) from
#: some window on each side, which the tests' pictures keep to 30 bits or fewer.
CROP_MOST = 0.05
CROP_STEP = 0.025


def _crop_windows() -> tuple[tuple[float, float, float, float], ...]:
    steps = [i * CROP_STEP for i in range(round(CROP_MOST / CROP_STEP) + 1)]
    cuts = [(a, b) for a in steps for b in steps if a + b <= CROP_MOST + 1e-9]
    return tuple(
        (left, top, right, bottom)
        for left, right in cuts
        for top, bottom in cuts
        if (left, top, right, bottom) != (0, 0, 0, 0)
    )


#: The windows (the share cut from the left, top, right and bottom) a listed picture is also
#: hashed in: 35 of them.
CROP_WINDOWS = _crop_windows()


@dataclass(frozen=True)
class PdqHash:
    """A PDQ hash (64 hex digits) and its quality (0-100; below 50 the picture has too
    little detail, flat or nearly so, for the hash to be trusted), with the hashes of its seven
    rotations and mirror images (the dihedral variants), used when matching a query, and, for a
    picture being listed, the hashes of its :data:`CROP_WINDOWS`, which a cropped copy
    matches."""

    value: str
    quality: int
    variants: tuple[str, ...] = field(default=(), compare=False)
    crops: tuple[str, ...] = field(default=(), compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"hash": self.value, "quality": self.quality}


@dataclass(frozen=True)
class ContentHashes:
    """What hashing one piece of content gives: its size, exact digests, PDQ when it is an
    image, vPDQ when it is a video (None otherwise, and ``note`` says why)."""

    size: int
    sha256: str
    md5: str
    pdq: PdqHash | None
    media: str  # "image", "video" or "other"
    note: str | None = None
    vpdq: VpdqHash | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "media": self.media,
            "sha256": self.sha256,
            "md5": self.md5,
            "pdq": self.pdq.as_dict() if self.pdq else None,
            "vpdq": self.vpdq.as_dict() if self.vpdq else None,
            "note": self.note,
        }

    def signals(self) -> list[tuple[str, str, int | None]]:
        """Each signal as (name, value, quality): what a hash list holds of this content."""
        found: list[tuple[str, str, int | None]] = [
            (SHA256, self.sha256, None),
            (MD5, self.md5, None),
        ]
        if self.pdq is not None:
            found.append((PDQ, self.pdq.value, self.pdq.quality))
        if self.vpdq is not None:
            found.append((VPDQ, self.vpdq.digest, None))
        return found


def _bits_to_hex(bits: Sequence[int] | Any) -> str:
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:0{PDQ_BITS // 4}x}"


def _pdq(data: bytes, crops: bool) -> tuple[PdqHash | None, str | None]:
    # Imported here: numpy, Pillow and the binding load only when an image is hashed.
    import numpy
    import pdqhash
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (DECODE_SIDE, DECODE_SIDE))
            rgb = image.convert("RGB")
            # Other formats than JPEG decode whole: a large one is reduced here (a box filter
            # by a whole factor, to no less than twice the JPEG's side), and a 12 megapixel PNG
            # is hashed with its cropped windows in 0.4 s instead of 15.
            factor = min(rgb.size) // (2 * DECODE_SIDE)
            pixels = numpy.asarray(rgb.reduce(factor) if factor > 1 else rgb)
    except UnidentifiedImageError:
        return None, "not an image this node can read: exact digests only"
    except Image.DecompressionBombError:
        return None, f"an image of more than {MAX_PIXELS} pixels: exact digests only"
    except (OSError, ValueError, SyntaxError) as exc:
        # Pillow reports a truncated or corrupt image as OSError (or SyntaxError for some
        # formats); the bytes still have their digests.
        return None, f"an image that cannot be decoded ({exc}): exact digests only"
    if pixels.ndim != 3 or min(pixels.shape[:2]) < 1:
        return None, "an image without pixels: exact digests only"
    hashes, quality = pdqhash.compute_dihedral(numpy.ascontiguousarray(pixels))
    values = tuple(_bits_to_hex(bits) for bits in hashes)
    cropped = _cropped_hashes(pixels) if crops else ()
    return PdqHash(values[0], int(quality), values[1:], cropped), None


def _cropped_hashes(pixels: Any) -> tuple[str, ...]:
    """The PDQ hash of ``pixels`` (rows, columns, channels) in each of :data:`CROP_WINDOWS`,
    cut from the picture as decoded for its own hash (about 3 ms a window)."""
    import numpy
    import pdqhash

    height, width = pixels.shape[:2]
    found: list[str] = []
    for left, top, right, bottom in CROP_WINDOWS:
        window = pixels[
            round(height * top) : height - round(height * bottom),
            round(width * left) : width - round(width * right),
        ]
        if min(window.shape[:2]) < 1:
            continue  # a picture a few pixels wide has no window to cut
        bits, _quality = pdqhash.compute(numpy.ascontiguousarray(window))
        found.append(_bits_to_hex(bits))
    return tuple(found)


def hash_content(data: bytes, *, crops: bool = False) -> ContentHashes:
    """Every signal of ``data``: its digests, and its PDQ hash when it is an image (with the
    hashes of its cropped windows if ``crops``: for a picture being listed, not for a query)."""
    pdq, note = _pdq(data, crops)
    return ContentHashes(
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        pdq=pdq,
        media="image" if pdq is not None else "other",
        note=note,
    )


def hamming(a: str, b: str) -> int:
    """The number of bits in which two PDQ hashes (hex) differ."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
