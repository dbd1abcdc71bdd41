"""Evidence package throughput against the I/O floor and `openssl dgst -sha256`.

Not a test. Makes a file of random bytes (1 GiB by default) and times, as whole processes,
several runs each, interleaved so that background noise spreads evenly:

* ``cat FILE > /dev/null``            the I/O floor (page cache),
* ``openssl dgst -sha256 FILE``       the hashing reference,
* ``hanoix evidence pack``            read, SHA-256, AES-256-GCM, BLAKE3, write (fsynced),
* ``hanoix evidence verify``          signature and every chunk's BLAKE3 hash, no plaintext,
* ``hanoix evidence open``            BLAKE3 check, decrypt, SHA-256, write;
* the same three through ``evidence_lean.py`` (the same service functions without the CLI's
  start-up), and ``dd`` (1 MiB blocks, fsync: the write floor) and
  ``hanoix evidence pack --help`` (the command's start-up) to show those costs apart.

Prints the median wall time of each, its ratio to ``openssl dgst -sha256`` and the peak resident
memory (``ru_maxrss`` of the child). Outputs are removed and ``sync`` run between runs, outside
the timings, so one run's write-back does not slow the next. ``pack`` writes with ``O_DIRECT``
and leaves the package out of the page cache; the package is read once, untimed, before each
``verify`` and ``open``, so that they read it from the page cache as ``openssl`` reads the
input: like is compared with like. The child processes may write
bytecode caches (as an installed package has), so start-up is measured as deployed.

    .venv/bin/python -m benchmarks.evidence_throughput [--size-mib 1024] [--runs 5] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {
    "pack": 1.5,
    "open": 1.5,
    "verify": 1.0,
    "lean pack": 1.5,
    "lean open": 1.5,
    "lean verify": 1.0,
}
MEMORY_LIMIT_MB = 300


def _make_input(path: Path, size: int) -> None:
    block = 16 * 1024 * 1024
    with path.open("wb") as out:
        left = size
        while left:
            n = min(block, left)
            out.write(os.urandom(n))
            left -= n


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process; fails loudly on a non-zero exit."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}): {stderr}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()

    hanoix = str(Path(sys.executable).with_name("hanoix"))
    env = {
        k: v for k, v in os.environ.items() if k not in {"PYTHONDONTWRITEBYTECODE", "HANOIX_HOME"}
    }
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="hanoix-bench-", dir=args.dir))
    try:
        source = work / "input.bin"
        package = work / "input.hxp"
        opened = work / "opened"
        keys_dir = work / "keys"
        print(f"making {args.size_mib} MiB of random bytes in {source} ...", file=sys.stderr)
        _make_input(source, args.size_mib * 1024 * 1024)
        subprocess.run(
            [hanoix, "keys", "new", "--out", str(keys_dir)],
            check=True,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        copy = work / "copy.bin"
        lean = [sys.executable, str(Path(__file__).with_name("evidence_lean.py"))]
        commands = {
            "cat": ["sh", "-c", 'cat "$0" > /dev/null', str(source)],
            "dd (read+write)": [
                "dd", f"if={source}", f"of={copy}", "bs=1M", "status=none", "conv=fsync",
            ],
            "openssl-sha256": ["openssl", "dgst", "-sha256", str(source)],
            "pack --help": [hanoix, "evidence", "pack", "--help"],
            "pack": [
                hanoix, "evidence", "pack", str(source), "--sign-key",
                str(keys_dir / "signing.key"), "--to", str(keys_dir / "encryption.pub"),
                "-o", str(package), "--no-progress",
            ],
            "verify": [hanoix, "evidence", "verify", str(package), "--no-progress"],
            "open": [
                hanoix, "evidence", "open", str(package), "--key",
                str(keys_dir / "encryption.key"), "-o", str(opened), "--no-progress",
            ],
            "lean pack": [
                *lean, "pack", str(source), str(keys_dir / "signing.key"),
                str(keys_dir / "encryption.pub"), str(package),
            ],
            "lean verify": [*lean, "verify", str(package)],
            "lean open": [
                *lean, "open", str(package), str(keys_dir / "encryption.key"), str(opened),
            ],
        }  # fmt: skip
        # Warm the page cache and the bytecode caches once, untimed.
        _run(commands["cat"], env)
        _run(commands["pack"], env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        memory: dict[str, float] = dict.fromkeys(commands, 0.0)
        for run in range(args.runs):
            for name, command in commands.items():
                if name.endswith("pack"):
                    package.unlink(missing_ok=True)
                if name.endswith("open"):
                    shutil.rmtree(opened, ignore_errors=True)
                if name.startswith("dd"):
                    copy.unlink(missing_ok=True)
                if name.endswith(("verify", "open")):
                    _run(["sh", "-c", 'cat "$0" > /dev/null', str(package)], env)
                os.sync()
                elapsed, rss = _run(command, env)
                times[name].append(elapsed)
                memory[name] = max(memory[name], rss)
            print(f"run {run + 1}/{args.runs} done", file=sys.stderr)
        reference = statistics.median(times["openssl-sha256"])
        results = {}
        print(
            f"\n{args.size_mib} MiB input, {args.runs} runs each, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        print(
            f"{'command':<16}{'median s':>10}{'MiB/s':>10}{'x openssl':>11}{'peak MB':>10}"
            f"{'target':>9}"
        )
        for name in commands:
            median = statistics.median(times[name])
            ratio = median / reference
            target = TARGETS.get(name)
            verdict = ""
            if target is not None:
                ok = ratio <= target and memory[name] < MEMORY_LIMIT_MB
                verdict = f"<={target}x {'ok' if ok else 'MISSED'}"
            results[name] = {
                "median_s": round(median, 3),
                "runs_s": [round(t, 3) for t in times[name]],
                "ratio_to_openssl_sha256": round(ratio, 2),
                "peak_rss_mb": round(memory[name], 1),
            }
            print(
                f"{name:<16}{median:>10.3f}{args.size_mib / median:>10.0f}{ratio:>11.2f}"
                f"{memory[name]:>10.1f}  {verdict}"
            )
        if args.json:
            print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
