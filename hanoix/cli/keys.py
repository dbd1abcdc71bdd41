"""``hanoix keys``: an authority's key sets for evidence packages."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hanoix.cli.app import JsonOption, state
from hanoix.cli.output import report
from hanoix.evidence.errors import KeyFileError
from hanoix.services import evidence

if TYPE_CHECKING:
    from hanoix.store.hsm import Hsm

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


# --- hanoix keys hsm: signing keys held in a hardware token ----------------------------------

hsm_app = typer.Typer(
    no_args_is_help=True,
    help="Keys in the State's HSM through PKCS#11 (settings hsm_module, hsm_pin_file): "
    "docs/hsm.md.",
)
keys_app.add_typer(hsm_app, name="hsm")

TokenOption = Annotated[str, typer.Option("--token", help="The token's label in the HSM.")]
LabelOption = Annotated[str, typer.Option("--label", help="The key's label in the token.")]


def configured_hsm(ctx: typer.Context) -> Hsm | None:
    """The HSM the node's settings name (``hsm_module``), or None."""
    from hanoix.services import hsm

    return hsm.configured(state(ctx).settings)


def _report_key(result: dict[str, Any], as_json: bool, what: str) -> None:
    report(
        result,
        as_json,
        lambda console: console.print(
            f"{what}: key {result['key_id']} labelled {result['label']!r} in token "
            f"{result['token']!r}; named by {', '.join(result['files'])}",
            markup=False,
        ),
    )


@hsm_app.command("generate")
def hsm_generate(
    ctx: typer.Context,
    token: TokenOption,
    label: LabelOption,
    out: Annotated[
        Path,
        typer.Option("--out", help="The key file to write (signing.key); its .pub goes beside."),
    ],
    authority: Annotated[
        str | None, typer.Option(help="The authority's name, written in the public key.")
    ] = None,
    state_code: Annotated[
        str | None, typer.Option("--state", help="ISO 3166-1 alpha-3 code of its State.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Make an Ed25519 signing key in the token (it never leaves it) and the file naming it."""
    from hanoix.services import hsm

    result = hsm.generate_key_file(
        configured_hsm(ctx),
        token,
        label,
        out,
        authority=authority,
        state=state_code.upper() if state_code else None,
    )
    _report_key(result, as_json, "made in the token")


@hsm_app.command("import")
def hsm_import(
    ctx: typer.Context,
    key_file: Annotated[
        Path, typer.Argument(help="The key file to copy into the token (unprotected).")
    ],
    token: TokenOption,
    label: LabelOption,
    out: Annotated[Path, typer.Option("--out", help="The key file to write, naming the key.")],
    as_json: JsonOption = False,
) -> None:
    """Copy an Ed25519 key into the token; then replace KEY_FILE by OUT and destroy it."""
    from hanoix.services import hsm

    result = hsm.import_key_file(configured_hsm(ctx), key_file, token, label, out)
    _report_key(result, as_json, "copied into the token")


@hsm_app.command("wrap")
def hsm_wrap(
    ctx: typer.Context,
    key_file: Annotated[
        Path, typer.Argument(help="An X25519 encryption.key to keep encrypted (unprotected).")
    ],
    token: TokenOption,
    label: Annotated[
        str, typer.Option("--label", help="The token's AES key to encrypt it under (made if new).")
    ],
    out: Annotated[Path, typer.Option("--out", help="The encrypted key file to write.")],
    as_json: JsonOption = False,
) -> None:
    """Encrypt an X25519 key under an AES key of the token; then replace KEY_FILE by OUT."""
    from hanoix.services import hsm

    result = hsm.seal_key_file(configured_hsm(ctx), key_file, token, label, out)
    _report_key(result, as_json, "encrypted under the token's key")


@hsm_app.command("node")
def hsm_node(
    ctx: typer.Context,
    which: Annotated[str, typer.Argument(help="ledger or witness.")],
    token: TokenOption,
    label: LabelOption,
    as_json: JsonOption = False,
) -> None:
    """Make this node's ledger or witness key in the token, before the node has one."""
    from hanoix.services import hsm

    result = hsm.generate_node_key(state(ctx).settings, which, token, label)
    _report_key(result, as_json, f"the node's {which} key")


@hsm_app.command("check")
def hsm_check(
    ctx: typer.Context,
    key_file: Annotated[Path, typer.Argument(help="A key file naming a key in the token.")],
    as_json: JsonOption = False,
) -> None:
    """Sign once through the token with the key KEY_FILE names, and say whether it can leave."""
    from hanoix.services import hsm

    result = hsm.check_key_file(configured_hsm(ctx), key_file)
    report(
        result,
        as_json,
        lambda console: console.print(
            f"key {result['key_id']} in token {result['token']!r} signs; sensitive: "
            f"{result['sensitive']}, extractable: {result['extractable']}",
            markup=False,
        ),
    )
