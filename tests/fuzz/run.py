"""Run fuzz targets, each in a process of its own, and report executions and crashes.

``python -m tests.fuzz.run [--seconds S | --runs N] [--keep-going] [--out DIR] [TARGET...]``
(``scripts/fuzz.sh [SECONDS]`` runs every target with ``--keep-going``). The test suite calls
:func:`fuzz` with a fixed number of runs and a fixed seed, so that its short run is the same
on every machine. Exit status: 0 when no target crashed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.harness import TARGETS

REPO = Path(__file__).resolve().parents[2]
_EXECUTED = re.compile(r"stat::number_of_executed_units:\s*(\d+)")
_COVERAGE = re.compile(r"cov: (\d+) ft: (\d+) corp: (\d+)")


@dataclass(frozen=True)
class Outcome:
    """What one target's run did."""

    target: str
    executions: int
    seconds: float
    crashes: tuple[Path, ...]
    coverage: int  # libFuzzer's edge count at the end ("cov")
    corpus: int  # inputs in the corpus at the end
    exit_code: int
    log: str

    @property
    def per_second(self) -> float:
        return self.executions / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (
            f"{self.target:18} {self.executions:>10} executions in {self.seconds:6.0f} s "
            f"({self.per_second:7.0f}/s), coverage {self.coverage:5}, corpus {self.corpus:5}, "
            f"{len(self.crashes)} crash(es)"
        )


def fuzz(
    target: str,
    work: Path,
    *,
    seconds: int | None = None,
    runs: int | None = None,
    seed: int | None = None,
    keep_going: bool = False,
    timeout: float | None = None,
) -> Outcome:
    """Fuzz ``target`` for ``seconds`` or ``runs`` executions, keeping its state in ``work``."""
    flags = ["-timeout=30", "-rss_limit_mb=2048"]
    if seconds is not None:
        flags.append(f"-max_total_time={seconds}")
    if runs is not None:
        flags.append(f"-runs={runs}")
    if seed is not None:
        flags.append(f"-seed={seed}")
    command = [sys.executable, "-m", "tests.fuzz.engine", target, "--work", str(work)]
    if keep_going:
        command.append("--keep-going")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.monotonic()
    finished = subprocess.run(
        [*command, *flags],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        check=False,
    )
    elapsed = time.monotonic() - started
    log = finished.stderr
    executed = _EXECUTED.search(log)
    coverage = _COVERAGE.findall(log)
    crashes = tuple(
        sorted(p for p in (work / "crashes").glob("*") if p.suffix != ".txt" and p.is_file())
    )
    return Outcome(
        target=target,
        executions=int(executed.group(1)) if executed else 0,
        seconds=min(elapsed, float(seconds)) if seconds else elapsed,
        crashes=crashes,
        coverage=int(coverage[-1][0]) if coverage else 0,
        corpus=int(coverage[-1][2]) if coverage else 0,
        exit_code=finished.returncode,
        log=log,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__)
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=int, help="fuzzing time per target")
    budget.add_argument("--runs", type=int, help="executions per target")
    parser.add_argument("--seed", type=int, help="libFuzzer's random seed (default: random)")
    parser.add_argument("--keep-going", action="store_true", help="record crashes and go on")
    parser.add_argument("--out", type=Path, help="keep corpora and crashes here (default: temp)")
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=", ".join(TARGETS))
    options = parser.parse_args(argv)
    unknown = sorted(set(options.targets) - set(TARGETS))
    if unknown:
        parser.error(
            f"unknown target(s) {', '.join(unknown)}; the targets are {', '.join(TARGETS)}"
        )
    options.targets = options.targets or list(TARGETS)
    if options.seconds is None and options.runs is None:
        options.seconds = 60
    out = options.out or Path(tempfile.mkdtemp(prefix="hanoix-fuzz-"))
    print(f"fuzzing {len(options.targets)} target(s); corpora and crashes in {out}", flush=True)
    failed = False
    for target in options.targets:
        outcome = fuzz(
            target,
            out / target,
            seconds=options.seconds,
            runs=options.runs,
            seed=options.seed,
            keep_going=options.keep_going,
        )
        print(outcome.line(), flush=True)
        if outcome.exit_code != 0 and not outcome.crashes:
            print(f"  the engine failed (exit {outcome.exit_code}):", flush=True)
            print("  " + "\n  ".join(outcome.log.splitlines()[-15:]), flush=True)
        for crash in outcome.crashes:
            summary = crash.with_name(crash.name + ".txt")
            first = summary.read_text().splitlines()[0] if summary.exists() else "see the log"
            print(f"  {crash}: {first}", flush=True)
        failed |= bool(outcome.crashes) or outcome.exit_code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
