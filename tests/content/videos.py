"""Short videos made at test time (no binary fixtures): frames drawn with Pillow
(tests/content/images.py) and encoded by FFmpeg's command-line tool, which the video tests need
anyway (scripts/test-setup.sh installs it with the libraries ``vpdq`` builds against)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence

import pytest
from PIL import Image, ImageDraw

from tests.content.images import scene, unrelated

SIZE = (320, 240)
RATE = 5  # frames a second
SECONDS = 4


def ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


def require_vpdq() -> None:
    """Skip the calling test where vPDQ or the ffmpeg tool is missing, on a developer's
    machine; fail in CI, where ``make test`` installs both (scripts/test-setup.sh, make video)."""
    from hanoix.services import video

    if video.available() and ffmpeg() is not None:
        return
    missing = "vPDQ (pip install 'hanoix[video]') or FFmpeg (apt-get install ffmpeg)"
    if os.environ.get("CI"):
        pytest.fail(f"{missing} is missing: make test installs them when CI=true")
    pytest.skip(f"{missing} is not installed; CI runs this test")


def _shots(base: Image.Image, seconds: int) -> list[Image.Image]:
    """One picture a second: ``base`` seen through a window that moves, with a white block and
    a dark disc that move too, so that each second differs from the others."""
    width, height = SIZE
    wide = base.resize((width * 2, height * 2))
    shots = []
    for second in range(seconds):
        x, y = (second * 37) % width, (second * 23) % height
        shot = wide.crop((x, y, x + width, y + height))
        draw = ImageDraw.Draw(shot)
        draw.rectangle([20 + second * 60, 20, 80 + second * 60, 100], fill=(250, 250, 250))
        draw.ellipse([180 - second * 30, 120, 260 - second * 30, 200], fill=(10, 10, 10))
        shots.append(shot)
    return shots


def encode(shots: Sequence[Image.Image], *options: str, form: str = "mp4") -> bytes:
    """``shots`` (one a second) as a video of ``RATE`` frames a second."""
    width, height = shots[0].size
    raw = b"".join(shot.tobytes() * RATE for shot in shots)
    command = ffmpeg()
    assert command is not None
    done = subprocess.run(
        [
            command,
            "-v",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{width}x{height}",
            "-r",
            str(RATE),
            "-i",
            "-",
            *options,
            "-f",
            form,
            "-",
        ],
        input=raw,
        capture_output=True,
        check=True,
    )
    return done.stdout


def recoded(video: bytes, *options: str, form: str = "mp4") -> bytes:
    """``video`` decoded and encoded again with ``options`` (another size, codec, bitrate)."""
    command = ffmpeg()
    assert command is not None
    done = subprocess.run(
        [command, "-v", "error", "-i", "pipe:0", *options, "-f", form, "-"],
        input=video,
        capture_output=True,
        check=True,
    )
    return done.stdout


#: H.264 in an MP4 whose index comes first, so that it can be written to a pipe.
MP4 = ("-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "frag_keyframe+empty_moov")


@functools.cache
def original() -> bytes:
    """Four seconds of 320 x 240 at five frames a second, H.264: some 9 kB."""
    return encode(_shots(scene(), SECONDS), *MP4)


@functools.cache
def other() -> bytes:
    """A video of nothing like :func:`original`."""
    return encode(_shots(unrelated(), SECONDS), *MP4)


@functools.cache
def reencoded() -> bytes:
    """:func:`original` at half its size, in another codec (MPEG-4 part 2) at 100 kbit/s: its
    frames lie 14-18 bits from the original's (measured)."""
    return recoded(
        original(), "-vf", "scale=160:120", "-c:v", "mpeg4", "-b:v", "100k", form="matroska"
    )


@functools.cache
def matroska() -> bytes:
    """:func:`original` in Matroska: a container whose truncation FFmpeg does not refuse (it
    decodes the frames before the cut and warns)."""
    return recoded(original(), "-c:v", "copy", form="matroska")
