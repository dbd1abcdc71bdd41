"""``hanoix directory``, ``hanoix node`` and ``hanoix federation``: talking to other nodes.

* ``hanoix directory trust|import|export|show|sign``: the signed directory of nodes;
* ``hanoix node identity|rotate-keys|rotate-tls``: this node's entry for the directory, its
  keys, its TLS certificate;
* ``hanoix federation status|outbox|inbox|refusals|ack|retry|send|send-package`` (and
  ``worker``, which runs a process: :mod:`hanoix.runtime.federation_commands` adds it).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from hanoix import inputs
from hanoix.cli.app import AsOption, JsonOption, acting_user, state
from hanoix.cli.keys import PassphraseStdinOption, configured_hsm, read_passphrase
from hanoix.cli.output import report
from hanoix.errors import InputError, NotFoundError
from hanoix.evidence import keys as keyfiles
from hanoix.evidence.keys import KeyKind
from hanoix.federation import codec
from hanoix.federation.directory import Directory, parse_body, sign_directory
from hanoix.federation.settings import trust_file
from hanoix.services import evidence
from hanoix.services.federation import Federation, Message, inbox_view
from hanoix.services.node import Node
from hanoix.store import federation as store

directory_app = typer.Typer(
    no_args_is_help=True,
)
node_app = typer.Typer(no_args_is_help=True)
federation_app = typer.Typer(
    no_args_is_help=True,
)


def open_federation(ctx: typer.Context, log_level: str = "warning") -> Federation:
    """The federation of the node the root options chose, ready for a command."""
    from hanoix.logs import configure_logging

    settings = state(ctx).settings
    # Logs go to stderr (stdout is for JSON); commands show only warnings and worse.
    configure_logging(log_level, settings.log_json)
    node = Node.open(settings)
    node.prepare()
    return node.federation


def _read(path: Path, what: str) -> bytes:
    return inputs.read_input(path, what)


def _directory_summary(directory: Directory) -> dict[str, Any]:
    return {
        "serial": directory.serial,
        "issued": codec.format_time(directory.issued),
        "nodes": [
            {
                "origin": n.origin,
                "state": n.state,
                "base_url": n.base_url,
                "authorities": [a.as_dict() for a in n.authorities],
                "keys": [
                    {
                        "type": k.kind.value,
                        "key_id": k.key_id,
                        "not_before": codec.format_time(k.not_before),
                        "revoked": codec.format_time(k.revoked) if k.revoked else None,
                    }
                    for k in n.keys
                ],
                "tls_sha256": n.tls_sha256,
                "tls_next_sha256": n.tls_pins[1] if len(n.tls_pins) > 1 else None,
            }
            for n in directory.nodes
        ],
    }


def _render_directory(summary: dict[str, Any]) -> Any:
    def render(out: Any) -> None:
        out.print(f"directory serial {summary['serial']}, issued {summary['issued']}", markup=False)
        for n in summary["nodes"]:
            out.print(f"  {n['state']}  {n['origin']}  {n['base_url']}", markup=False)
            for k in n["keys"]:
                revoked = f"  REVOKED {k['revoked']}" if k["revoked"] else ""
                out.print(f"      {k['type']} {k['key_id']}{revoked}", markup=False)

    return render


# --- directory ------------------------------------------------------------------------------


@directory_app.command("trust")
def directory_trust(
    ctx: typer.Context,
    key: Annotated[Path, typer.Argument(help="The directory authority's signing.pub file.")],
    as_json: JsonOption = False,
) -> None:
    """Install the directory authority's public key as this node's trust anchor."""
    data = _read(key, "key file")
    public = keyfiles.parse_public(data, KeyKind.SIGNING, source=str(key), role="trust anchor")
    target = trust_file(state(ctx).settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(keyfiles.dump_public(public), "utf-8")
    result = {"trust_anchor": str(target), "key_id": public.key_id}
    report(
        result,
        as_json,
        lambda out: out.print(f"trusting directory key {public.key_id}", markup=False),
    )


@directory_app.command("import")
def directory_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A signed directory file (hanoix-directory/1).")],
    as_json: JsonOption = False,
) -> None:
    """Verify a directory against the trusted key and put it in force if it is newer."""
    directory = open_federation(ctx).import_directory(_read(file, "directory"))
    summary = _directory_summary(directory)
    report(summary, as_json, _render_directory(summary))


@directory_app.command("export")
def directory_export(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
) -> None:
    """Write the directory in force, exactly as signed."""
    data = open_federation(ctx).export_directory()
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out.write_bytes(data)


@directory_app.command("show")
def directory_show(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the directory in force: nodes, keys, revocations."""
    federation = open_federation(ctx)
    with federation.node.unit_of_work() as session:
        directory = federation.directory(session)
    if directory is None:
        raise NotFoundError("no directory imported yet: hanoix directory import FILE")
    summary = _directory_summary(directory)
    report(summary, as_json, _render_directory(summary))


