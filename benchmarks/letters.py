"""Benchmark of request letters (not a test): render, sign, verify, import.

    .venv/bin/python -m benchmarks.letters                  # 50 letters of each sort
    .venv/bin/python -m benchmarks.letters --letters 10

On two SQLite nodes (Austria issues, Viet Nam verifies and imports), both holding a directory
that lists both: time ``letters.issue`` for a DRAFT (typeset only) and for an approved request
(typeset, the custody event and its signed checkpoint, the PAdES signature, all in one unit of
work), in English, French, Arabic and Chinese (the last two where Debian's Noto fonts are
installed); then ``letters.verify`` and ``letters.import_letter`` on the
receiving node. Each line prints the median and the 95th percentile in milliseconds.

Target (issue 15): a letter renders and signs in under one second.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hanoix.errors import InputError
from hanoix.letters.fonts import fonts_for
from hanoix.services import letters
from hanoix.services.node import Node
from tests.letters.conftest import publish_directory, state_node
from tests.services.requests_world import outgoing, user


def _timed(label: str, runs: int, call: Callable[[int], object]) -> None:
    times = []
    for run in range(runs):
        start = time.perf_counter()
        call(run)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(
        f"{label:<40} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   ({runs} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=50, help="letters of each sort")
    args = parser.parse_args()
    runs = args.letters
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        aut_nodes = state_node(home / "aut", "AUT")
        vnm_nodes = state_node(home / "vnm", "VNM")
        aut: Node = next(aut_nodes)
        vnm: Node = next(vnm_nodes)
        publish_directory(aut, vnm)
        editor = user(aut, "editor")
        drafts = [str(outgoing(aut, "awaiting_approval").reference) for _ in range(runs)]
        approved = [str(outgoing(aut, "approved").reference) for _ in range(runs)]
        # One letter first: Typst's compiler and fonts are loaded once per process.
        letters.issue(aut, editor, drafts[0])
        _timed("draft letter (typeset)", runs, lambda i: letters.issue(aut, editor, drafts[i]))
        issued: list[bytes] = []

        def signed(i: int) -> None:
            issued.append(letters.issue(aut, editor, approved[i]).pdf)

        _timed("signed letter (typeset, ledger, sign)", runs, signed)
        _timed(
            "signed letter in French",
            runs,
            lambda i: letters.issue(aut, editor, approved[i], "fr"),
        )
        for language, name in (("ar", "Arabic"), ("zh", "Chinese")):
            try:
                fonts_for(language)
            except InputError as missing:
                print(f"signed letter in {name}: skipped ({missing})")
                continue
            letters.issue(aut, editor, approved[0], language)  # its fonts, loaded once
            _timed(
                f"signed letter in {name}",
                runs,
                lambda i, code=language: letters.issue(aut, editor, approved[i], code),
            )
        _timed("verify (receiving node)", runs, lambda i: letters.verify(vnm, issued[i]))
        clerk = user(vnm, "vnm-clerk")
        _timed(
            "import-letter (verify, register)",
            runs,
            lambda i: letters.import_letter(vnm, clerk, issued[i]),
        )
        print(f"letter size: {len(issued[0])} bytes (signed, English)")
        for nodes in (aut_nodes, vnm_nodes):
            nodes.close()


if __name__ == "__main__":
    main()
