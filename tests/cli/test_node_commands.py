from __future__ import annotations

from pathlib import Path
from typing import Any


def test_init_creates_the_home_and_reports_json(cli: Any, tmp_path: Path) -> None:
    home = tmp_path / "node"
    result = cli("--home", home, "init", "--json")
    assert result.exit_code == 0, result.stderr
    summary = result.json()
    assert Path(summary["home"]) == home.resolve()
    assert (home / "hanoix.db").is_file()
    assert (home / "blobs").is_dir()


def test_unknown_command_is_a_usage_error(cli: Any) -> None:
    result = cli("no-such-command")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_bad_config_file_is_a_clear_error(cli: Any, tmp_path: Path) -> None:
    home = tmp_path / "node"
    home.mkdir()
    (home / "hanoix.toml").write_text("port = 'not a number'\n")
    result = cli("--home", home, "init")
    assert result.exit_code == 2
    assert "port" in result.stderr
    assert "Traceback" not in result.stderr
