"""``hanoix letter``: request letters a requesting State sent (docs/letters.md).

``letter verify FILE`` runs every check of a letter and reports each: the embedded document
against the QR code's digest, the PAdES signature, nothing changed after signing, the signer
against this node's directory of nodes, the certificate's validity, and the requesting node's
custody ledger record of the issue (from ``--proof``, else asked of that node unless
``--offline``). Exit 0 when all that ran hold, 1 naming what failed, 2 when the file is not a
letter. ``letter proof FILE``, on the requesting node, writes that record and its proof for a
verifier who cannot reach the node. Issuing and importing letters are ``hanoix request letter``
and ``hanoix request import-letter``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from hanoix import inputs
from hanoix.cli.app import JsonOption, open_node
from hanoix.cli.output import report

if TYPE_CHECKING:
    from hanoix.letters.proof import LetterProof
    from hanoix.services.letters import LetterVerification

letter_app = typer.Typer(no_args_is_help=True)


ProofOption = Annotated[
    Path | None,
    typer.Option(
        "--proof",
        help="The record of the letter's issue in the requesting node's custody ledger, "
        "with its proof ('hanoix letter proof LETTER.pdf' on that node).",
    ),
]
OfflineOption = Annotated[
    bool,
    typer.Option(
        "--offline",
        help="Do not ask the requesting node for the record of the issue (without "
        "--proof, the ledger is then not checked).",
    ),
]


def read_proof(proof_file: Path | None) -> LetterProof | None:
    """The letter proof in ``proof_file``, if one is given."""
    from hanoix.letters.proof import LetterProof

    if proof_file is None:
        return None
    text = inputs.read_input(proof_file, "letter proof")
    return LetterProof.from_dict(inputs.load_json(text, str(proof_file)))


def print_checks(console: Console, checked: LetterVerification) -> None:
    """One line a check: ``ok``, ``FAIL`` or ``skip`` (not run), its name and detail."""
    for check in checked.checks:
        mark = "skip" if not check.run else "ok  " if check.holds else "FAIL"
        console.print(f"{mark} {check.name}: {check.detail}", markup=False)


@letter_app.command("verify")
def verify(
    ctx: typer.Context,
    letter_file: Annotated[Path, typer.Argument(help="The letter (PDF).")],
    proof_file: ProofOption = None,
    offline: OfflineOption = False,
    as_json: JsonOption = False,
) -> None:
    """Check a letter: exit 0 when every check that ran holds, 1 naming each that fails."""
    from hanoix.letters.reading import MAX_LETTER_BYTES
    from hanoix.services import letters

    data = inputs.read_input(letter_file, "letter", limit=MAX_LETTER_BYTES)
    proof = read_proof(proof_file)
    with open_node(ctx) as node:
        checked = letters.verify(node, data, proof, fetch=not offline)

    def render(console: Console) -> None:
        print_checks(console, checked)
        verdict = "verified" if checked.verified else "NOT verified"
        console.print(f"letter {checked.reference} of {checked.authority}: {verdict}", markup=False)

    report(checked.as_dict(), as_json, render)
    if not checked.verified:
        raise typer.Exit(1)


@letter_app.command("proof")
def proof(
    ctx: typer.Context,
    letter_file: Annotated[Path, typer.Argument(help="A letter this node issued (PDF).")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the proof here (default: standard output)."),
    ] = None,
) -> None:
    """The record of a letter's issue in this node's custody ledger, with its inclusion proof,
    for 'hanoix letter verify --proof' where this node cannot be reached."""
    from hanoix.letters.reading import MAX_LETTER_BYTES
    from hanoix.services import letters
    from hanoix.store.files import atomic_file

    data = inputs.read_input(letter_file, "letter", limit=MAX_LETTER_BYTES)
    with open_node(ctx) as node:
        found = letters.proof_of(node, data)
    text = json.dumps(found.as_dict(), indent=2, sort_keys=True) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    with atomic_file(output) as handle:
        handle.write(text.encode("utf-8"))
    Console(stderr=True).print(
        f"the record of entry {found.inclusion.index} in the checkpoint of size "
        f"{found.inclusion.tree_size} written to {output}",
        markup=False,
    )
