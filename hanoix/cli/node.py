"""Node-level commands: initialise a home, upgrade the schema (``hanoix serve`` runs a process:
:mod:`hanoix.runtime.commands` adds it)."""

from __future__ import annotations

from typing import Annotated

import typer

from hanoix.cli.app import JsonOption, app, state
from hanoix.cli.output import report
from hanoix.errors import UsageError


@app.command("init")
def init(
    ctx: typer.Context,
    state_code: Annotated[
        str | None,
        typer.Option(
            "--state",
            help="The node's State (ISO 3166-1 alpha-3, e.g. AUT), recorded in "
            "HOME/hanoix.toml; needed to federate.",
            show_default=False,
        ),
    ] = None,
    origin: Annotated[
        str | None,
        typer.Option(
            help="The node's origin name (its ledger and its peers know it by this), "
            "e.g. aut.example.org; recorded in HOME/hanoix.toml.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create the node's home (database schema, blob folder, treaty data), or upgrade it."""
    from hanoix.config import config_file, record_settings
    from hanoix.services.node import Node

    cli = state(ctx)
    wanted = {}
    if state_code is not None:
        wanted["state"] = _state_code(state_code)
    if origin is not None:
        wanted["origin"] = _origin(origin)
    recorded = record_settings(config_file(cli.settings.home), wanted) if wanted else {}
    if recorded:
        cli.reload()
    for name, value in wanted.items():
        effective = getattr(cli.settings, name)
        if effective != value:
            raise UsageError(
                f"--{name.replace('_', '-')} {value} but the environment says "
                f"HANOIX_{name.upper()}={effective}: unset it or give the same value"
            )
    summary = Node.open(cli.settings).initialise()
    summary["state"] = cli.settings.state
    report(
        summary,
        as_json,
        lambda out: out.print(
            f"node home ready at {summary['home']} (database {summary['database']})"
            + "".join(f"; {name} {value}" for name, value in recorded.items() if value),
            markup=False,
        ),
    )


def _state_code(value: str) -> str:
    from hanoix.errors import UnknownStateError
    from hanoix.requests.references import check_state_code
    from hanoix.treaty.participants import lookup

    try:
        return lookup(check_state_code(value.strip().upper(), what="--state")).code
    except UnknownStateError as error:
        raise UsageError(f"--state: {error.message}") from None


def _origin(value: str) -> str:
    import re

    name = value.strip()
    # A host-like name: it appears in the ledger's signed checkpoints and in the directory.
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", name):
        raise UsageError(
            f"--origin {value!r}: write a host-like name of letters, digits, dots and hyphens, "
            "e.g. aut.example.org"
        )
    return name
