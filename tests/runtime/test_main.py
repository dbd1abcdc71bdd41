"""The ``hanoix`` entry point: the CLI, with the commands that run processes added by the
runtime (the CLI itself imports no runtime)."""

from __future__ import annotations

import pytest

from hanoix.runtime.main import main


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["serve", "--help"], "--worker"),
        (["federation", "worker", "--help"], "--once"),
        # The CLI's own commands of the group, and the worker next to them.
        (["federation", "--help"], "Run the delivery worker on its own"),
    ],
    ids=["serve", "federation-worker", "federation-group"],
)
def test_the_entry_point_has_the_process_commands_and_the_cli_groups(
    words: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(words) == 0
    assert says in capsys.readouterr().out
