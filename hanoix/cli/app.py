"""The root of the ``hanoix`` command and the context every command shares."""

from __future__ import annotations

import copy
import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core
import typer.main

if TYPE_CHECKING:
    # pydantic is loaded only by the commands that read the node's settings.
    from hanoix.config import Settings
    from hanoix.requests import User
    from hanoix.services.node import Node


@dataclass(frozen=True)
class CommandGroup:
    """A command group: where its Typer app is ("module:attribute") and its one-line help."""

    target: str
    help: str


# The command groups. A group's module (and all it imports: the database layer, the web
# framework, cryptography) is loaded only when that group is used, so `hanoix evidence verify`
# does not pay for the API's start-up; the help lives here so that `hanoix --help` loads none.
COMMAND_GROUPS = {
    "authority": CommandGroup(
        "hanoix.cli.users:authority_app", "The authorities this node serves."
    ),
    "backup": CommandGroup(
        "hanoix.cli.backup:backup_app",
        "Backups of a running node: create, verify without restoring, restore into an empty home.",
    ),
    "content": CommandGroup(
        "hanoix.cli.content:content_app",
        "Removing intimate images and abuse material by hash: cases, hash lists, matching.",
    ),
    "convention": CommandGroup(
        "hanoix.cli.convention:convention_app",
        "The Convention as data: articles, kinds of request, notifications, with the article "
        "and basis of every rule.",
    ),
    "demo": CommandGroup(
        "hanoix.cli.demo:demo_app",
        "Three nodes (Viet Nam, Austria, South Africa) on loopback, and one case between them.",
    ),
    "directory": CommandGroup(
        "hanoix.cli.federation:directory_app",
        "The signed directory of nodes: who is who, their keys and addresses.",
    ),
    "evidence": CommandGroup(
        "hanoix.cli.evidence:evidence_app",
        "Evidence packages: sealed, encrypted, verifiable offline.",
    ),
    "exchange": CommandGroup(
        "hanoix.cli.exchange:exchange_app",
        "Evidence returned for requests over the network: the key to seal to, send, list, export.",
    ),
    "federation": CommandGroup(
        "hanoix.cli.federation:federation_app",
        "Envelopes between nodes: outbox, inbox (24/7 view), delivery worker.",
    ),
    "keys": CommandGroup(
        "hanoix.cli.keys:keys_app",
        "Authority key sets: Ed25519 to sign packages, X25519 to receive them.",
    ),
    "ledger": CommandGroup(
        "hanoix.cli.ledger:ledger_app",
        "The custody ledger: a tamper-evident log of custody events, with signed checkpoints "
        "and proofs.",
    ),
    "letter": CommandGroup(
        "hanoix.cli.letters:letter_app",
        "Request letters (signed PDF/A-3): verify one a requesting State sent.",
    ),
    "node": CommandGroup("hanoix.cli.federation:node_app", "This node's identity in the network."),
    "retention": CommandGroup(
        "hanoix.cli.retention:retention_app",
        "How long the node keeps each category of data; erase what is due (Art. 36).",
    ),
    "personal-data": CommandGroup(
        "hanoix.cli.retention:personal_data_app",
        "For the data-protection officer: where the node holds a person's data, who read it.",
    ),
    "request": CommandGroup(
        "hanoix.cli.requests:request_app",
        "Cooperation requests: draft, validate, approve, send, answer, track.",
    ),
    "statistics": CommandGroup(
        "hanoix.cli.statistics:statistics_app",
        "Cooperation statistics for a period, protected and signed; verify a signed report.",
    ),
    "treaty": CommandGroup(
        "hanoix.cli.treaty:treaty_app",
        "Treaty status: signatures, ratifications, entry into force (Art. 65).",
    ),
    "user": CommandGroup(
        "hanoix.cli.users:user_app", "Users: roles, API tokens, second factors, lockouts."
    ),
}


#: A click command (typer vendors click privately: its type is not named here).
Command = Any


