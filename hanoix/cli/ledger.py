"""``hanoix ledger``: the custody ledger: append, checkpoint, prove, verify, export.

Exit codes: 0 success; 1 the ledger or a proof does not verify (tampering, a bad signature, a
split view); 2 bad input (a malformed event file, an index past the end, a size smaller than an
index), with nothing appended.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import rfc8785
import typer
from rich.console import Console

from hanoix import inputs
from hanoix.cli.app import JsonOption, open_node, state
from hanoix.cli.output import human, report, to_json
from hanoix.errors import ConfigurationError, FileFormatError, InputError, UsageError, excerpt
from hanoix.ledger.checkpoint import NoteVerifier
from hanoix.ledger.errors import MalformedEntryError, MalformedProofError
from hanoix.ledger.events import load_events
from hanoix.ledger.proofs import ConsistencyProof, InclusionProof
from hanoix.services import custody

ledger_app = typer.Typer(
    no_args_is_help=True,
)


@contextmanager
def _ledger(ctx: typer.Context, *, create: bool = False) -> Iterator[custody.CustodyLedger]:
    settings = state(ctx).settings
    if not create and settings.database_url is None and not (settings.home / "hanoix.db").is_file():
        # Checked before opening: opening SQLite would create an empty file at a wrong --home.
        raise ConfigurationError(
            f"no node at {settings.home}: run 'hanoix --home {settings.home} init' first, "
            "or give the right --home"
        )
    with open_node(ctx, create=create) as node:
        yield custody.CustodyLedger(node)


def _read_file(path: Path, what: str = "file") -> bytes:
    # Entries are at most 64 KiB each and proofs a few KiB: 16 MiB holds any batch.
    return inputs.read_input(path, what)


def _lines(out: Console, *lines: str) -> None:
    for line in lines:
        out.print(line, markup=False)


@ledger_app.command("append")
def append_command(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="A JSON custody event {kind, actor, authority, at, subject, details}, or a "
            "JSON array of them (appended together or not at all).",
            show_default=False,
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Append custody events from a JSON file."""
    events = load_events(_read_file(file), source=str(file))
    with _ledger(ctx, create=True) as ledger:
        result = ledger.append(events)
    value = {
        "entries": [
            {"index": index, "leaf_hash": leaf.hex()}
            for index, leaf in zip(result.indices, result.leaf_hashes, strict=True)
        ],
        "tree_size": result.tree_size,
        "root_hash": result.root_hash.hex(),
    }
    report(
        value,
        as_json,
        lambda out: _lines(
            out,
            *(
                f"appended entry {i} (leaf {leaf.hex()})"
                for i, leaf in zip(result.indices, result.leaf_hashes, strict=True)
            ),
            f"tree size {result.tree_size}, root {result.root_hash.hex()}",
        ),
    )