@directory_app.command("sign")
def directory_sign(
    ctx: typer.Context,
    draft: Annotated[
        Path,
        typer.Argument(
            help='JSON {"serial": N, "nodes": [entry, ...]} (entries from '
            "'hanoix node identity --json'; 'issued' defaults to now)."
        ),
    ],
    key: Annotated[Path, typer.Option("--key", help="The directory authority's signing.key.")],
    out: Annotated[Path, typer.Option("--out", help="The signed directory file to write.")],
    passphrase_stdin: PassphraseStdinOption = False,
    as_json: JsonOption = False,
) -> None:
    """For the directory authority: sign a directory document."""
    try:
        body = inputs.load_json(_read(draft, "draft"), str(draft))
    except ValueError as exc:
        raise InputError(f"{draft} is not JSON: {exc}") from None
    if isinstance(body, dict) and "issued" not in body:
        from hanoix.clock import SystemClock

        body["issued"] = codec.format_time(SystemClock().now().replace(microsecond=0))
    directory = parse_body(body)
    passphrase = (
        read_passphrase(passphrase_stdin, purpose=f"--key {key}")
        if evidence.key_is_protected(key, "--key")
        else None
    )
    signer = evidence.load_signing_key(key, passphrase, role="--key", hsm=configured_hsm(ctx))
    out.write_bytes(sign_directory(directory, signer))
    result = {"out": str(out), "serial": directory.serial, "nodes": len(directory.nodes)}
    report(
        result,
        as_json,
        lambda o: o.print(f"signed directory serial {directory.serial} -> {out}", markup=False),
    )


# --- node -----------------------------------------------------------------------------------


