"""``hanoix backup``: back up a running node, check a backup, restore one (docs/operations.md)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hanoix.cli.app import JsonOption, open_node, state
from hanoix.cli.output import human, report, transfer_progress
from hanoix.errors import UsageError

if TYPE_CHECKING:
    from rich.progress import Progress

    from hanoix.evidence.keys import DecryptionKey

backup_app = typer.Typer(no_args_is_help=True)

PassphraseFileOption = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help="A file whose first line is the backup's passphrase (else a prompt on a terminal).",
        show_default=False,
    ),
]


KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="Open the backup with a recipient's private key (X25519, as 'hanoix keys new' "
        "makes; its own passphrase from $HANOIX_KEY_PASSPHRASE or a prompt).",
        show_default=False,
    ),
]


def _key(path: Path | None) -> DecryptionKey | None:
    if path is None:
        return None
    from hanoix.cli.keys import read_passphrase
    from hanoix.services.evidence import load_decryption_key

    return load_decryption_key(path, ask=lambda: read_passphrase(False, purpose=f"--key {path}"))


def _passphrase(path: Path | None, *, confirm: bool = False, required: bool = True) -> bytes | None:
    if path is not None:
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"--passphrase-file {path}: {exc.strerror}") from None
        line = text.splitlines()[0] if text.strip() else b""
        if not line:
            raise UsageError(f"--passphrase-file {path} is empty; write the passphrase in it")
        return line
    if not required:
        return None
    if not sys.stdin.isatty():
        raise UsageError(
            "give the backup's passphrase with --passphrase-file FILE (or, to create one, a "
            "recipient's public key with --to; to open one, its private key with --key)"
        )
    first = getpass.getpass("backup passphrase: ")
    if confirm and getpass.getpass("repeat the passphrase: ") != first:
        raise UsageError("the two passphrases differ")
    if not first:
        raise UsageError("the passphrase is empty")
    return first.encode("utf-8")


class _Bar:
    """The services' progress, as a rich progress bar on a terminal (nothing elsewhere)."""

    def __init__(self, bar: Progress | None) -> None:
        self.bar = bar
        self.task: Any = None

    def stage(self, title: str, total: int | None) -> None:
        if self.bar is None:
            return
        if self.task is not None:
            self.bar.update(self.task, completed=self.bar.tasks[-1].total or 0, visible=False)
        self.task = self.bar.add_task(title, total=total)

    def advance(self, done: int) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task, done)


@contextmanager
def _progress() -> Iterator[_Bar]:
    if not human.is_terminal:
        yield _Bar(None)
        return
    with transfer_progress("{task.description}", transient=True) as bar:
        yield _Bar(bar)


def _packages(count: int) -> str:
    return f"{count} evidence package" + ("" if count == 1 else "s")


def _size(size: int) -> str:
    from rich.filesize import decimal

    return decimal(size)


@backup_app.command("create")
def create(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("-o", "--out", help="The backup file to write (never overwritten).")
    ],
    passphrase_file: PassphraseFileOption = None,
    to: Annotated[
        list[Path] | None,
        typer.Option(
            "--to",
            help="Encrypt the keys to this recipient's public key too (X25519 .pub file; "
            "repeatable). With --to alone no passphrase is asked: this machine cannot open "
            "the backups it makes.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Back up the node while it serves.

    The database at one instant, the evidence packages it names (sealed, as stored), and the
    keys and configuration, encrypted under the passphrase."""
    from hanoix.services.backup import create_backup

    if out.is_dir():
        raise UsageError(f"-o {out} is a folder; name the backup file to write")
    if not out.parent.is_dir():
        raise UsageError(f"-o {out}: the folder {out.parent} does not exist")
    from hanoix.evidence.keys import KeyKind
    from hanoix.services.evidence import load_public_key

    recipients = [load_public_key(path, KeyKind.ENCRYPTION, "--to") for path in to or []]
    passphrase = _passphrase(passphrase_file, confirm=True, required=not recipients)
    with open_node(ctx, create=False) as node, _progress() as bar:
        summary = create_backup(node, out, passphrase, recipients=recipients, progress=bar)
    report(
        summary,
        as_json,
        lambda console: console.print(
            f"backup of {summary['node']['origin']} written to {summary['path']} "
            f"({_size(summary['size'])}: {summary['database']} database at "
            f"{summary['schema']}, {_packages(summary['packages'])}, "
            f"{summary['key_files']} key files)",
            markup=False,
        ),
    )


@backup_app.command("verify")
def verify(
    backup: Annotated[Path, typer.Argument(help="The backup file to check.")],
    passphrase_file: PassphraseFileOption = None,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a backup without restoring it (exit 1 if it does not check out).

    Whole, and every member as its manifest lists it; with the passphrase, also unaltered
    since it was made, and openable."""
    from hanoix.services.backup import verify_backup

    passphrase = _passphrase(passphrase_file, required=False)
    private = _key(key)
    with _progress() as bar:
        summary = verify_backup(backup, passphrase, key=private, progress=bar)

    def render(console: Any) -> None:
        console.print(
            f"backup {backup} is whole: {summary['members']} members, "
            f"{_size(summary['bytes'])}, of {(summary['node'] or {}).get('origin')} "
            f"taken {summary['created']}",
            markup=False,
        )
        if not summary["authenticated"]:
            console.print(
                "  not checked: that nobody altered it, and that it opens (give "
                "--passphrase-file, or --key)",
                markup=False,
            )

    report(summary, as_json, render)


@backup_app.command("restore")
def restore(
    ctx: typer.Context,
    backup: Annotated[Path, typer.Argument(help="The backup file to restore.")],
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="The empty (or new) folder to restore the node's home into.",
            show_default=False,
        ),
    ] = None,
    passphrase_file: PassphraseFileOption = None,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Bring a node back from a backup into an empty home.

    On PostgreSQL, into an empty database too. Nothing is written unless the whole backup
    checks out."""
    from hanoix.services.backup import restore_backup

    cli = state(ctx)
    target = home if home is not None else (cli.home if cli.home_given else None)
    if target is None:
        raise UsageError("say where to restore the node: --home DIR (an empty or new folder)")
    private = _key(key)
    passphrase = _passphrase(passphrase_file, required=private is None)
    with _progress() as bar:
        summary = restore_backup(backup, target, passphrase, key=private, progress=bar)
    report(
        summary,
        as_json,
        lambda console: console.print(
            f"node {summary['node']['origin']} restored into {summary['home']} "
            f"(backup of {summary['created']}, {_packages(summary['packages'])}); "
            f"next: {summary['next']}",
            markup=False,
        ),
    )
