"""``hanoix letter``: request letters a requesting State sent (docs/letters.md).

``letter verify FILE`` runs every check of a letter and reports each: the embedded document
against the QR code's digest, the PAdES signature, nothing changed after signing, the signer
against this node's directory of nodes, the certificate's validity. Exit 0 when all hold, 1
naming what failed, 2 when the file is not a letter. Issuing and importing letters are
``hanoix request letter`` and ``hanoix request import-letter``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hanoix import inputs
from hanoix.cli.app import JsonOption, open_node
from hanoix.cli.output import report

letter_app = typer.Typer(no_args_is_help=True)


@letter_app.command("verify")
def verify(
    ctx: typer.Context,
    letter_file: Annotated[Path, typer.Argument(help="The letter (PDF).")],
    proof_file: Annotated[
        Path | None,
        typer.Option(
            "--proof",
            help="The inclusion proof of the letter's custody entry, from the requesting node "
            "('hanoix ledger prove --index N --size S --json', N and S from the QR code).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a letter: exit 0 when every check holds, 1 naming each that fails."""
    from hanoix.ledger.proofs import InclusionProof
    from hanoix.letters.reading import MAX_LETTER_BYTES
    from hanoix.services import letters

    data = inputs.read_input(letter_file, "letter", limit=MAX_LETTER_BYTES)
    proof = None
    if proof_file is not None:
        text = inputs.read_input(proof_file, "inclusion proof")
        proof = InclusionProof.from_dict(inputs.load_json(text, str(proof_file)))
    with open_node(ctx) as node:
        checked = letters.verify(node, data, proof)

    def render(console: Console) -> None:
        for check in checked.checks:
            mark = "ok  " if check.holds else "FAIL"
            console.print(f"{mark} {check.name}: {check.detail}", markup=False)
        verdict = "verified" if checked.verified else "NOT verified"
        console.print(f"letter {checked.reference} of {checked.authority}: {verdict}", markup=False)

    report(checked.as_dict(), as_json, render)
    if not checked.verified:
        raise typer.Exit(1)
