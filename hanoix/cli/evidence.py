"""``hanoix evidence``: seal, verify, open evidence packages and export their provenance.

Used standalone the commands need no node; with ``--home`` or ``HANOIX_HOME`` each sealing,
verification and opening is also recorded as a custody event in that node's ledger.
"""

from __future__ import annotations

import getpass
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from hanoix.cli.app import JsonOption, state
from hanoix.cli.keys import PassphraseStdinOption, configured_hsm, read_passphrase
from hanoix.cli.output import human, report, to_json, transfer_progress
from hanoix.clock import SystemClock
from hanoix.evidence.errors import PackageVerificationError
from hanoix.evidence.format import DEFAULT_CHUNK_SIZE, format_time
from hanoix.evidence.keys import DecryptionKey, KeyKind, PublicKey, SigningKey
from hanoix.evidence.verify import PackageReport
from hanoix.services import evidence
from hanoix.store.files import atomic_file

if TYPE_CHECKING:
    # The database layer is loaded only when a command runs against a node.
    from hanoix.services.node import Node

evidence_app = typer.Typer(no_args_is_help=True)

# A bar for what takes long enough to watch on a terminal; where nobody watches (a pipe, a
# log), no bar, but one line with the size and the speed once a large input is done. The bar
# would print only its final state there anyway, after loading rich's live display and
# running its refresh thread beside the work: 15 ms to 20 ms before the first chunk.
_BAR_ON_TERMINAL = 16 * 1024 * 1024
_LINE_IN_LOGS = 1024 * 1024 * 1024
_BINARY_UNITS = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]

SenderKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--sender-key",
        help="The sender's published signing.pub: the package must be signed by this key.",
    ),
]
ProgressOption = Annotated[
    bool,
    typer.Option(
        "--progress/--no-progress",
        help="Show a progress bar on a terminal (16 MiB or more); elsewhere, the size and "
        "speed on one line when done (1 GiB or more).",
    ),
]


@contextmanager
def _progress(label: str, total: int, wanted: bool) -> Iterator[Callable[[int], None] | None]:
    if wanted and human.is_terminal and total >= _BAR_ON_TERMINAL:
        with _bar(label, total) as tick:
            yield tick
    elif wanted and not human.is_terminal and total >= _LINE_IN_LOGS:
        with _line_when_done(label) as tick:
            yield tick
    else:
        yield None


@contextmanager
def _bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    with transfer_progress(label) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


@contextmanager
def _line_when_done(label: str) -> Iterator[Callable[[int], None]]:
    done = 0

    def tick(n: int) -> None:
        nonlocal done  # one thread calls it: a pipeline's last stage, or verify's loop
        done += n

    started = time.monotonic()
    yield tick
    elapsed = max(time.monotonic() - started, 1e-6)
    human.print(
        f"{label} {_binary_size(done)} in {elapsed:.1f} s ({_binary_size(done / elapsed)}/s)",
        markup=False,
        highlight=False,
    )


def _binary_size(size: float) -> str:
    from rich.filesize import pick_unit_and_suffix

    unit, suffix = pick_unit_and_suffix(int(size), _BINARY_UNITS, 1024)
    return f"{size / unit:.1f} {suffix}"


def _node(ctx: typer.Context) -> Node | None:
    """The node when one was named (--home / HANOIX_HOME); standalone otherwise."""
    cli_state = state(ctx)
    if not cli_state.home_given:
        return None
    from hanoix.services.node import Node

    node = Node.open(cli_state.settings)
    node.prepare()
    return node


def _actor(node: Node | None, authority: str | None) -> evidence.Actor | None:
    if node is None:
        return None
    fallback = node.settings.origin or node.settings.state or "local"
    return evidence.Actor(getpass.getuser(), authority or fallback)


def _signing_key(ctx: typer.Context, path: Path, stdin: bool) -> SigningKey:
    return evidence.load_signing_key(
        path,
        ask=lambda: read_passphrase(stdin, purpose=f"--sign-key {path}"),
        hsm=configured_hsm(ctx),
    )


