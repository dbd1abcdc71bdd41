"""``hanoix exchange``: evidence returned for requests over the network.

The requested side writes the key the requesting authority sent with a request (to seal with
``hanoix evidence pack --to``) and sends the sealed package back for that request; the
requesting side lists what came back for a request and copies a package out to verify and
open it. Each command acts as a user of the node (``--as USERNAME`` or ``HANOIX_USER``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hanoix.cli.app import AsOption, JsonOption, acting_user, open_node
from hanoix.cli.output import report

exchange_app = typer.Typer(
    no_args_is_help=True,
)

Reference = Annotated[str, typer.Argument(help="The request's reference, e.g. AUT-2026-000123.")]


@exchange_app.command("evidence-key")
def evidence_key(
    ctx: typer.Context,
    reference: Reference,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the .pub file.")],
    username: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the encryption key the requesting authority sent with REFERENCE (requested side):
    seal what you return to it with 'hanoix evidence pack --to FILE'."""
    from hanoix.evidence import keys as keyfiles
    from hanoix.evidence.errors import OutputError
    from hanoix.services import exchange
    from hanoix.store.files import atomic_file

    with open_node(ctx) as node:
        user = acting_user(node, username)
        key = exchange.requesting_authority_key(node, user, reference)
    if out.exists():
        raise OutputError(f"{out} exists already; choose a new file name")
    with atomic_file(out) as handle:
        handle.write(keyfiles.dump_public(key).encode("utf-8"))
    result = {
        "reference": reference,
        "file": str(out),
        "key_id": key.key_id,
        "authority": key.authority,
        "state": key.state,
    }
    report(
        result,
        as_json,
        lambda console: console.print(
            f"wrote {out}: key {key.key_id} of {key.authority or '?'} ({key.state or '?'})",
            markup=False,
        ),
    )


@exchange_app.command("send-evidence")
def send_evidence(
    ctx: typer.Context,
    reference: Reference,
    package: Annotated[Path, typer.Argument(help="The sealed package (made with --request).")],
    username: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send PACKAGE to the requesting State's node as the evidence returned for REFERENCE."""
    from hanoix.services import exchange

    with open_node(ctx) as node:
        user = acting_user(node, username)
        sent = exchange.send_evidence(node, user, reference, package)
    report(
        sent,
        as_json,
        lambda console: console.print(
            f"queued package {sent.package_id} for {sent.recipient} (envelope "
            f"{sent.envelope_id}); the node's worker sends it",
            markup=False,
        ),
    )


@exchange_app.command("received")
def received(
    ctx: typer.Context,
    reference: Reference,
    username: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the packages received (verified on arrival) for REFERENCE."""
    from hanoix.services import exchange

    with open_node(ctx) as node:
        user = acting_user(node, username)
        found = exchange.received_evidence(node, user, reference)

    def render(console: Console) -> None:
        if not found:
            console.print(f"no package received for {reference} yet", markup=False)
        for item in found:
            console.print(
                f"{item.package_id}  {item.size} bytes  from {item.sender}  "
                f"{item.as_dict()['received_at']}",
                markup=False,
            )

    report([item.as_dict() for item in found], as_json, render)


@exchange_app.command("export")
def export(
    ctx: typer.Context,
    reference: Reference,
    package_id: Annotated[str, typer.Argument(help="The package id ('received' lists them).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the package.")],
    username: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Copy a package received for REFERENCE to a file, to verify and open it with
    'hanoix evidence verify/open'."""
    from hanoix.services import exchange

    with open_node(ctx) as node:
        user = acting_user(node, username)
        item = exchange.export_evidence(node, user, reference, package_id, out)
    report(
        {**item.as_dict(), "file": str(out)},
        as_json,
        lambda console: console.print(f"wrote {out} ({item.size} bytes)", markup=False),
    )
