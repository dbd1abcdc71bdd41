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
        "from hanoix.runtime.main import main\n"
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


def test_version() -> None:
    import subprocess
    import sys

    import hanoix

    shown = subprocess.run(
        [sys.executable, "-m", "hanoix", "--version"], capture_output=True, text=True, check=False
    )
    assert (shown.returncode, shown.stdout) == (0, f"hanoix {hanoix.__version__}\n")


def test_init_records_the_state_and_origin_in_the_configuration_file(
    cli: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.delenv("HANOIX_STATE", raising=False)
    home = tmp_path / "node"
    home.mkdir()
    (home / "hanoix.toml").write_text("# ours\n[hanoix]\nport = 8475  # the proxy's upstream\n")
    done = cli("--home", home, "init", "--state", "aut", "--origin", "aut.example.org", "--json")
    assert done.exit_code == 0, done.stderr
    assert done.json()["state"] == "AUT"
    assert done.json()["ledger"]["origin"] == "aut.example.org"
    text = (home / "hanoix.toml").read_text()
    assert "# ours" in text and "# the proxy's upstream" in text
    assert 'state = "AUT"' in text and 'origin = "aut.example.org"' in text
    # The identity a node needs to federate now has its State.
    identity = cli("--home", home, "node", "identity", "--json")
    assert identity.exit_code == 0, identity.stderr
    assert identity.json()["state"] == "AUT"

    assert cli("--home", home, "init", "--state", "AUT").exit_code == 0  # the same: nothing to do
    changed = cli("--home", home, "init", "--state", "VNM")
    assert changed.exit_code == 2 and "already says state = 'AUT'" in changed.stderr
    for bad, says in (("XYZ", "unknown State code 'XYZ'"), ("Austria", "alpha-3")):
        refused = cli("--home", tmp_path / "other", "init", "--state", bad)
        assert refused.exit_code == 2 and says in refused.stderr, refused.stderr
    assert not (tmp_path / "other" / "hanoix.toml").exists()
    bad_origin = cli("--home", tmp_path / "other", "init", "--origin", "a b/c")
    assert bad_origin.exit_code == 2 and "host-like name" in bad_origin.stderr
    monkeypatch.setenv("HANOIX_STATE", "VNM")
    against = cli("--home", tmp_path / "third", "init", "--state", "AUT")
    assert against.exit_code == 2 and "HANOIX_STATE=VNM" in against.stderr


def test_an_unusable_database_url_is_one_line_without_a_traceback(
    cli: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    for url in ("mysql://x", "notaurl", "postgresql://nobody@127.0.0.1:1/x"):
        monkeypatch.setenv("HANOIX_DATABASE_URL", url)
        result = cli("--home", tmp_path / "node", "init")
        assert result.exit_code == 2, (url, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_only_init_and_serve_upgrade_a_schema(cli: Any, tmp_path: Path) -> None:
    from hanoix.config import load_settings
    from hanoix.store import migrate
    from hanoix.store.db import make_engine

    home = tmp_path / "node"
    home.mkdir()
    engine = make_engine(load_settings(home, environ={}).effective_database_url)
    [earlier] = [r for r in migrate.known_revisions() if r.startswith("0008")]
    migrate.upgrade(engine, earlier)
    behind = cli("--home", home, "treaty", "status")
    assert behind.exit_code == 2
    assert f"revision {earlier}" in behind.stderr and "init' to upgrade it" in behind.stderr
    assert migrate.current_revision(engine) == earlier  # the command changed nothing
    assert cli("--home", home, "init").exit_code == 0
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert cli("--home", home, "treaty", "status").exit_code == 0

    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0099_from_later'")
    ahead = cli("--home", home, "request", "list", "--as", "nobody")
    assert ahead.exit_code == 2 and "upgraded by a newer version" in ahead.stderr
    engine.dispose()


def test_a_command_on_a_new_home_creates_it(cli: Any, tmp_path: Path) -> None:
    result = cli("--home", tmp_path / "fresh", "treaty", "status", "--json")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "fresh" / "hanoix.db").is_file()
