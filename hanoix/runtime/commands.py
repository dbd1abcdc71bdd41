"""The commands that run a node's processes, added to the CLI by :mod:`hanoix.runtime.main`:
``hanoix serve`` here, ``hanoix federation worker`` in :mod:`.federation_commands` (loaded
with the ``federation`` group only)."""

from __future__ import annotations

from typing import Annotated

import typer

from hanoix.cli.app import app, state


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
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API processes sharing the port (one per core uses them all); the federation "
            "listener and delivery worker run once, in the process that starts them.",
        ),
    ] = 1,
    parent: Annotated[
        int | None,
        typer.Option(
            hidden=True,
            min=1,
            help="Stop when process PARENT is no longer this one's parent (the demo's nodes end "
            "with the demo, even one killed outright).",
        ),
    ] = None,
) -> None:
    """Start the node's HTTP server (API and web UI)."""
    from hanoix.runtime.server import serve_node

    serve_node(
        state(ctx).settings, host=host, port=port, worker=worker, workers=workers, parent=parent
    )