@node_app.command("identity")
def node_identity(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """This node's directory entry (public keys, certificate, addresses) for the authority."""
    entry = open_federation(ctx).own_entry().as_dict()

    def render(out: Any) -> None:
        out.print(f"{entry['state']}  {entry['origin']}  {entry['base_url']}", markup=False)
        for k in entry["keys"]:
            out.print(f"  {k['type']} {k['key_id']}", markup=False)
        if "tls" in entry:
            out.print(f"  tls sha256 {entry['tls']['sha256']}", markup=False)
            if "next" in entry["tls"]:
                out.print(f"  tls next sha256 {entry['tls']['next']['sha256']}", markup=False)

    report(entry, as_json, render)


@node_app.command("rotate-keys")
def node_rotate(
    ctx: typer.Context,
    hsm_token: Annotated[
        str | None,
        typer.Option("--hsm-token", help="Make the signing key in this HSM token (docs/hsm.md)."),
    ] = None,
    hsm_label: Annotated[
        str | None, typer.Option("--hsm-label", help="The signing key's label in the token.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Make a new generation of node keys; it is used once the directory lists it."""
    if (hsm_token is None) != (hsm_label is None):
        raise InputError("--hsm-token and --hsm-label go together: give both, or neither")
    result = open_federation(ctx).rotate_keys(token=hsm_token, label=hsm_label)
    report(
        result,
        as_json,
        lambda out: out.print(
            f"key generation {result['generation']}: signing {result['signing_key_id']}, "
            f"encryption {result['encryption_key_id']}; {result['next_step']}",
            markup=False,
        ),
    )


@node_app.command("rotate-tls")
def node_rotate_tls(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Make the node's next TLS certificate; it is presented once the directory lists it."""
    result = open_federation(ctx).rotate_tls()
    report(
        result,
        as_json,
        lambda out: out.print(
            f"next TLS certificate sha256 {result['tls_next_sha256']}; {result['next_step']}",
            markup=False,
        ),
    )


# --- federation -----------------------------------------------------------------------------


@federation_app.command("status")
def federation_status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Directory serial, peers, and the outbox and inbox at a glance."""
    result = open_federation(ctx).status()

    def render(out: Any) -> None:
        out.print(
            f"{result['origin']}  directory serial {result['directory_serial']}", markup=False
        )
        out.print(
            f"  peers: {', '.join(p['origin'] for p in result['peers']) or 'none'}", markup=False
        )
        out.print(f"  outbox: {result['outbox']}", markup=False)
        out.print(f"  inbox: {result['inbox']}", markup=False)
        if result["split_views"]:
            out.print(f"  SPLIT VIEWS DETECTED: {result['split_views']}", markup=False)

    report(result, as_json, render)


@federation_app.command("outbox")
def federation_outbox(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, delivered or failed.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
    as_json: JsonOption = False,
) -> None:
    """Envelopes queued, delivered or failed (urgent first)."""
    if status is not None and status not in store.OUTBOX_STATES:
        raise InputError(f"--status must be one of {', '.join(store.OUTBOX_STATES)}")
    federation = open_federation(ctx)
    with federation.node.unit_of_work() as session:
        items = [i.as_dict() for i in store.list_outbox(session, status, limit)]

    def render(out: Any) -> None:
        for i in items:
            flag = "URGENT " if i["urgent"] else ""
            error = f"  ({i['last_error']})" if i["last_error"] else ""
            out.print(
                f"{i['envelope_id']}  {i['status']:9}  {flag}{i['type']} -> {i['recipient']}  "
                f"attempts {i['attempts']}{error}",
                markup=False,
            )

    report(items, as_json, render)


@federation_app.command("inbox")
def federation_inbox(
    ctx: typer.Context,
    all_messages: Annotated[bool, typer.Option("--all", help="Include acknowledged ones.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The 24/7 view: received messages not yet acknowledged, urgent ones first (those the
    user may see)."""
    federation = open_federation(ctx)
    node = federation.node
    items = [
        m.as_dict()
        for m in inbox_view(
            node, acting_user(node, as_user), pending_only=not all_messages, limit=limit
        )
    ]

    def render(out: Any) -> None:
        for m in items:
            flag = "URGENT " if m["urgent"] else ""
            out.print(
                f"{m['envelope_id']}  {flag}{m['type']} from {m['sender']}  {m['received_at']}",
                markup=False,
            )

    report(items, as_json, render)


@federation_app.command("refusals")
def federation_refusals(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Envelopes refused from senders nobody authenticated, and repeats: counts per sender and
    reason, with first and last seen (they are not in the ledger: docs/ledger.md)."""
    items = [r.as_dict() for r in open_federation(ctx).refusals()]

    def render(out: Any) -> None:
        if not items:
            out.print("no envelope refused without a ledger entry", markup=False)
        for r in items:
            out.print(
                f"{r['sender']}  {r['reason']}  {r['count']} times  "
                f"{r['first_seen']} .. {r['last_seen']}  ({r['last_detail'][:120]})",
                markup=False,
            )

    report(items, as_json, render)


@federation_app.command("ack")
def federation_ack(
    ctx: typer.Context,
    envelope_id: Annotated[str, typer.Argument(help="The envelope id of a received message.")],
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Acknowledge a received message on the 24/7 view (its handling authority's users)."""
    federation = open_federation(ctx)
    changed = federation.acknowledge(envelope_id, acting_user(federation.node, as_user))
    result = {"envelope_id": envelope_id, "changed": changed}
    report(result, as_json, lambda out: out.print(f"acknowledged {envelope_id}", markup=False))


@federation_app.command("retry")
def federation_retry(
    ctx: typer.Context,
    envelope_id: Annotated[str, typer.Argument(help="A failed envelope to queue again.")],
    as_json: JsonOption = False,
) -> None:
    """Queue a failed envelope again (after the cause was fixed)."""
    federation = open_federation(ctx)
    with federation.node.unit_of_work() as session:
        try:
            store.requeue(session, envelope_id, federation.node.clock.now())
        except LookupError:
            raise NotFoundError(f"no outbox envelope {envelope_id}") from None
    report(
        {"envelope_id": envelope_id}, as_json, lambda out: out.print("queued again", markup=False)
    )


@federation_app.command("send")
def federation_send(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="The recipient node's origin.")],
    text: Annotated[str | None, typer.Option("--text", help="A notice's text.")] = None,
    message_type: Annotated[
        str, typer.Option("--type", help="federation.notice or federation.ping")
    ] = "federation.notice",
    urgent: Annotated[
        bool, typer.Option("--urgent", help="Send ahead of everything else.")
    ] = False,
    in_reply_to: Annotated[str | None, typer.Option("--in-reply-to")] = None,
    ttl_hours: Annotated[float | None, typer.Option("--ttl-hours", min=0.01, max=720)] = None,
    as_json: JsonOption = False,
) -> None:
    """Queue a notice (or a ping) for another node."""
    if message_type not in {"federation.notice", "federation.ping"}:
        raise InputError("--type must be federation.notice or federation.ping here")
    if message_type == "federation.notice" and not text:
        raise InputError("a notice needs --text")
    payload = {"text": text} if message_type == "federation.notice" else {}
    federation = open_federation(ctx)
    with federation.node.unit_of_work() as session:
        sealed = federation.enqueue(
            session,
            Message(
                to,
                message_type,
                payload,
                in_reply_to=in_reply_to,
                urgent=urgent,
                ttl=timedelta(hours=ttl_hours) if ttl_hours else None,
            ),
        )
    result = {"envelope_id": sealed.header.id, "to": to, "type": message_type, "urgent": urgent}
    report(
        result, as_json, lambda out: out.print(f"queued {sealed.header.id} for {to}", markup=False)
    )


@federation_app.command("send-package")
def federation_send_package(
    ctx: typer.Context,
    package: Annotated[Path, typer.Argument(help="An evidence package file.")],
    to: Annotated[str, typer.Option("--to", help="The recipient node's origin.")],
    urgent: Annotated[bool, typer.Option("--urgent")] = False,
    in_reply_to: Annotated[str | None, typer.Option("--in-reply-to")] = None,
    as_json: JsonOption = False,
) -> None:
    """Queue an evidence package: verified here, sent in resumable chunks, verified there."""
    federation = open_federation(ctx)
    with federation.node.unit_of_work() as session:
        sealed = federation.send_package(
            session, to, package, in_reply_to=in_reply_to, urgent=urgent or None
        )
    result = {"envelope_id": sealed.header.id, "to": to, "package": str(package)}
    report(
        result,
        as_json,
        lambda out: out.print(f"queued package as {sealed.header.id}", markup=False),
    )