class CommandsOnDemand(MutableMapping[str, Command]):
    """A group's commands, each converted from its Typer declaration when first asked for.

    Typer converts every command of a group (reading each function's signature and its
    annotations) when it builds the group; running one command needs one. Listing them (the
    group's help) converts them all, in the order they were declared, sub-groups last, as Typer
    lists them."""

    def __init__(self, app: typer.Typer, groups: Mapping[str, Command]) -> None:
        self._app = app
        self._declared = {
            info.name or typer.main.get_command_name(info.callback.__name__): info
            for info in app.registered_commands
            if info.callback is not None
        }
        self._made: dict[str, Command] = {}
        self._groups = dict(groups)

    def __getitem__(self, name: str) -> Command:
        if name in self._made:
            return self._made[name]
        if name in self._groups:
            return self._groups[name]
        command = typer.main.get_command_from_info(
            self._declared[name],  # KeyError for a name never declared, as a dict's
            pretty_exceptions_short=self._app.pretty_exceptions_short,
            rich_markup_mode=self._app.rich_markup_mode,
        )
        self._made[name] = command
        return command

    def __setitem__(self, name: str, command: Command) -> None:
        self._declared.pop(name, None)
        self._groups[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._declared.pop(name, None)
        self._made.pop(name, None)
        self._groups.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._declared
        yield from (name for name in self._groups if name not in self._declared)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        return name in self._declared or name in self._groups


def group_on_demand(sub_app: typer.Typer) -> typer.core.TyperGroup:
    """The click group of ``sub_app``, as ``typer.main.get_group`` makes it, whose commands are
    converted only when used (:class:`CommandsOnDemand`)."""
    shell = copy.copy(sub_app)
    shell.registered_commands = []  # the group itself: its options, help and sub-groups
    group = typer.main.get_group(shell)
    group.commands = CommandsOnDemand(sub_app, group.commands)
    return group


class LazyRootGroup(typer.core.TyperGroup):
    """The root command: its own commands, plus the groups of :data:`COMMAND_GROUPS`."""

    _listing = False

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return sorted({*super().list_commands(ctx), *COMMAND_GROUPS})

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:  # type: ignore[override]
        # Listing the groups needs their help, not their modules.
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: typer.Context, cmd_name: str) -> typer.core.TyperGroup | None:  # type: ignore[override]
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in COMMAND_GROUPS:
            return found  # type: ignore[return-value]
        declared = COMMAND_GROUPS[cmd_name]
        if self._listing:
            return typer.core.TyperGroup(name=cmd_name, help=declared.help)
        module_name, attribute = declared.target.split(":")
        sub_app = getattr(importlib.import_module(module_name), attribute)
        group = group_on_demand(sub_app)
        group.name = cmd_name
        group.help = declared.help
        self.commands[cmd_name] = group
        return group


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

    def reload(self) -> None:
        """Read the settings again (after a command changed the configuration file)."""
        self._settings = None

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

AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        envvar="HANOIX_USER",
        help="The user to act as (a username of this node; or set HANOIX_USER).",
        show_default=False,
    ),
]


def acting_user(node: Node, username: str | None) -> User:
    """The user ``--as`` names (or HANOIX_USER): who acts, seen by the same rules as in the API;
    a usage error when nobody is named."""
    from hanoix.errors import UsageError
    from hanoix.services.requests import user_named

    if not username:
        raise UsageError("say who acts: --as USERNAME, or set HANOIX_USER")
    return user_named(node, username)


def _print_version(asked: bool) -> None:
    if asked:
        import hanoix

        typer.echo(f"hanoix {hanoix.__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    home: HomeOption = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Hanoi Exchange command line."""
    ctx.obj = CliState(home=home, home_given=home is not None)


@contextmanager
def open_node(ctx: typer.Context, *, create: bool = True) -> Iterator[Node]:
    """The node of the chosen home, ready for a command (see ``Node.prepare``), closed after."""
    from hanoix.services.node import Node

    node = Node.open(state(ctx).settings)
    try:
        node.prepare(create=create)
        yield node
    finally:
        node.close()


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj
