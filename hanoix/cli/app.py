"""The root of the ``hanoix`` command and the context every command shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer

from hanoix.config import Settings, load_settings

app = typer.Typer(
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
