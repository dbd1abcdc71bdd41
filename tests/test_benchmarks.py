"""Every benchmark runs as the README writes it (a smoke test at a tiny size, not a timing).

The commands are read from the README itself, so a benchmark that breaks, or a README that
names one wrongly, fails here rather than in the hands of whoever wants the figures.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND = re.compile(r"`(\.venv/bin/python -m benchmarks\.(\w+)[^`]*)`")

# What makes each run tiny (appended: argparse keeps the last value of an option), and a line
# of figures each must print.
TINY = {
    "command_start": (["--runs", "1"], "treaty status"),
    "content": (
        [
            "--photos",
            "1",
            "--hashes",
            "100",
            "--indexed",
            "1000",
            "--video-seconds",
            "2",
            "--videos",
            "10",
            "--list-entries",
            "300",
        ],
        "photographs/s",
    ),
    "evidence_throughput": (["--size-mib", "2", "--runs", "1"], "x openssl"),
    "letters": (["--letters", "2"], "signed letter"),
    "ledger": (["--entries", "300", "--proofs", "20", "--consistency", "10"], "appends:"),
    "requests_api": (["--count", "120", "--runs", "3"], "create (POST)"),
    "statistics": (["--count", "200", "--runs", "1"], "median"),
    "federation": (
        ["--messages", "20", "--queued", "10", "--urgent", "3", "--transfer-mib", "2"],
        "small messages:",
    ),
    "web": (
        ["--requests", "200", "--pending", "10", "--runs", "2", "--users", "2"],
        "live validation",
    ),
}


def readme_commands() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return {match.group(2): match.group(1) for match in COMMAND.finditer(text)}


def test_the_readme_names_every_benchmark() -> None:
    modules = {
        path.stem
        for path in (ROOT / "benchmarks").glob("*.py")
        if path.stem not in {"__init__", "evidence_lean"}  # evidence_lean is run by another
    }
    assert set(readme_commands()) == modules == set(TINY)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("module", sorted(TINY))
def test_a_benchmark_runs_as_the_readme_writes_it(module: str, tmp_path: Path) -> None:
    words = shlex.split(readme_commands()[module])
    assert words[0] == ".venv/bin/python"
    extra, figure = TINY[module]
    done = subprocess.run(
        [sys.executable, *words[1:], *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert figure in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
