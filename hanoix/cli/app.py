"""The root of the ``hanoix`` command and the context every command shares."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import typer.core
import typer.main

if TYPE_CHECKING:
    # pydantic is loaded only by the commands that read the node's settings.
    from hanoix.config import Settings


# Command groups by name, as "module:attribute" of their Typer app. A group's module (and all
# it imports: the database layer, the web framework, cryptography) is loaded only when that
# group is used, so `hanoix evidence verify` does not pay for the API's start-up.
COMMAND_GROUPS = {
    "authority": "hanoix.cli.users:authority_app",
    "convention": "hanoix.cli.convention:convention_app",
    "demo": "hanoix.cli.demo:demo_app",
    "directory": "hanoix.cli.federation:directory_app",
    "evidence": "hanoix.cli.evidence:evidence_app",
    "exchange": "hanoix.cli.exchange:exchange_app",
    "federation": "hanoix.cli.federation:federation_app",
    "keys": "hanoix.cli.keys:keys_app",
    "ledger": "hanoix.cli.ledger:ledger_app",
    "node": "hanoix.cli.federation:node_app",
    "request": "hanoix.cli.requests:request_app",
    "treaty": "hanoix.cli.treaty:treaty_app",
    "user": "hanoix.cli.users:user_app",
}


class LazyRootGroup(typer.core.TyperGroup):
    """The root command: its own commands, plus the groups of :data:`COMMAND_GROUPS`."""

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return sorted({*super().list_commands(ctx), *COMMAND_GROUPS})

    def get_command(self, ctx: typer.Context, cmd_name: str) -> typer.core.TyperGroup | None:  # type: ignore[override]
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in COMMAND_GROUPS:
            module_name, attribute = COMMAND_GROUPS[cmd_name].split(":")
            sub_app = getattr(importlib.import_module(module_name), attribute)
            group = typer.main.get_group(sub_app)
            group.name = cmd_name
            self.commands[cmd_name] = group
            return group
        return found  # type: ignore[return-value]


app = typer.Typer(
    cls=LazyRootGroup,
    name="hanoix",
    help="Hanoi Exchange: a State's node for cooperation under the UN Convention against "
    "Cybercrime.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@dataclass
class CliState:
    """What the root options chose; commands that need a node ask for ``settings``."""

    home: Path | None = None
    home_given: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from hanoix.config import load_settings

            self._settings = load_settings(self.home)
        return self._settings


HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="HANOIX_HOME",
        help="The node's home directory (all its state lives here). Default: ./.hanoix",
        show_default=False,
    ),
]

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


@app.callback()
def root(ctx: typer.Context, home: HomeOption = None) -> None:
    """Hanoi Exchange command line."""
    ctx.obj = CliState(home=home, home_given=home is not None)


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj
