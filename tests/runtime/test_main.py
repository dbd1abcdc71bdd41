"""The ``hanoix`` entry point: the CLI, with the commands that run processes added by the
runtime (the CLI itself imports no runtime)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hanoix.runtime.main import main


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["serve", "--help"], "--worker"),
        (["federation", "worker", "--help"], "--once"),
        (["federation", "listen", "--help"], "mutual-TLS listener alone"),
        # The CLI's own commands of the group, and the worker next to them.
        (["federation", "--help"], "Run the delivery worker on its own"),
    ],
    ids=["serve", "federation-worker", "federation-listen", "federation-group"],
)
def test_the_entry_point_has_the_process_commands_and_the_cli_groups(
    words: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(words) == 0
    assert says in capsys.readouterr().out


def test_the_tls_listener_alone_refuses_to_start_when_the_node_has_it_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # deploy/systemd/hanoix-listener.service runs it; a node without tls = true has nothing to
    # listen with, and says which setting to change.
    monkeypatch.delenv("HANOIX_FEDERATION_TLS", raising=False)
    assert main(["--home", str(tmp_path / "home"), "federation", "listen"]) == 2
    assert "set tls = true" in capsys.readouterr().err
