"""Benchmark of content hashing and matching (not a test).

    .venv/bin/python -m benchmarks.content                 # 20 photographs, 100,000 hashes
    .venv/bin/python -m benchmarks.content --photos 5 --hashes 10000 --list-entries 20000

Hashing: a 4000 x 3000 (12 megapixel) JPEG of photographic texture (smooth shapes under fine
grain, quality 90), hashed ``--photos`` times by ``hash_content`` (SHA-256, MD5, the JPEG
decoded at a reduced scale, PDQ with its dihedral variants) on one core: photographs per
second; then hashed as it is listed, with its cropped windows (docs/content.md, "Cropped
copies"). Matching: one query against ``--hashes`` random PDQ hashes by ``cases.match`` (the
linear scan, vectorised with numpy, the hashes already in memory): milliseconds per query; the
reference the index is measured against in the same run. Then the index
(:class:`hanoix.content.index.PdqIndex`, faiss's multi-hash at radius 31) over ``--indexed``
random hashes: the time to build it, the memory it takes (resident set growth), and the time of
one PDQ hash's query and of a picture's (its eight rotations and mirror images), near copies
found every time (asserted).

Video (when vPDQ is installed: ``pip install 'hanoix[video]'``, docs/content.md): a
``--video-seconds`` long 640 x 360 video at 30 frames a second (FFmpeg's test pattern, H.264)
hashed by vPDQ as a node does (a worker process, the bytes in memory): frames decoded a second,
and the time to compare one video's frames with ``--videos`` listed videos of as many frames,
every pair compared, then through the index of listed videos' frames
(:class:`hanoix.content.index.VideoIndex`): the time to build it and to match a video.

Shared lists: Austria's node lists ``--list-entries`` SHA-256 digests in one Art. 14 case
(made up, not hashed from files), publishes its list to Viet Nam's node (two in-process nodes
on SQLite, as the tests build them) and the workers deliver it: the list's parts (the node's
default part size, ``content_list_part_bytes``), the time to publish (read, sign, seal and
queue every part), to deliver and import (every part verified and kept, the list imported
whole with the last), the time of the import itself (the last part's handler) and of one match
on the receiving node.

Targets (issue 16, step 6): 50 photographs a second; a query against 1,000,000 hashes in under
5 ms on one core.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import statistics
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import faiss
from PIL import Image, ImageFilter

from hanoix.content.cases import HashEntry, MatchPolicy, match
from hanoix.content.index import PdqIndex, VideoIndex
from hanoix.content.signals import ContentHashes, hash_content
from hanoix.content.video import VideoFrame, VpdqHash
from hanoix.services import content, content_lists
from hanoix.services.requests import user_named
from tests.services.exchange_world import deliver


def photograph(seed: int = 1) -> bytes:
    """A 12 megapixel JPEG: blurred colour blocks enlarged, with grain on top."""
    rng = random.Random(seed)
    small = Image.new("RGB", (40, 30))
    small.putdata(
        [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(1200)]
    )
    image = small.resize((4000, 3000), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(8))
    grain = Image.effect_noise((4000, 3000), 24).convert("RGB")
    image = Image.blend(image, grain, 0.15)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--hashes", type=int, default=100_000)
    parser.add_argument("--indexed", type=int, default=1_000_000)
    parser.add_argument("--video-seconds", type=int, default=60)
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--list-entries", type=int, default=100_000)
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)

    data = photograph()
    times = []
    for _ in range(args.photos):
        start = time.perf_counter()
        hashed = hash_content(data)
        times.append(time.perf_counter() - start)
    assert hashed.pdq is not None
    median = statistics.median(times)
    print(
        f"hashing: {len(data) / 1e6:.1f} MB 12 MP JPEG, median {median * 1000:.0f} ms, "
        f"{1 / median:.1f} photographs/s on one core (quality {hashed.pdq.quality})"
    )
    every_core(data, max(args.photos, 2) * 4)
    listing = []
    for _ in range(max(args.photos // 4, 2)):
        start = time.perf_counter()
        listed = hash_content(data, crops=True)
        listing.append(time.perf_counter() - start)
    assert listed.pdq is not None
    print(
        f"listing: the same photograph with its {len(listed.pdq.crops)} cropped windows "
        f"(content add), median {statistics.median(listing) * 1000:.0f} ms"
    )

    rng = random.Random(2)
    entries = [
        HashEntry(f"RC-{i:06d}", "local", "pdq", f"{rng.getrandbits(256):064x}", 100)
        for i in range(args.hashes)
    ]
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        match("query", hashed, [], entries, MatchPolicy())
        runs.append(time.perf_counter() - start)
    print(
        f"matching: one query against {args.hashes} PDQ hashes (numpy scan, 8 variants), "
        f"median {statistics.median(runs) * 1000:.1f} ms"
    )
    index_figures(args.indexed, rng)
    video_figures(args.video_seconds, args.videos, rng)
    list_figures(args.list_entries)


def video_figures(seconds: int, videos: int, rng: random.Random) -> None:
    from hanoix.services import video

    ffmpeg = shutil.which("ffmpeg")
    if not video.available() or ffmpeg is None:
        print("video: vPDQ or ffmpeg is not installed, no video figures (docs/content.md)")
        return
    made = subprocess.run(
        [ffmpeg, "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=30:d={seconds}",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "frag_keyframe+empty_moov",
         "-f", "mp4", "-"],
        capture_output=True,
        check=True,
    )  # fmt: skip
    start = time.perf_counter()
    hashed, note = video.hash_video(made.stdout)
    took = time.perf_counter() - start
    assert hashed is not None, note
    print(
        f"video: {seconds} s of 640 x 360 at 30 frames/s ({len(made.stdout) / 1e6:.1f} MB) "
        f"hashed in {took:.2f} s, {seconds * 30 / took:.0f} frames decoded/s, "
        f"{len(hashed.frames)} frames hashed (one a second; the worker's start included)"
    )

    def frames() -> tuple[VideoFrame, ...]:
        return tuple(
            VideoFrame(f"{rng.getrandbits(256):064x}", 100, i * 30, float(i))
            for i in range(seconds)
        )

    listed = [
        HashEntry(f"RC-{i:06d}", "local", "vpdq", f"{i:064x}", frames=frames())
        for i in range(videos)
    ]
    start = time.perf_counter()
    result = match("video", replace(hashed_content(), vpdq=hashed), [], [], MatchPolicy(), listed)
    took = time.perf_counter() - start
    assert not result.matched
    print(
        f"video matching: {seconds} frames against {videos} listed videos of {seconds} frames "
        f"(every pair compared) in {took * 1000:.0f} ms"
    )
    policy = MatchPolicy()
    start = time.perf_counter()
    index = VideoIndex(policy.vpdq_distance, policy.vpdq_quality)
    index.add([entry.frames for entry in listed])
    built = time.perf_counter() - start
    copy = listed[-1].frames
    runs = []
    for query in (hashed.frames, copy):
        start = time.perf_counter()
        candidates = [listed[n] for n in index.candidates(query)]
        found = match(
            "video", replace(hashed_content(), vpdq=VpdqHash(query)), [], [], policy, candidates
        )
        runs.append(time.perf_counter() - start)
    assert found.matched and len(candidates) == 1
    print(
        f"video index: {videos * seconds} frames of {videos} listed videos indexed in "
        f"{built * 1000:.0f} ms; a video of {seconds} frames matched through it in "
        f"{runs[0] * 1000:.1f} ms (no candidate), a listed one's copy in {runs[1] * 1000:.1f} ms"
    )


def hashed_content() -> ContentHashes:
    return ContentHashes(0, "", "", None, "video")


def _hash_one(data: bytes) -> str:
    hashed = hash_content(data)
    assert hashed.pdq is not None
    return hashed.pdq.value


def every_core(data: bytes, photos: int) -> None:
    """Photographs hashed per second by one process per core, as a node's API workers (one
    per core) hash the uploads they receive."""
    cores = os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=cores) as pool:
        list(pool.map(_hash_one, [data] * cores))  # each worker started and warm
        start = time.perf_counter()
        values = set(pool.map(_hash_one, [data] * photos))
        elapsed = time.perf_counter() - start
    assert len(values) == 1
    print(
        f"hashing on every core: {photos} photographs by {cores} processes in {elapsed:.2f} s, "
        f"{photos / elapsed:.1f} photographs/s (the target: 50)"
    )


def _resident_mb() -> float:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def index_figures(size: int, rng: random.Random) -> None:
    listed = [f"{rng.getrandbits(256):064x}" for _ in range(size)]
    before = _resident_mb()
    start = time.perf_counter()
    index = PdqIndex(31)
    for at in range(0, size, 100_000):
        index.add(listed[at : at + 100_000])
    built = time.perf_counter() - start
    grown = _resident_mb() - before
    print(
        f"index: {size} PDQ hashes indexed in {built:.1f} s, {grown:.0f} MB "
        f"({grown * 1e6 / size:.0f} bytes a hash)"
    )

    def near(value: str) -> str:
        number = int(value, 16)
        for bit in rng.sample(range(256), 31):
            number ^= 1 << bit
        return f"{number:064x}"

    single, picture = [], []
    for _ in range(50):
        target = rng.randrange(size)
        query = near(listed[target])
        start = time.perf_counter()
        found = index.within([query])
        single.append(time.perf_counter() - start)
        assert found.get(target) == 31, "a near copy at 31 bits was missed"
        variants = [query] + [f"{rng.getrandbits(256):064x}" for _ in range(7)]
        start = time.perf_counter()
        found = index.within(variants)
        picture.append(time.perf_counter() - start)
        assert target in found
    print(
        f"index query: one PDQ hash median {statistics.median(single) * 1000:.2f} ms "
        f"(p95 {sorted(single)[47] * 1000:.2f}), a picture's 8 variants median "
        f"{statistics.median(picture) * 1000:.2f} ms (p95 {sorted(picture)[47] * 1000:.2f}), "
        "one core"
    )


def list_figures(count: int) -> None:
    """A list of ``count`` entries shared between two in-process nodes (SQLite)."""
    import tempfile

    from tests.services.exchange_world import exchange_network

    with tempfile.TemporaryDirectory() as root:
        net = exchange_network(Path(root))
        try:
            _shared_list(net, count)
        finally:
            net.close()


def _shared_list(net: object, count: int) -> None:
    from tests.services.test_content_lists import many_digests

    a, v = net["a"], net["v"]  # type: ignore[index]
    drafter = user_named(a.node, "drafter")
    files = many_digests(a, count)
    start = time.perf_counter()
    published = content_lists.publish(a.node, drafter, ["VNM"])
    publish = time.perf_counter() - start
    imported: list[float] = []
    original = content_lists.import_parts

    def timed(*args: object, **kwargs: object) -> content_lists.ImportResult:
        begun = time.perf_counter()
        result = original(*args, **kwargs)  # type: ignore[arg-type]
        imported.append(time.perf_counter() - begun)
        return result

    content_lists.import_parts = timed  # type: ignore[assignment]
    start = time.perf_counter()
    deliver(net)  # type: ignore[arg-type]
    delivered = time.perf_counter() - start
    content_lists.import_parts = original  # type: ignore[assignment]
    start = time.perf_counter()
    [result] = content.match(v.node, user_named(v.node, "drafter"), [("q", files[-1])])
    matched = time.perf_counter() - start
    assert result.matched
    print(
        f"list: {published.entries} entries in {published.parts} "
        f"part{'s' if published.parts != 1 else ''}; published (signed, "
        f"sealed, queued) in {publish:.2f} s; delivered and imported in {delivered:.2f} s, "
        f"the import itself {max(imported):.2f} s; one match on the receiver "
        f"{matched * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
