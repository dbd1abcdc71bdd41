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


def test_root_help_lists_every_group_without_loading_any() -> None:
    import subprocess
    import sys

    from hanoix.cli.app import COMMAND_GROUPS

    modules = sorted({group.target.split(":")[0] for group in COMMAND_GROUPS.values()})
    script = (
        "import sys\n"
        "from hanoix.cli.main import main\n"
        "code = main(['--help'])\n"
        f"print('LOADED', [m for m in {modules!r} if m in sys.modules])\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        check=True,
        timeout=60,
    )
    assert "LOADED []" in done.stdout
    for name, group in COMMAND_GROUPS.items():
        assert f"{name} " in done.stdout
        assert group.help.split(":")[0] in done.stdout


def test_a_group_shows_its_declared_help(cli: Any) -> None:
    from hanoix.cli.app import COMMAND_GROUPS

    result = cli("evidence", "--help")
    assert result.exit_code == 0
    assert COMMAND_GROUPS["evidence"].help in result.stdout + result.stderr
