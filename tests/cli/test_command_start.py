"""What a command loads before it works: each group, and the database, the web framework and
the migrations, only when the command needs them (issue 13: commands start in under 0.35 s;
benchmarks/command_start.py has the figures, this holds the cause without timing anything)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hanoix.config import load_settings
from hanoix.services.node import Node
from hanoix.store import treaty_file
from tests.services.requests_world import document

#: Libraries no command that only reads the node needs: the migrations, the web server, the
#: S3 client, the charts.
SERVER_SIDE = ("alembic", "fastapi", "starlette", "uvicorn", "boto3", "matplotlib")
#: What only keys, passwords, second factors, peers and pages need: no reading of the treaty
#: data or of a request document loads them.
NOT_FOR_READING = (
    "cryptography",
    "nacl",
    "argon2",
    "pyotp",
    "blake3",
    "httpx",
    "jinja2",
    "limits",
    "structlog",
    "psycopg",
)


def loaded(*args: str | Path) -> tuple[int, set[str]]:
    """Run ``hanoix ARGS`` in a fresh interpreter: its exit code and the top-level modules it
    loaded."""
    script = (
        "import json, sys\n"
        "from hanoix.cli.main import main\n"
        "code = main(sys.argv[1:])\n"
        "print(json.dumps([code, sorted({m.split('.')[0] for m in sys.modules})]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        check=False,
        timeout=120,
    )
    code, modules = json.loads(done.stdout.splitlines()[-1])
    return code, set(modules)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A node's home, initialised (on SQLite, as a new node's)."""
    path = tmp_path_factory.mktemp("command-start") / "home"
    node = Node.open(load_settings(path, environ={}))
    node.initialise()
    node.close()
    return path


@pytest.mark.parametrize(
    "args", [["--version"], ["--help"], ["convention", "--help"], ["convention", "kinds"]]
)
def test_commands_without_a_node_load_no_database_and_no_settings(args: list[str]) -> None:
    code, modules = loaded(*args)
    assert code == 0
    assert modules & {"sqlalchemy", "pydantic", "structlog", *SERVER_SIDE} == set()


@pytest.mark.parametrize(
    "args",
    [["treaty", "status"], ["treaty", "participant", "AUT"], ["treaty", "applies", "AUT", "VNM"]],
)
def test_reading_the_treaty_status_opens_no_database(home: Path, args: list[str]) -> None:
    # The home's copy of its database's treaty tables answers: no database, no ORM.
    code, modules = loaded("--home", home, *args)
    assert code in (0, 1)  # applies: 1 when the Convention does not bind both
    assert modules & {"sqlalchemy", *NOT_FOR_READING, *SERVER_SIDE} == set()


def test_a_command_that_opens_the_node_loads_neither_migrations_nor_web_server(
    tmp_path: Path,
) -> None:
    path = tmp_path / "home"
    node = Node.open(load_settings(path, environ={}))
    node.initialise()
    node.close()
    (path / treaty_file.COPY_NAME).unlink()  # as a home of an earlier version: the database
    code, modules = loaded("--home", path, "treaty", "status")
    assert code == 0
    assert "sqlalchemy" in modules  # it did read the node
    assert modules & {*NOT_FOR_READING, *SERVER_SIDE} == set()


def test_validating_a_request_opens_no_database(home: Path, tmp_path: Path) -> None:
    # Validation reads the node's treaty data (whether the Convention is in force between the
    # two States on the day) from the home's copy of it: no database, no ORM.
    request = tmp_path / "request.json"
    request.write_text(json.dumps(document(requesting_state="AUT")), encoding="utf-8")
    code, modules = loaded("--home", home, "request", "validate", request)
    assert code == 0
    assert modules & {"sqlalchemy", *NOT_FOR_READING, *SERVER_SIDE} == set()


def test_a_document_that_is_not_a_request_is_answered_without_a_node(tmp_path: Path) -> None:
    not_a_request = tmp_path / "request.json"
    not_a_request.write_text(json.dumps({"kind": "warrant"}), encoding="utf-8")
    absent_home = tmp_path / "no-node-here"
    code, modules = loaded("--home", absent_home, "request", "validate", not_a_request)
    assert code == 2
    assert not absent_home.exists()  # no database created, none opened
    assert modules & {"sqlalchemy", *NOT_FOR_READING, *SERVER_SIDE} == set()


def test_a_group_converts_only_the_command_that_runs_and_lists_them_as_typer_does() -> None:
    import typer
    import typer.main

    from hanoix.cli.app import CommandsOnDemand, group_on_demand
    from hanoix.cli.requests import request_app
    from hanoix.cli.users import user_app

    for sub_app in (request_app, user_app):
        eager = typer.main.get_group(sub_app)
        lazy = group_on_demand(sub_app)
        assert isinstance(lazy.commands, CommandsOnDemand)
        context = typer.Context(lazy)
        first = next(iter(eager.commands))
        command = lazy.get_command(context, first)
        assert command is not None
        assert [p.name for p in command.params] == [p.name for p in eager.commands[first].params]
        assert list(lazy.commands._made) == [first]  # one converted, not all
        assert lazy.get_command(context, "no-such-command") is None
        assert lazy.list_commands(context) == eager.list_commands(typer.Context(eager))
        assert {
            name: (c.help, [p.name for p in c.params]) for name, c in lazy.commands.items()
        } == {name: (c.help, [p.name for p in c.params]) for name, c in eager.commands.items()}