def _decryption_key(ctx: typer.Context, path: Path, stdin: bool) -> DecryptionKey:
    return evidence.load_decryption_key(
        path, ask=lambda: read_passphrase(stdin, purpose=f"--key {path}"), hsm=configured_hsm(ctx)
    )


def _sender(path: Path | None) -> PublicKey | None:
    if path is None:
        return None
    return evidence.load_public_key(path, KeyKind.SIGNING, "--sender-key")


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _describe(report_: PackageReport, out: Console) -> None:
    data = report_.as_dict()
    signer = report_.signer
    if signer is not None:
        out.print(f"  signed by {signer.describe()} at {data['created']}", markup=False)
    if report_.recipients:
        names = ", ".join(r.describe() for r in report_.recipients)
        out.print(f"  for {names}", markup=False)
    if data["request"]:
        out.print(f"  answering request {data['request']}", markup=False)
    if data["files"] is not None:
        out.print(
            f"  {data['files']} files, {data['bytes']} bytes in {data['chunks']} chunks",
            markup=False,
        )


@evidence_app.command("pack")
def pack(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files and folders to seal.")],
    sign_key: Annotated[Path, typer.Option("--sign-key", help="Your authority's signing.key.")],
    to: Annotated[
        list[Path], typer.Option("--to", help="A recipient's encryption.pub (repeatable).")
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="The package file to write.")],
    request: Annotated[
        str | None, typer.Option("--request", help="Reference of the request this answers.")
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="A note for the recipients (encrypted).")
    ] = None,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", help="Chunk size in bytes (a power of two).")
    ] = DEFAULT_CHUNK_SIZE,
    passphrase_stdin: PassphraseStdinOption = False,
    progress: ProgressOption = True,
    as_json: JsonOption = False,
) -> None:
    """Seal files and folders into one signed, encrypted evidence package."""
    signer = _signing_key(ctx, sign_key, passphrase_stdin)
    recipients = [evidence.load_public_key(p, KeyKind.ENCRYPTION, "--to") for p in to]
    sources = evidence.collect_sources(paths)
    node = _node(ctx)
    total = sum(s.size or 0 for s in sources)
    with _progress("sealing", total, progress) as tick:
        sealed = evidence.seal_files(
            sources,
            out,
            signer=signer,
            recipients=recipients,
            clock=node.clock if node else SystemClock(),
            request=request,
            note=note,
            chunk_size=chunk_size,
            progress=tick,
            node=node,
            actor=_actor(node, signer.authority),
        )
    result = {
        "package": str(out),
        "package_id": sealed.package_id,
        "signer": signer.public.key_id,
        "recipients": [r.key_id for r in recipients],
        "request": request,
        "created": format_time(sealed.header.created),
        "files": sealed.summary.files,
        "bytes": sealed.summary.plaintext_bytes,
        "chunks": sealed.summary.chunks,
        "package_bytes": sealed.size,
    }
    report(
        result,
        as_json,
        lambda console: console.print(
            f"sealed {sealed.summary.files} files ({sealed.summary.plaintext_bytes} bytes) "
            f"into {out}\n  package {sealed.package_id}",
            markup=False,
        ),
    )


def _verify_result(report_: PackageReport | None, problems: list[dict[str, Any]]) -> dict[str, Any]:
    data = report_.as_dict() if report_ is not None else {}
    return {
        "verified": not problems,
        "package_id": data.get("package_id"),
        "signer": data.get("signer"),
        "recipients": data.get("recipients", []),
        "request": data.get("request"),
        "created": data.get("created"),
        "files": data.get("files"),
        "bytes": data.get("bytes"),
        "chunks": data.get("chunks"),
        "package_bytes": data.get("package_bytes"),
        "problems": problems,
    }


