"""``hanoix federation``: the CLI's group (:mod:`hanoix.cli.federation`) with ``worker``, which
runs the delivery worker as a process of its own."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from hanoix.cli.app import JsonOption, state
from hanoix.cli.federation import federation_app, open_federation
from hanoix.cli.output import report
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
