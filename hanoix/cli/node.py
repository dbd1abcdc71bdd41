"""Node-level commands: initialise a home, upgrade the schema, serve HTTP."""

from __future__ import annotations

from typing import Annotated

import typer

from hanoix.cli.app import JsonOption, app, state
from hanoix.cli.output import report


@app.command("init")
def init(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Create the node's home: database schema, blob folder, treaty data."""
    from hanoix.services.node import Node

    summary = Node.open(state(ctx).settings).initialise()
    report(
        summary,
        as_json,
        lambda out: out.print(
            f"node home ready at {summary['home']} (database {summary['database']})",
            markup=False,
        ),
    )


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (loopback by default).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (default 8470).")] = None,
    worker: Annotated[
        bool | None,
        typer.Option(
            "--worker/--no-worker",
            help="Run the federation delivery worker in this process (default: federation.toml).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Start the node's HTTP server (API and web UI)."""
    from hanoix.api.server import serve_node

    serve_node(state(ctx).settings, host=host, port=port, worker=worker)
