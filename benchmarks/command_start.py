"""Start-up of ``hanoix`` commands against the interpreter's own start-up.

Not a test. Initialises a fresh node home (SQLite, the shipped treaty data), writes a complete
request document, then times each command as a whole process, ``--runs`` times, interleaved so
that background load spreads evenly over them:

* ``python -c pass``                      the reference: the interpreter alone,
* ``hanoix --version`` and ``--help``     the root, which loads no command group,
* ``hanoix convention kinds``             a command on the Convention's data, no node,
* ``hanoix treaty status``                opens the node (database, schema check) and reads it,
* ``hanoix request validate FILE``        reads a file and validates it against the node's
  treaty data, from the home's copy of it: no database (decision 0009),
* ``hanoix request validate BROKEN``      a file that is not a request: answered without a node.

Prints min, median and p90 wall time of each, the median's ratio to the reference, the median
CPU time (user + system: other load on the host stretches it less than the wall time), and the
target of the issue (a command that opens the node starts in under 0.35 s), shown against
every command. The child processes
write bytecode caches (as an installed package has) and each is run once, untimed, first.

    .venv/bin/python -m benchmarks.command_start [--runs 20] [--dir DIR]
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

from hanoix.convention import RequestKind, kind_spec

#: The issue's target for a command that opens the node, in seconds.
TARGET_SECONDS = 0.35
REFERENCE = "python -c pass"


def _document() -> dict[str, object]:
    """A complete mutual legal assistance request from Austria to Viet Nam."""
    contents = {
        content.name: f"{content.description} (benchmark value)"
        for content in kind_spec(RequestKind.MLA).contents
    }
    return {
        "kind": RequestKind.MLA.value,
        "requesting_state": "AUT",
        "requested_state": "VNM",
        "language": "en",
        "proceeding": "StA Wien 123 Js 456/26",
        "contents": contents,
        "legal_basis_other": "bilateral treaty on mutual legal assistance",
        "dual_criminality": True,
        "convention_offence": True,
    }


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child process; fails loudly on an exit it
    should not have."""
    # Human text goes to stderr, a table of it longer than a pipe holds: a file takes it all.
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env)
        _pid, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        expected = 2 if command[-1].endswith("broken.json") else 0
        if code != expected:
            errors.seek(0)
            said = errors.read().decode(errors="replace")
            raise SystemExit(f"{' '.join(command)} exited {code}, not {expected}: {said}")
    return elapsed, usage.ru_utime + usage.ru_stime


def _p90(times: list[float]) -> float:
    return statistics.quantiles(times, n=10, method="inclusive")[8] if len(times) > 1 else times[0]


def _figures(runs: list[float], cpu: list[float], reference: float) -> dict[str, float]:
    median = statistics.median(runs)
    return {
        "min_s": round(min(runs), 3),
        "median_s": round(median, 3),
        "p90_s": round(_p90(runs), 3),
        "ratio_to_python": round(median / reference, 2),
        "median_cpu_s": round(statistics.median(cpu), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp)")
    args = parser.parse_args()

    hanoix = str(Path(sys.executable).with_name("hanoix"))
    # The node is the fresh home alone: no database, home or user from the caller's shell.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HANOIX_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="hanoix-bench-", dir=args.dir))
    try:
        home = work / "home"
        _run([hanoix, "--home", str(home), "init"], env)
        document = work / "request.json"
        document.write_text(json.dumps(_document()), encoding="utf-8")
        broken = work / "broken.json"
        broken.write_text('{"kind": "warrant"}', encoding="utf-8")
        on_node = [hanoix, "--home", str(home)]
        commands = {
            REFERENCE: [sys.executable, "-c", "pass"],
            "hanoix --version": [hanoix, "--version"],
            "hanoix --help": [hanoix, "--help"],
            "convention kinds": [hanoix, "convention", "kinds"],
            "treaty status": [*on_node, "treaty", "status"],
            "request validate": [*on_node, "request", "validate", str(document)],
            "validate, not a request": [*on_node, "request", "validate", str(broken)],
        }
        for command in commands.values():
            _run(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                elapsed, used = _run(command, env)
                times[name].append(elapsed)
                cpu[name].append(used)
        reference = statistics.median(times[REFERENCE])
        print(
            f"{args.runs} runs each, {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.2f}; target: a command that opens the node under "
            f"{TARGET_SECONDS} s"
        )
        print(
            f"{'command':<26}{'min s':>8}{'median s':>10}{'p90 s':>8}{'x python':>10}"
            f"{'CPU s':>8}  target"
        )
        results = {name: _figures(times[name], cpu[name], reference) for name in commands}
        for name, figures in results.items():
            verdict = ""
            if name != REFERENCE:
                met = figures["median_s"] < TARGET_SECONDS
                verdict = f"<{TARGET_SECONDS} s {'ok' if met else 'MISSED'}"
            print(
                f"{name:<26}{figures['min_s']:>8.3f}{figures['median_s']:>10.3f}"
                f"{figures['p90_s']:>8.3f}{figures['ratio_to_python']:>10.2f}"
                f"{figures['median_cpu_s']:>8.3f}  {verdict}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
