"""A video's vPDQ hash, computed by Meta's ``vpdq`` package in a process of its own.

``vpdq`` is an optional extra (``pip install 'hanoix[video]'``): it compiles against FFmpeg's
development libraries, which a fresh machine does not have (docs/content.md, "Video"). Without
it, or without FFmpeg's ``ffprobe``, a video is hashed by its exact digests only and the note
says how to enable vPDQ.

Why a separate process: ``vpdq`` decodes with FFmpeg in C++, and on some truncated files it
aborts the whole process (seen with MP4 files cut short); a node's API worker must survive any
upload. On other truncated files (Matroska, WebM) ``vpdq`` returns the frames it could read,
without an error: FFmpeg's warnings (which the worker lets through to its standard error) and
the duration the container states (read by ``ffprobe``) tell a whole file from a part
(:func:`hanoix.content.video.incomplete`).

The bytes never touch a disk: the worker reads them from its standard input into an anonymous
in-memory file (``memfd``), which FFmpeg opens by its ``/proc/self/fd`` path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from hanoix.content.video import VideoFrame, VpdqHash, incomplete, may_be_video
from hanoix.errors import InputError

#: How to get vPDQ on a node that lacks it (the note of a video hashed without it).
ENABLE = (
    "vPDQ video hashing is not installed: install FFmpeg (Debian: ffmpeg libavcodec-dev "
    "libavformat-dev libavdevice-dev libavfilter-dev libswscale-dev libswresample-dev) and "
    "pip install 'hanoix[video]' (docs/content.md, Video); exact digests only"
)
NOT_A_VIDEO = (
    "not an image or a whole video this node can read (another kind of file, or a damaged or "
    "truncated one): exact digests only"
)

#: The longest a video's hashing may take before it is given up (a huge or hostile file).
TIMEOUT_SECONDS = 600.0
#: The most memory (address space) the worker may take: a video of huge frames fails in the
#: worker instead of starving the node.
MEMORY_BYTES = 4 * 1024**3


def available() -> bool:
    """Whether this node can compute vPDQ hashes (the ``vpdq`` package and ``ffprobe``)."""
    return importlib.util.find_spec("vpdq") is not None and shutil.which("ffprobe") is not None


def hash_video(data: bytes) -> tuple[VpdqHash | None, str]:
    """The vPDQ hash of ``data`` if it is a whole video, else None and a note saying why."""
    if not may_be_video(data):
        return None, NOT_A_VIDEO  # no process started to hear FFmpeg refuse it
    if not available():
        return None, ENABLE
    try:
        # The worker's only input is the bytes; its argument list is fixed, no shell.
        done = subprocess.run(
            [sys.executable, "-m", "hanoix.services.video"],
            input=data,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return (
            None,
            f"a video that took more than {TIMEOUT_SECONDS:.0f} s to hash: exact digests only",
        )
    if done.returncode != 0:
        # Killed by FFmpeg's abort on a damaged file, or refused by vpdq.
        return None, NOT_A_VIDEO
    try:
        answer = json.loads(done.stdout)
        frames = tuple(VideoFrame(*frame) for frame in answer["frames"])
        duration = answer["duration"]
    except (ValueError, KeyError, TypeError, InputError):
        return None, NOT_A_VIDEO
    log = done.stderr.decode(errors="replace")
    why = incomplete(frames, duration if isinstance(duration, float) else None, log)
    if why is not None:
        return None, f"{why}: exact digests only, no vPDQ hash listed for part of a video"
    return VpdqHash(frames), ""


@contextmanager
def _in_memory(data: bytes) -> Iterator[tuple[str, int]]:
    """A path FFmpeg can open that holds ``data``, and its file descriptor."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("hanoix-video", 0)
        try:
            os.write(fd, data)
            yield f"/proc/self/fd/{fd}", fd
        finally:
            os.close(fd)
        return
    with tempfile.NamedTemporaryFile(prefix="hanoix-video-") as spool:  # not Linux
        spool.write(data)
        spool.flush()
        yield spool.name, spool.fileno()


def _duration(path: str, fd: int) -> float | None:
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return None
    done = subprocess.run(  # noqa: S603  # fixed arguments, no shell
        [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        capture_output=True,
        pass_fds=(fd,),
        timeout=60,
        check=False,
    )
    try:
        return float(done.stdout.decode().strip())
    except ValueError:
        return None  # no duration stated (a live stream's WebM): nothing to check against


def _worker() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    import vpdq

    data = sys.stdin.buffer.read()
    with _in_memory(data) as (path, fd):
        # verbose: FFmpeg's warnings (a file cut short) go to this process's standard error,
        # which the node reads; nothing goes to standard output but the answer.
        features = vpdq.computeHash(path, seconds_per_hash=1.0, verbose=True)
        duration = _duration(path, fd)
    frames = [[f.hex, f.quality, f.frame_number, f.timestamp] for f in features]
    json.dump({"frames": frames, "duration": duration}, sys.stdout)


if __name__ == "__main__":
    _worker()