@ledger_app.command("checkpoint")
def checkpoint_command(
    ctx: typer.Context,
    size: Annotated[
        int | None,
        typer.Option("--size", help="Sign the tree of this size (default: the whole log).", min=0),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Sign (or show) the checkpoint of the log: C2SP tlog-checkpoint signed-note format."""
    with _ledger(ctx) as ledger:
        signed = ledger.checkpoint(size)
        vkey = ledger.verifier.vkey
    value = {**signed.as_dict(), "vkey": vkey}
    if as_json:
        report(value, True, lambda out: None)
        return
    # The note itself, byte for byte, on stdout: transparency tools read it from a pipe
    # (`hanoix ledger checkpoint > checkpoint`); what a person needs to check it goes to stderr.
    sys.stdout.write(signed.note)
    sys.stdout.flush()
    _lines(
        human,
        f"checkpoint of {signed.origin} at tree size {signed.size}; verify it with the key",
        vkey,
    )


@ledger_app.command("key")
def key_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The log's public key (vkey) and the node's witness key: what verifiers need."""
    with _ledger(ctx) as ledger:
        value = {
            "origin": ledger.origin,
            "vkey": ledger.verifier.vkey,
            "witness_vkey": ledger.witness_verifier.vkey,
        }
    report(value, as_json, lambda out: _lines(out, value["vkey"], value["witness_vkey"]))


@ledger_app.command("prove")
def prove_command(
    ctx: typer.Context,
    index: Annotated[int, typer.Option("--index", help="The entry to prove.", show_default=False)],
    size: Annotated[
        int | None,
        typer.Option("--size", help="The tree size to prove it in (default: the whole log)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Inclusion proof of entry INDEX in the tree of SIZE, with its signed checkpoint."""
    with _ledger(ctx) as ledger:
        proof = ledger.prove_inclusion(index, size)
    report(
        proof.as_dict(),
        as_json,
        lambda out: _lines(
            out,
            f"entry {proof.index} (leaf {proof.leaf_hash.hex()}) is in the tree of size "
            f"{proof.tree_size} with root {proof.root_hash.hex()}",
            *(f"  {value.hex()}" for value in proof.audit_path),
        ),
    )


@ledger_app.command("consistency")
def consistency_command(
    ctx: typer.Context,
    from_size: Annotated[
        int, typer.Option("--from", help="The older tree size.", show_default=False)
    ],
    to_size: Annotated[
        int | None,
        typer.Option("--to", help="The newer tree size (default: the whole log)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Consistency proof that the tree of size FROM is a prefix of the tree of size TO."""
    with _ledger(ctx) as ledger:
        proof = ledger.prove_consistency(from_size, to_size)
    report(
        proof.as_dict(),
        as_json,
        lambda out: _lines(
            out,
            f"the tree of size {proof.from_size} ({proof.from_root.hex()}) is a prefix of the "
            f"tree of size {proof.to_size} ({proof.to_root.hex()})",
            *(f"  {value.hex()}" for value in proof.consistency_path),
        ),
    )


@ledger_app.command("verify")
def verify_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Recompute the whole log and check it against every checkpoint it signed (exit 1 if not)."""
    with _ledger(ctx) as ledger:
        result = ledger.verify()
    report(
        result.as_dict(),
        as_json,
        lambda out: _lines(
            out,
            f"ledger {result.origin} verified: {result.entries} entries, "
            f"{result.nodes_checked} tree nodes, {result.checkpoints_checked} checkpoints; "
            f"root {result.root_hash.hex()}",
        ),
    )


@ledger_app.command("export")
def export_command(
    ctx: typer.Context,
    start: Annotated[int, typer.Option("--start", help="First index.", min=0)] = 0,
    stop: Annotated[
        int | None, typer.Option("--stop", help="Stop before this index (default: the end).")
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            "--subject",
            help="Only the entries about NAME=VALUE: package=sha256:... (a chain of custody) "
            "or request=AUT-2026-0042 (a request's history).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The entries in order, as JSON (streamed) or one line each."""
    with _ledger(ctx) as ledger:
        if subject is None:
            entries: Iterable[custody.LedgerEntry] = ledger.entries(start, stop)
        else:
            name, equals, value = subject.partition("=")
            if not (name and equals and value):
                raise UsageError("--subject takes NAME=VALUE, e.g. package=sha256:...")
            entries = [
                entry
                for entry in ledger.history(name, value)
                if entry.index >= start and (stop is None or entry.index < stop)
            ]
        if as_json:
            out = sys.stdout
            out.write("[")
            for number, entry in enumerate(entries):
                out.write(("," if number else "") + "\n  " + to_json(entry.as_dict(), indent=None))
            out.write("\n]\n")
            out.flush()
            return
        for entry in entries:
            sys.stderr.write(
                f"{entry.index}\t{entry.leaf_hash.hex()}\t{entry.entry.decode('utf-8')}\n"
            )


@ledger_app.command("disclose")
def disclose_command(
    ctx: typer.Context,
    reference: Annotated[
        str, typer.Argument(help="The request's reference, e.g. AUT-2026-000042.")
    ],
    as_json: JsonOption = False,
) -> None:
    """One request's ledger key, for a court: with it the court ties that request's entries
    to it, offline, and learns nothing of any other request (see docs/ledger.md)."""
    from hanoix.requests import RequestReference

    canonical = str(RequestReference.parse(reference))
    with _ledger(ctx) as ledger:
        disclosure = custody.disclose_request_key(ledger.node, canonical)

    def render(out: Any) -> None:
        out.print(f"request      {disclosure.reference}", markup=False)
        out.print(f"pseudonym    {disclosure.pseudonym}", markup=False)
        out.print(f"request key  {disclosure.request_key.hex()}", markup=False)

    report(disclosure.as_dict(), as_json, render)


@ledger_app.command("check-proof")
def check_proof_command(
    proof_file: Annotated[
        Path,
        typer.Argument(
            help="A proof as 'ledger prove --json' or 'ledger consistency --json' writes it.",
            show_default=False,
        ),
    ],
    key: Annotated[
        str,
        typer.Option("--key", help="The log's verifier key (vkey).", show_default=False),
    ],
    entry: Annotated[
        Path | None,
        typer.Option("--entry", help="The entry's JSON: check the inclusion proof is about it."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a proof offline, with nothing but the log's public key (exit 1 if it fails)."""
    verifier = NoteVerifier.from_vkey(key)
    data = _load_json(proof_file)
    value: dict[str, Any]
    if isinstance(data, dict) and "audit_path" in data:
        inclusion = InclusionProof.from_dict(data)
        entry_bytes = None if entry is None else _canonical_entry(entry)
        checkpoint = inclusion.verify(verifier, entry=entry_bytes)
        value = {
            "verified": True,
            "kind": "inclusion",
            "origin": checkpoint.origin,
            "index": inclusion.index,
            "tree_size": inclusion.tree_size,
            "entry_checked": entry_bytes is not None,
        }
        text = (
            f"verified: entry {inclusion.index} is in the tree of size {inclusion.tree_size} "
            f"signed by {checkpoint.origin}"
        )
    else:
        consistency = ConsistencyProof.from_dict(data)
        if entry is not None:
            raise InputError("--entry goes with an inclusion proof, not a consistency proof")
        first, second = consistency.verify(verifier)
        value = {
            "verified": True,
            "kind": "consistency",
            "origin": first.origin,
            "from_size": first.size,
            "to_size": second.size,
        }
        text = (
            f"verified: the tree of size {first.size} is a prefix of the tree of size "
            f"{second.size} signed by {first.origin}"
        )
    report(value, as_json, lambda out: _lines(out, text))


def _load_json(path: Path) -> Any:
    try:
        return inputs.load_json(_read_file(path, "proof"), str(path))
    except FileFormatError as exc:
        raise MalformedProofError(exc.message) from None


def _canonical_entry(path: Path) -> bytes:
    """The entry's leaf bytes: its RFC 8785 form, whatever the file's spacing or key order."""
    try:
        return bytes(rfc8785.dumps(inputs.load_json(_read_file(path, "entry"), str(path))))
    except FileFormatError as exc:
        raise MalformedEntryError(exc.message) from None
    except rfc8785.CanonicalizationError as exc:
        raise MalformedEntryError(f"{path} is not a JSON entry: {excerpt(str(exc))}") from None
