"""Authorities and users of the node, and their API tokens."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hanoix.cli.app import JsonOption, state
from hanoix.cli.output import human, report
from hanoix.errors import InputError
from hanoix.services import auth
from hanoix.services.node import Node

authority_app = typer.Typer(no_args_is_help=True)
user_app = typer.Typer(no_args_is_help=True)


def _node(ctx: typer.Context) -> Node:
    node = Node.open(state(ctx).settings)
    node.prepare()
    return node


@authority_app.command("add")
def authority_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="e.g. AUT-CA (State code, dash, short name)")],
    name: Annotated[str, typer.Option(help="Full name of the authority.")],
    kind: Annotated[
        str, typer.Option(help="central-authority, contact-24-7 or competent-authority")
    ],
    state_code: Annotated[str, typer.Option("--state", help="ISO 3166-1 alpha-3 code.")],
    as_json: JsonOption = False,
) -> None:
    """Register an authority of this node's State."""
    node = _node(ctx)
    with node.unit_of_work() as session:
        added = auth.add_authority(
            session, node.clock, auth.Authority(code, name, kind, state_code.upper())
        )
    report(
        added.__dict__,
        as_json,
        lambda out: out.print(f"authority {added.code} added", markup=False),
    )


@authority_app.command("list")
def authority_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the authorities."""
    node = _node(ctx)
    with node.unit_of_work() as session:
        rows = auth.list_authorities(session)

    def render(out: Console) -> None:
        table = Table("code", "kind", "state", "name")
        for a in rows:
            table.add_row(a.code, a.kind, a.state, a.name)
        out.print(table)

    report([a.__dict__ for a in rows], as_json, render)


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise InputError("--password-stdin: standard input gave no password")
        return password
    return None


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name (lower case).")],
    role: Annotated[
        list[str],
        typer.Option(help=f"Role, repeatable: {', '.join(auth.ROLES)}"),
    ],
    authority: Annotated[str | None, typer.Option(help="Authority code the user acts for.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Full name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a user (with a password read from stdin, or token-only without one)."""
    password = _read_password(password_stdin)
    node = _node(ctx)
    with node.unit_of_work() as session:
        principal = auth.add_user(
            session,
            node.clock,
            username=username,
            display_name=display_name or username,
            roles=set(role),
            authority=authority,
            password=password,
        )
    result = {
        "username": principal.username,
        "authority": principal.authority,
        "roles": sorted(principal.roles),
    }
    report(result, as_json, lambda out: out.print(f"user {username} added", markup=False))


@user_app.command("token")
def user_token(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")],
    days: Annotated[int, typer.Option(min=1, max=366, help="Lifetime in days.")] = 90,
    as_json: JsonOption = False,
) -> None:
    """Issue an API token for a user. It is printed once, on stdout."""
    node = _node(ctx)
    with node.unit_of_work() as session:
        user_id = auth.user_id(session, username)
        token = auth.issue_token(session, node.clock, user_id, name, timedelta(days=days))
    if as_json:
        report({"username": username, "token": token}, True, lambda out: None)
    else:
        # The token goes to stdout so it can be captured; the note to stderr.
        sys.stdout.write(token + "\n")
        human.print("store this token now: it is not shown again", markup=False)
