"""Federation benchmark: two real nodes on loopback (not a test).

Prints, for the given sizes (defaults are the issue's: 10,000 messages, 1,000 queued, 1 GiB):

1. small messages: messages per second and p50/p99 end-to-end latency (from the moment a
   message is queued to the moment its signed receipt is kept by the sender);
2. urgent messages sent while ordinary ones are queued: their p50/p99 latency;
3. an evidence package transfer: throughput, and its ratio to a plain ``curl`` download of the
   same file from a local static server (``python -m http.server``).

    .venv/bin/python -m benchmarks.federation --messages 2000 --queued 500 --transfer-mib 256

The nodes are ``hanoix serve`` processes with their own homes (SQLite) in a temporary folder;
messages are queued by this process into the sender's database (``enqueue_many``, 200 to a
transaction, as a node queues a list's parts), the sender's in-server worker delivers them.
The harness is the one the multi-node tests use.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from hanoix.clock import SystemClock
from hanoix.evidence import keys, seal
from hanoix.evidence.streams import Source
from hanoix.services.federation import Message
from hanoix.store import federation as store
from tests.federation.multinode import Cluster, NodeProcess, free_port, start_cluster, wait_until


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _queue(sender: NodeProcess, recipient: NodeProcess, count: int, *, urgent: bool) -> list[str]:
    ids: list[str] = []
    federation = sender.federation
    step = 1 if urgent else 200
    for start in range(0, count, step):
        messages = [
            Message(recipient.origin, "federation.ping", {"n": n}, urgent=urgent)
            for n in range(start, min(count, start + step))
        ]
        with sender.node.unit_of_work() as session:
            ids += [sealed.header.id for sealed in federation.enqueue_many(session, messages)]
        if urgent:
            time.sleep(0.01)
    return ids


@dataclass(frozen=True)
class _Row:
    envelope_id: str
    status: str
    created_at: datetime
    delivered_at: datetime | None


def _results(sender: NodeProcess, ids: list[str]) -> list[_Row]:
    # Only the columns measured: polling must not load every envelope's bytes (it did, and
    # that competed for the CPU with the nodes being measured).
    wanted = set(ids)
    row = store.OutboxRow
    query = select(row.envelope_id, row.status, row.created_at, row.delivered_at)
    with sender.node.unit_of_work() as session:
        return [_Row(*r) for r in session.execute(query) if r[0] in wanted]


def _wait(sender: NodeProcess, ids: list[str], timeout: float) -> list[_Row]:
    def done() -> bool:
        with sender.node.unit_of_work() as session:
            pending = session.scalar(
                select(func.count())
                .select_from(store.OutboxRow)
                .where(store.OutboxRow.status != store.DELIVERED)
                .where(store.OutboxRow.envelope_id.in_(ids[-1:] + ids[:1]))
            )
        if pending:
            return False
        items = _results(sender, ids)
        return len(items) == len(ids) and all(i.status == store.DELIVERED for i in items)

    if not wait_until(done, timeout, 0.2):
        raise SystemExit(f"not delivered within {timeout}s\n{sender.log_tail()}")
    return _results(sender, ids)


def _latencies(items: list[_Row]) -> list[float]:
    # Both stamps come from the sender's clock: queued (sealed) and receipt kept.
    return [(i.delivered_at - i.created_at).total_seconds() for i in items if i.delivered_at]


def _cpu_seconds(member: NodeProcess) -> float:
    """CPU time (user + system) the node's process used so far (Linux /proc)."""
    assert member.process is not None
    try:
        fields = Path(f"/proc/{member.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def small_messages(cluster: Cluster, count: int) -> None:
    sender, recipient = cluster["aut"], cluster["vnm"]
    cpu = [_cpu_seconds(sender), _cpu_seconds(recipient), time.process_time()]
    started = time.monotonic()
    ids = _queue(sender, recipient, count, urgent=False)
    queued = time.monotonic() - started
    items = _wait(sender, ids, timeout=max(120.0, count / 20))
    elapsed = time.monotonic() - started
    used = [
        _cpu_seconds(sender) - cpu[0],
        _cpu_seconds(recipient) - cpu[1],
        time.process_time() - cpu[2],
    ]
    latencies = _latencies(items)
    print(
        f"small messages: {count} in {elapsed:.1f} s = {count / elapsed:.0f} msg/s; "
        f"end-to-end p50 {_percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {_percentile(latencies, 0.99) * 1000:.0f} ms (all queued within {queued:.1f} s)"
    )
    # CPU per message does not depend on what else the machine is doing: with these, the
    # rate a machine can sustain is about cores / (sum of the three).
    print(
        f"  CPU per message: sender node {used[0] / count * 1000:.2f} ms, receiving node "
        f"{used[1] / count * 1000:.2f} ms, queueing (sealing, in this process) "
        f"{used[2] / count * 1000:.2f} ms; load average {os.getloadavg()[0]:.1f}"
    )


def urgent_messages(cluster: Cluster, queued: int, urgent: int, rounds: int = 1) -> None:
    sender, recipient = cluster["aut"], cluster["vnm"]
    items: list[_Row] = []
    still_queued = 0
    for _ in range(rounds):
        ordinary = _queue(sender, recipient, queued, urgent=False)
        ids = _queue(sender, recipient, urgent, urgent=True)
        items += _wait(sender, ids, timeout=120.0)
        still_queued += sum(1 for i in _results(sender, ordinary) if i.status == store.PENDING)
        _wait(sender, ordinary, timeout=max(120.0, queued / 20))
    latencies = _latencies(items)
    print(
        f"urgent messages: {urgent} sent behind {queued} ordinary ones, {rounds} times; "
        f"end-to-end p50 {_percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p95 {_percentile(latencies, 0.95) * 1000:.0f} ms, "
        f"p99 {_percentile(latencies, 0.99) * 1000:.0f} ms of {len(latencies)} "
        f"({still_queued / rounds:.0f} ordinary still queued, on average, when the last urgent "
        f"one of a round was delivered); load average {os.getloadavg()[0]:.1f}"
    )


def _package(path: Path, size: int) -> None:
    signing, decryption = keys.generate("Benchmark", "AUT")
    chunk = os.urandom(1024 * 1024)

    class Repeat(io.RawIOBase):
        def __init__(self) -> None:
            self.left = size

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            n = min(len(buffer), self.left, len(chunk))
            buffer[:n] = chunk[:n]
            self.left -= n
            return n

    source = Source("data.bin", Repeat, datetime.now(UTC), size)
    with path.open("wb") as out:
        seal([source], out, signer=signing, recipients=[decryption.public], clock=SystemClock())


def curl_seconds(folder: Path, name: str, output: Path | None = None) -> float:
    """Seconds for ``curl`` to download ``name`` from a local static server, into ``output``
    (written and fsynced, as a receiver must keep what it acknowledges) or to /dev/null."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        target = str(output) if output is not None else "/dev/null"
        started = time.monotonic()
        subprocess.run(["curl", "-sS", "-o", target, f"http://127.0.0.1:{port}/{name}"], check=True)
        if output is not None:
            with output.open("rb") as handle:
                os.fsync(handle.fileno())
        elapsed = time.monotonic() - started
        if output is not None:
            output.unlink()
        return elapsed
    finally:
        server.terminate()
        server.wait()


def transfer(cluster: Cluster, size: int, work: Path) -> None:
    sender, recipient = cluster["aut"], cluster["vnm"]
    folder = work / "static"
    folder.mkdir()
    package = folder / "package.hxev"
    _package(package, size)
    actual = package.stat().st_size
    curl_null = curl_seconds(folder, package.name)
    curl = curl_seconds(folder, package.name, work / "curl-download.bin")
    started = time.monotonic()
    with sender.node.unit_of_work() as session:
        envelope_id = sender.federation.send_package(session, recipient.origin, package).header.id
    queued = time.monotonic()
    cpu = [_cpu_seconds(sender), _cpu_seconds(recipient)]
    _wait(sender, [envelope_id], timeout=3600)
    total = time.monotonic() - started
    wire = time.monotonic() - queued
    used = [_cpu_seconds(sender) - cpu[0], _cpu_seconds(recipient) - cpu[1]]
    mib = actual / 2**20
    print(
        f"evidence transfer: {mib:.0f} MiB; queueing (verify + store) {queued - started:.1f} s; "
        f"delivery (chunks + verify on arrival + receipt) {wire:.1f} s = {mib / wire:.0f} MiB/s; "
        f"end to end {mib / total:.0f} MiB/s"
    )
    print(
        f"  curl to a file (+ fsync) {curl:.2f} s = {mib / curl:.0f} MiB/s: "
        f"delivery / curl time ratio {wire / curl:.1f}x; curl to /dev/null {curl_null:.2f} s "
        f"= {mib / curl_null:.0f} MiB/s: ratio {wire / curl_null:.1f}x"
    )
    # The delivery's CPU does not depend on what else the machine is doing (its time does).
    gib = actual / 2**30
    print(
        f"  CPU per GiB delivered: sender node {used[0] / gib:.2f} s, receiving node "
        f"{used[1] / gib:.2f} s; load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--queued", type=int, default=1_000)
    parser.add_argument("--urgent", type=int, default=100)
    parser.add_argument(
        "--urgent-rounds",
        type=int,
        default=1,
        help="times the urgent measure is repeated (each behind its own --queued), pooled",
    )
    parser.add_argument("--transfer-mib", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=256, help="envelopes claimed at once")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument(
        "--envelope-version",
        type=int,
        choices=(1, 2),
        default=2,
        help="envelope format the sender seals (2: signed once per batch)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the nodes' homes")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hanoix-bench-"))
    cluster = start_cluster(
        work,
        ["aut", "vnm"],
        federation={
            "poll_interval": 0.05,
            "witness_interval": 30,
            "batch": args.batch,
            "concurrency": args.concurrency,
            "read_timeout": 120,
            "lease": 600,
            "envelope_version": args.envelope_version,
        },
    )
    try:
        print(
            f"two nodes on loopback, {os.cpu_count()} cores, SQLite homes in {work}; "
            f"batch {args.batch}, concurrency {args.concurrency}, "
            f"hanoix-envelope/{args.envelope_version}"
        )
        small_messages(cluster, args.messages)
        urgent_messages(cluster, args.queued, args.urgent, args.urgent_rounds)
        if args.transfer_mib:
            transfer(cluster, args.transfer_mib * 2**20, work)
    finally:
        cluster.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
