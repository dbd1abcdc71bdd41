"""``hanoix keys``: an authority's key sets for evidence packages."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from hanoix.cli.app import JsonOption
from hanoix.cli.output import report
from hanoix.evidence.errors import KeyFileError
from hanoix.services import evidence

keys_app = typer.Typer(
    no_args_is_help=True,
)

PASSPHRASE_ENV = "HANOIX_KEY_PASSPHRASE"  # noqa: S105 - a variable name, not a secret

PassphraseStdinOption = Annotated[
    bool,
    typer.Option(
        "--passphrase-stdin",
        help=f"Read the key's passphrase from standard input (else ${PASSPHRASE_ENV}, "
        "else a prompt on a terminal).",
    ),
]


def read_passphrase(from_stdin: bool, *, purpose: str, confirm: bool = False) -> bytes:
    """The passphrase from stdin, the environment, or an interactive prompt, in that order."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise KeyFileError("--passphrase-stdin: standard input gave no passphrase")
        return line.encode("utf-8")
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV].encode("utf-8")
    if not sys.stdin.isatty():
        raise KeyFileError(
            f"{purpose} needs a passphrase: give --passphrase-stdin or set {PASSPHRASE_ENV}"
        )
    first = getpass.getpass(f"passphrase for {purpose}: ")
    if confirm and getpass.getpass("repeat the passphrase: ") != first:
        raise KeyFileError("the two passphrases differ")
    if not first:
        raise KeyFileError("the passphrase is empty")
    return first.encode("utf-8")


@keys_app.command("new")
def keys_new(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for signing.key/.pub and encryption.key/.pub.")
    ],
    authority: Annotated[
        str | None, typer.Option(help="The authority's name, written in the public keys.")
    ] = None,
    state_code: Annotated[
        str | None, typer.Option("--state", help="ISO 3166-1 alpha-3 code of its State.")
    ] = None,
    protect: Annotated[
        bool,
        typer.Option("--protect", help="Encrypt the private keys under a passphrase (scrypt)."),
    ] = False,
    passphrase_stdin: PassphraseStdinOption = False,
    as_json: JsonOption = False,
) -> None:
    """Make an authority's key set: signing (Ed25519) and encryption (X25519) key pairs."""
    passphrase = None
    if protect or passphrase_stdin:
        passphrase = read_passphrase(passphrase_stdin, purpose="the new keys", confirm=True)
    result = evidence.write_key_set(
        out,
        authority=authority,
        state=state_code.upper() if state_code else None,
        passphrase=passphrase,
    )
    report(
        result,
        as_json,
        lambda console: console.print(
            f"keys written to {out}: signing {result['signing_key_id']}, "
            f"encryption {result['encryption_key_id']}"
            + (" (passphrase-protected)" if passphrase else "")
            + "\npublish signing.pub and encryption.pub; keep the .key files secret",
            markup=False,
        ),
    )
