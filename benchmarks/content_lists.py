"""Benchmark of a shared hash list of many entries between two nodes (not a test).

    .venv/bin/python -m benchmarks.content_lists                  # 100,000 entries
    .venv/bin/python -m benchmarks.content_lists --entries 20000

Austria's node lists ``--entries`` SHA-256 digests in one Art. 14 case (made up, not hashed
from files), publishes its list to Viet Nam's node (two in-process nodes on SQLite, as the
tests build them) and the workers deliver it: the list's parts (the node's default part size,
``content_list_part_bytes``), the time to publish (read, sign, seal and queue every part),
to deliver and import (every part verified and kept, the list imported whole with the last),
the time of the import itself (the last part's handler) and of one match on the receiving node.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

from hanoix.content.cases import HashEntry, case_number
from hanoix.services import content, content_lists
from hanoix.services.requests import user_named
from hanoix.store import content as store
from tests.services.exchange_world import deliver, exchange_network


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        net = exchange_network(Path(root))
        try:
            run(net, args.entries)
        finally:
            net.close()


def run(net: object, count: int) -> None:
    a, v = net["a"], net["v"]  # type: ignore[index]
    drafter = user_named(a.node, "drafter")
    case = content.open_case(a.node, drafter, article=14, victim_ref="c-bench-1", consent=["none"])
    files = [f"file {n}".encode() for n in range(count)]
    with a.node.unit_of_work() as session:
        store.add_entries(
            session,
            case_number(case.reference),
            [
                HashEntry(case.reference, "local", "sha256", hashlib.sha256(d).hexdigest())
                for d in files
            ],
            a.clock.now(),
        )
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
        f"list: {published.entries} entries in {published.parts} parts; published (signed, "
        f"sealed, queued) in {publish:.2f} s; delivered and imported in {delivered:.2f} s, "
        f"the import itself {max(imported):.2f} s; one match on the receiver "
        f"{matched * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