def _report_failure(package: Path, failure: PackageVerificationError, as_json: bool) -> None:
    result = _verify_result(failure.report, [p.as_dict() for p in failure.problems])

    def render(out: Console) -> None:
        out.print(f"[bold red]NOT VERIFIED[/] {package}: {failure.message}")
        if failure.report is not None:
            _describe(failure.report, out)
        for problem in failure.problems[1:]:
            out.print(f"  - {problem.message}", markup=False)

    report(result, as_json, render)
    if as_json:  # the one-line answer for people, as the central handler gives for errors
        human.print(f"error: {failure.message}", markup=False)


@evidence_app.command("verify")
def verify_command(
    ctx: typer.Context,
    package: Annotated[Path, typer.Argument(help="The package file.")],
    sender_key: SenderKeyOption = None,
    progress: ProgressOption = True,
    as_json: JsonOption = False,
) -> None:
    """Verify a package without any private key: signature, structure, every chunk."""
    sender = _sender(sender_key)
    node = _node(ctx)
    with _progress("verifying", _file_size(package), progress) as tick:
        try:
            verified = evidence.verify_file(
                package, sender=sender, progress=tick, node=node, actor=_actor(node, None)
            )
        except PackageVerificationError as failure:
            _report_failure(package, failure, as_json)
            raise typer.Exit(1) from failure
    result = _verify_result(verified.report, [])

    def render(out: Console) -> None:
        out.print(f"[bold green]verified[/] {package}: package {verified.package_id}")
        _describe(verified.report, out)

    report(result, as_json, render)


@evidence_app.command("open")
def open_command(
    ctx: typer.Context,
    package: Annotated[Path, typer.Argument(help="The package file.")],
    key: Annotated[Path, typer.Option("--key", help="Your authority's encryption.key.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder to put the files in.")],
    sender_key: SenderKeyOption = None,
    passphrase_stdin: PassphraseStdinOption = False,
    progress: ProgressOption = True,
    as_json: JsonOption = False,
) -> None:
    """Decrypt a package, check every file's digest, and only then put the files in place."""
    private = _decryption_key(ctx, key, passphrase_stdin)
    sender = _sender(sender_key)
    node = _node(ctx)
    with _progress("opening", _file_size(package), progress) as tick:
        opened = evidence.open_file(
            package,
            private,
            out,
            sender=sender,
            progress=tick,
            node=node,
            actor=_actor(node, private.authority),
        )
    result = {
        "opened": True,
        "directory": str(out),
        **_verify_result(opened.report, []),
        "note": opened.manifest.note,
        "files": [f.as_json() for f in opened.manifest.files],
    }

    def render(out_: Console) -> None:
        out_.print(
            f"opened {len(opened.manifest.files)} files into {out} "
            f"(package {opened.package_id}; every digest checked)",
            markup=False,
        )
        _describe(opened.report, out_)
        if opened.manifest.note:
            out_.print(f"  note: {opened.manifest.note}", markup=False)

    report(result, as_json, render)


class ProvenanceFormat(StrEnum):
    CASE_UCO = "case-uco"


@evidence_app.command("provenance")
def provenance(
    ctx: typer.Context,
    package: Annotated[Path, typer.Argument(help="The package file.")],
    format_: Annotated[
        ProvenanceFormat, typer.Option("--format", help="Output vocabulary.")
    ] = ProvenanceFormat.CASE_UCO,
    key: Annotated[
        Path | None,
        typer.Option("--key", help="A recipient's encryption.key: adds each file and digest."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Write the JSON-LD here (else stdout).")
    ] = None,
    sender_key: SenderKeyOption = None,
    passphrase_stdin: PassphraseStdinOption = False,
) -> None:
    """The package's provenance as a CASE/UCO JSON-LD graph (verified first)."""
    private = _decryption_key(ctx, key, passphrase_stdin) if key is not None else None
    sender = _sender(sender_key)
    graph = evidence.provenance_file(package, key=private, sender=sender, node=_node(ctx))
    text = to_json(graph) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    with atomic_file(out, overwrite=True) as handle:
        handle.write(text.encode("utf-8"))
    human.print(f"provenance of {package} written to {out} ({format_.value})", markup=False)
