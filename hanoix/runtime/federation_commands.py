"""``hanoix federation``: the CLI's group (:mod:`hanoix.cli.federation`) with ``worker``, which
runs the delivery worker as a process of its own, and ``listen``, the mutual-TLS listener."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from hanoix.cli.app import JsonOption, state
from hanoix.cli.federation import federation_app, open_federation
from hanoix.cli.output import report
from hanoix.runtime import serving
from hanoix.runtime.worker import Worker, favour_short_steps

__all__ = ["federation_app"]


@federation_app.command("worker")
def federation_worker(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then exit.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Run the delivery worker on its own (then run 'hanoix serve --no-worker')."""
    favour_short_steps()
    worker = Worker(open_federation(ctx, state(ctx).settings.log_level))
    try:
        if once:
            attempts = worker.drain()
            report(
                {"attempts": attempts},
                as_json,
                lambda out: out.print(f"{attempts} attempt(s)", markup=False),
            )
            return
        stop = threading.Event()
        try:
            worker.run(stop)
        except KeyboardInterrupt:
            stop.set()
    finally:
        worker.close()


@federation_app.command("listen")
def federation_listen(ctx: typer.Context) -> None:
    """Serve the node-to-node API on its mutual-TLS listener alone (tls = true; then run
    'hanoix serve' with HANOIX_FEDERATION_TLS=false)."""
    level = state(ctx).settings.log_level
    federation = open_federation(ctx, level)
    try:
        serving.run_listener(federation.node, log_level=level)
    except KeyboardInterrupt:
        pass
    finally:
        federation.node.close()
