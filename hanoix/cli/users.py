"""Authorities and users of the node, their API tokens and second factors.

These commands act with the node's own authority (whoever runs them on the node's machine, as
for ``hanoix init``): they are the administrators' tools, and what they do is what the
administrator routes of the API do.
"""

from __future__ import annotations

import sys
from datetime import datetime
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
token_app = typer.Typer(no_args_is_help=True)
totp_app = typer.Typer(no_args_is_help=True)
user_app.add_typer(token_app, name="token", help="A user's API tokens: new, list, revoke.")
user_app.add_typer(
    totp_app, name="totp", help="A user's second factor (TOTP): enrol, confirm, disable."
)


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
        if not rows:
            out.print(
                "no authorities yet: register one with "
                "`hanoix authority add CODE --name NAME --kind KIND`",
                markup=False,
            )
            return
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


Username = Annotated[str, typer.Argument(help="The user's login name.")]


def _user_row(info: auth.UserInfo) -> dict[str, object]:
    return dict(info.__dict__)


def _report_user(info: auth.UserInfo, as_json: bool, said: str) -> None:
    report(_user_row(info), as_json, lambda out: out.print(said, markup=False))


@user_app.command("list")
def user_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the users: roles, authority, active, locked, second factor."""
    node = _node(ctx)
    with node.unit_of_work() as session:
        users = auth.list_users(session)

    def render(out: Console) -> None:
        if not users:
            out.print(
                "no users yet: create one with "
                "`hanoix user add USERNAME --role ROLE --authority CODE --password-stdin`",
                markup=False,
            )
            return
        table = Table("username", "authority", "roles", "active", "locked", "second factor")
        for u in users:
            table.add_row(
                u.username,
                u.authority or "-",
                ", ".join(u.roles),
                "yes" if u.active else "no",
                f"yes ({u.failed_logins} failures)" if u.locked else "no",
                u.second_factor,
            )
        out.print(table)

    report([_user_row(u) for u in users], as_json, render)


@user_app.command("deactivate")
def user_deactivate(ctx: typer.Context, username: Username, as_json: JsonOption = False) -> None:
    """Deactivate a user: their web sessions end and their API tokens are revoked at once."""
    node = _node(ctx)
    with node.unit_of_work() as session:
        info = auth.set_active(session, node.clock, username, False)
    _report_user(info, as_json, f"user {username} deactivated; sessions ended, tokens revoked")


@user_app.command("activate")
def user_activate(ctx: typer.Context, username: Username, as_json: JsonOption = False) -> None:
    """Activate a user again (the tokens revoked at deactivation stay revoked)."""
    node = _node(ctx)
    with node.unit_of_work() as session:
        info = auth.set_active(session, node.clock, username, True)
    _report_user(info, as_json, f"user {username} activated")


@user_app.command("unlock")
def user_unlock(ctx: typer.Context, username: Username, as_json: JsonOption = False) -> None:
    """Unlock an account locked by failed sign-ins, and lift its sign-in throttle."""
    node = _node(ctx)
    auth.unlock_user(node, username)
    with node.unit_of_work() as session:
        info = auth.describe_user(session, username)
    _report_user(info, as_json, f"user {username} unlocked")


@token_app.command("new")
def token_new(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")],
    days: Annotated[
        int | None,
        typer.Option(help="Lifetime in days (default and most: the node's token_max_days)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Issue an API token for a user. It is printed once, on stdout."""
    node = _node(ctx)
    policy = node.credentials.policy
    lifetime = auth.token_lifetime(days, policy) if days is not None else None
    with node.unit_of_work() as session:
        user_id = auth.user_id(session, username)
        token = auth.issue_token(session, node.clock, user_id, name, lifetime, policy=policy)
    if as_json:
        report({"username": username, "token": token}, True, lambda out: None)
    else:
        # The token goes to stdout so it can be captured; the note to stderr.
        sys.stdout.write(token + "\n")
        human.print("store this token now: it is not shown again", markup=False)


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else "-"


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    username: Username,
    include_ended: Annotated[
        bool, typer.Option("--all", help="Also the expired and revoked tokens.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List a user's API tokens (never their secrets)."""
    node = _node(ctx)
    with node.unit_of_work() as session:
        tokens = auth.list_tokens(
            session,
            node.clock,
            auth.user_id(session, username),
            include_ended=include_ended,
            policy=node.credentials.policy,
        )
    now = node.clock.now()
    rows = [{**t.__dict__, "status": t.status(now)} for t in tokens]

    def render(out: Console) -> None:
        table = Table("id", "name", "status", "created", "expires", "last used", "web session")
        for t in tokens:
            table.add_row(
                t.id,
                t.name,
                t.status(now),
                _when(t.created_at),
                _when(t.expires_at),
                _when(t.last_used_at),
                "yes" if t.from_web_session else "no",
            )
        out.print(table)

    report(rows, as_json, render)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    username: Username,
    token_id: Annotated[str, typer.Argument(help="The token's id (from 'token list').")],
    as_json: JsonOption = False,
) -> None:
    """Revoke one of a user's API tokens: every later request with it is refused (401)."""
    node = _node(ctx)
    with node.unit_of_work() as session:
        auth.revoke_token(session, node.clock, token_id, owner=auth.user_id(session, username))
    report(
        {"username": username, "token": token_id, "revoked": True},
        as_json,
        lambda out: out.print(f"token {token_id} of {username} revoked", markup=False),
    )


@totp_app.command("enrol")
def totp_enrol(ctx: typer.Context, username: Username, as_json: JsonOption = False) -> None:
    """Give a user a TOTP secret; the otpauth URI and the secret are printed once, on stdout.
    The user confirms it with a first code ('hanoix user totp confirm', or the API)."""
    node = _node(ctx)
    enrolment = auth.enrol_totp(node, username)
    if as_json:
        report({"username": username, **enrolment.__dict__}, True, lambda out: None)
    else:
        sys.stdout.write(f"{enrolment.uri}\nsecret: {enrolment.secret}\n")
        human.print(
            "give these to the user alone, for their authenticator app; they are not shown "
            f"again. Then: hanoix user totp confirm {username} CODE",
            markup=False,
        )


@totp_app.command("confirm")
def totp_confirm(
    ctx: typer.Context,
    username: Username,
    code: Annotated[str, typer.Argument(help="The 6-digit code the app shows now.")],
    as_json: JsonOption = False,
) -> None:
    """Turn a user's second factor on with a first code from their authenticator app."""
    node = _node(ctx)
    info = auth.confirm_totp(node, username, code)
    _report_user(info, as_json, f"second factor of {username} confirmed: sign-in asks for it")


@totp_app.command("disable")
def totp_disable(ctx: typer.Context, username: Username, as_json: JsonOption = False) -> None:
    """Remove a user's second factor (a lost phone); they may enrol again."""
    node = _node(ctx)
    with node.unit_of_work() as session:
        info = auth.disable_totp(session, username)
    _report_user(info, as_json, f"second factor of {username} removed")
