"""Every file the CLI reads is read with a size cap while reading; a FIFO, a device or a folder is
refused at once; JSON nesting is bounded; and an error never prints a line as long as a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hanoix import inputs
from hanoix.cli.main import MAX_ERROR_LINE
from hanoix.errors import FileFormatError, InputError

DEEP = "[" * 100_000 + "]" * 100_000


def _short_lines(text: str) -> None:
    assert "Traceback" not in text
    for line in text.splitlines():
        assert len(line) <= MAX_ERROR_LINE + 60, line[:200]


@pytest.fixture
def home(cli: Any, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "hanoix.toml").write_text('state = "AUT"\n')
    assert cli("--home", home, "init", "--json").exit_code == 0
    authority = tmp_path / "authority"
    assert cli("keys", "new", "--out", authority, "--json").exit_code == 0
    assert cli("--home", home, "directory", "trust", authority / "signing.pub").exit_code == 0
    return home


def _vkey(home: Path) -> str:
    from hanoix.config import load_settings
    from hanoix.services import custody
    from hanoix.services.node import Node

    node = Node.open(load_settings(home, environ={}))
    try:
        return custody.CustodyLedger(node).verifier.vkey
    finally:
        node.close()


def _commands(home: Path, path: Path) -> list[tuple[str, ...]]:
    """Commands that read ``path`` as their input file, one per kind of input."""
    return [
        ("--home", str(home), "request", "validate", str(path)),
        ("--home", str(home), "ledger", "append", str(path)),
        ("--home", str(home), "treaty", "import", str(path), "--format", "csv"),
        ("--home", str(home), "directory", "import", str(path)),
        ("ledger", "check-proof", str(path), "--key", _vkey(home)),
    ]


def test_dev_zero_is_refused_as_a_device_not_read_to_the_end(cli: Any, home: Path) -> None:
    for command in _commands(home, Path("/dev/zero")):
        result = cli(*command)
        assert result.exit_code == 2, (command, result.stderr)
        assert "character device, not a regular file" in result.stderr, command
        _short_lines(result.stderr)


def test_a_folder_is_refused(cli: Any, home: Path, tmp_path: Path) -> None:
    for command in _commands(home, tmp_path):
        result = cli(*command)
        assert result.exit_code == 2, (command, result.stderr)
        assert "is a directory" in result.stderr, command


def test_a_fifo_is_refused_at_once_not_waited_on(home: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    # A real process, with a timeout: opening a FIFO for reading blocks until a writer comes.
    result = subprocess.run(
        [sys.executable, "-m", "hanoix", "--home", str(home), "request", "validate", str(fifo)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "FIFO (named pipe), not a regular file" in result.stderr


def test_a_file_over_the_cap_is_refused_having_read_only_the_cap(
    cli: Any, home: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:  # sparse: 17 MiB that take no disk
        handle.truncate(17 * 1024 * 1024)
    for command in _commands(home, big):
        result = cli(*command)
        assert result.exit_code == 2, (command, result.stderr)
        assert "larger than" in result.stderr, command


def test_read_input_stops_at_the_cap_even_when_the_size_lies(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 1000)
    assert inputs.read_input(path, limit=1000) == b"x" * 1000
    with pytest.raises(InputError, match="larger than 999 bytes"):
        inputs.read_input(path, limit=999)
    with pytest.raises(InputError, match="no such file"):
        inputs.read_input(tmp_path / "missing")


@pytest.mark.parametrize(
    "command", [("request", "validate"), ("ledger", "append"), ("directory", "import")]
)
def test_deeply_nested_json_is_a_clear_error_not_a_traceback(
    cli: Any, home: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    path = tmp_path / "deep.json"
    path.write_text(DEEP)
    result = cli("--home", home, *command, path)
    assert result.exit_code == 2, result.stderr
    # The directory's own parser says it its way ("maximum recursion depth exceeded").
    assert "nested too deeply" in result.stderr or "recursion depth" in result.stderr
    _short_lines(result.stderr)


def test_json_nesting_is_bounded_below_the_recursion_limit() -> None:
    ok = "[" * inputs.MAX_JSON_DEPTH + "]" * inputs.MAX_JSON_DEPTH
    assert inputs.load_json(ok, "x") is not None
    deeper = "[" + ok + "]"
    with pytest.raises(FileFormatError, match=f"at most {inputs.MAX_JSON_DEPTH} levels"):
        inputs.load_json(deeper, "x")
    with pytest.raises(FileFormatError, match="nested too deeply"):
        inputs.load_json(DEEP, "x")


def test_a_binary_csv_gives_short_error_lines(cli: Any, home: Path, tmp_path: Path) -> None:
    binary = tmp_path / "status.csv"
    binary.write_bytes(bytes(range(32, 256)) * 250 + b"," + os.urandom(50_000).replace(b"\n", b""))
    result = cli("--home", home, "treaty", "import", binary, "--format", "csv")
    assert result.exit_code == 2
    _short_lines(result.stderr)
    assert len(result.stderr) < 2 * MAX_ERROR_LINE


def test_an_error_with_a_huge_message_or_many_problems_prints_short_lines(
    cli: Any, home: Path, tmp_path: Path
) -> None:
    document = {
        "kind": "mla",
        "requested_state": "VNM",
        "language": "en",
        "contents": {f"x{n}-" + "y" * 60: "z" for n in range(60)},
    }
    path = tmp_path / "request.json"
    path.write_text(json.dumps(document))
    result = cli("--home", home, "request", "validate", path)
    assert result.exit_code == 2
    _short_lines(result.stderr)
    assert "more (--json lists them all)" in result.stderr
