"""Benchmark of content hashing and matching (not a test).

    .venv/bin/python -m benchmarks.content                 # 20 photographs, 100,000 hashes
    .venv/bin/python -m benchmarks.content --photos 5 --hashes 10000

Hashing: a 4000 x 3000 (12 megapixel) JPEG of photographic texture (smooth shapes under fine
grain, quality 90), hashed ``--photos`` times by ``hash_content`` (SHA-256, MD5, the JPEG
decoded at a reduced scale, PDQ with its dihedral variants) on one core: photographs per
second. Matching: one query against ``--hashes`` random PDQ hashes by ``cases.match`` (the
linear scan the node runs today, vectorised with numpy, the hashes already in memory):
milliseconds per query.

Targets (issue 16, step 6): 50 photographs a second; a query against 1,000,000 hashes in under
5 ms (needs an index; the linear scan is the baseline).
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time

from PIL import Image, ImageFilter

from hanoix.content.cases import HashEntry, MatchPolicy, match
from hanoix.content.signals import hash_content


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
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
