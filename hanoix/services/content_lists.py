"""Hash lists shared between States: publish, import, withdraw (docs/content.md, "Shared lists").

Two message types, registered with the federation's handler registry:

* ``content.list``: an authority's signed list (:mod:`hanoix.content.lists`), or one part of a
  list too large for one envelope, sent to the nodes its user chose. The receiver checks the
  signature against the key its directory lists for the publishing node (not revoked, not
  expired), then imports the list in the inbox transaction: a list refused leaves nothing
  behind. A part is kept until every part of its serial has come, and the list is imported,
  whole, with the last one.
* ``content.withdrawal`` (urgent: it goes ahead of ordinary traffic, so it lands within the
  worker's poll interval): hashes withdrawn from a list, sent to every node the list was
  published to. A withdrawn hash matches nowhere.

Each use case is one unit of work with its custody event. The victim's reference and every
other fact of a case stay on the node: a list carries hashes, an article, an authority, times.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from hanoix.content import cases as rules
from hanoix.content.formats import (
    VOTES,
    ListFormat,
    Vote,
    read_ncmec,
    read_stopncii,
    read_te_file,
    write_ncmec,
    write_stopncii,
    write_te_file,
)
from hanoix.content.lists import (
    HashList,
    IncompleteListError,
    ListedHash,
    SignedList,
    WithdrawalReason,
    WithdrawnHash,
    assemble,
    check_quality,
    dump_document,
    list_name,
    oversized,
    read_document,
    read_file,
    read_withdrawals,
    sign_parts,
)
from hanoix.content.signals import VPDQ
from hanoix.content.video import VideoFrame
from hanoix.errors import (
    ConflictError,
    FileFormatError,
    InputError,
    NotFoundError,
    VerificationError,
)
from hanoix.evidence.keys import KeyKind, SigningKey
from hanoix.federation import codec
from hanoix.federation.directory import NodeEntry
from hanoix.federation.envelope import OpenedEnvelope
from hanoix.federation.errors import EnvelopeRejectedError, Reason
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.logs import get_logger
from hanoix.requests import User
from hanoix.services import custody
from hanoix.services.content import node_policy
from hanoix.services.federation import Message, registry
from hanoix.services.node import Node
from hanoix.store import content as store

_log = get_logger("hanoix.content")

LIST_MESSAGE = "content.list"
WITHDRAWAL_MESSAGE = "content.withdrawal"


def _event(
    node: Node,
    session: Session,
    kind: EventKind,
    actor: str,
    authority: str,
    name: str,
    details: dict[str, Any],
) -> None:
    custody.record(
        session,
        CustodyEvent(
            kind=kind,
            actor=actor,
            authority=authority,
            at=node.clock.now(),
            subject={"content_list": name},
            details=details,
        ),
        clock=node.clock,
    )


def _own_state(node: Node) -> str:
    state = node.settings.state
    if not state:
        raise InputError("this node has no State set (hanoix.toml 'state'): it cannot publish")
    return state


# --- publishing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """A list published: its name, serial, how many entries, in how many parts, to which
    nodes, and the entries left out (too large for a part: a video of many hours)."""

    name: str
    serial: int
    entries: int
    withdrawn: int
    recipients: tuple[tuple[str, str], ...]  # (State, node origin)
    parts: int = 1
    left_out: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "list": self.name,
            "serial": self.serial,
            "entries": self.entries,
            "withdrawn": self.withdrawn,
            "parts": self.parts,
            "left_out": list(self.left_out),
            "to": [{"state": s, "node": o} for s, o in self.recipients],
        }


def _recipients(node: Node, session: Session, states: Sequence[str]) -> list[NodeEntry]:
    """The directory's node of each State in ``states``; every State without one is named."""
    federation = node.federation
    directory = federation.require_directory(session)
    own = federation.identity(session).origin
    wanted = sorted({s.strip().upper() for s in states if s.strip()})
    if not wanted:
        raise InputError("name the States to publish the list to: --to AUT,VNM")
    found: list[NodeEntry] = []
    missing: list[str] = []
    for state in wanted:
        nodes = [n for n in directory.nodes if n.state == state and n.origin != own]
        if nodes:
            found.append(nodes[0])
        else:
            missing.append(state)
    if missing:
        raise InputError(
            f"the directory (serial {directory.serial}) lists no other node for "
            f"{', '.join(missing)}: check the State codes (ISO 3166-1 alpha-3)"
        )
    return found


def _budget(node: Node, part_bytes: int | None) -> int:
    return node.settings.content_list_part_bytes if part_bytes is None else part_bytes


def _fitted(hash_list: HashList, budget: int) -> tuple[HashList, tuple[str, ...]]:
    """``hash_list`` without the entries too large for a part, and why each was left out (its
    digests still travel: only the video's frames are too many)."""
    big = oversized(hash_list, budget)
    if not big:
        return hash_list, ()
    keys = {e.key for e in big}
    why = tuple(
        f"{e.signal} {e.value[:16]}...: {len(e.frames)} frames, more than a part of {budget} "
        "bytes carries; left out of the list (its SHA-256 and MD5 are in it)"
        for e in big
    )
    kept = [e for e in hash_list.entries if e.key not in keys]
    return hash_list.with_entries(kept, hash_list.withdrawn), why


def publish(
    node: Node, user: User, states: Sequence[str], *, part_bytes: int | None = None
) -> Published:
    """Sign the list of ``user``'s authority and send it to the nodes of ``states``: in one
    envelope, or in numbered parts of at most ``part_bytes`` (the node's
    ``content_list_part_bytes``) that each receiver imports only once it has them all."""
    authority = rules.authority_of_case_worker(user)
    state = _own_state(node)
    name = list_name(state, authority)
    now = node.clock.now()
    budget = _budget(node, part_bytes)
    with node.unit_of_work() as session:
        federation = node.federation
        recipients = _recipients(node, session, states)
        whole, signer = _own_list(node, session, authority)
        hash_list, left_out = _fitted(whole, budget)
        documents = sign_parts(hash_list, signer, budget)
        federation.enqueue_many(
            session,
            [
                Message(entry.origin, LIST_MESSAGE, document)
                for entry in recipients
                for document in documents
            ],
        )
        for entry in recipients:
            store.record_share(session, name, entry.origin, entry.state, hash_list.serial, now)
        published = Published(
            name,
            hash_list.serial,
            len(hash_list.entries),
            len(hash_list.withdrawn),
            tuple((e.state, e.origin) for e in recipients),
            len(documents),
            left_out,
        )
        _published(
            node, session, user, hash_list, signer, [e.origin for e in recipients], len(documents)
        )
    return published


#: Where a list written to a file is recorded among the nodes it went to: the file takes a
#: serial of its own (a node that imported it must not take a different list of the same serial
#: as a repeat), and no withdrawal message goes to it.
FILE_RECIPIENT = "file"


def export_signed(node: Node, user: User, *, part_bytes: int | None = None) -> list[dict[str, Any]]:
    """The signed list of ``user``'s authority as it stands, for a file, under the next
    serial: one document, or its parts (as they would travel)."""
    authority = rules.authority_of_case_worker(user)
    with node.unit_of_work() as session:
        whole, signer = _own_list(node, session, authority)
        budget = _budget(node, part_bytes)
        hash_list, _left_out = _fitted(whole, budget)
        documents = sign_parts(hash_list, signer, budget)
        store.record_share(
            session, hash_list.name, FILE_RECIPIENT, hash_list.state, hash_list.serial,
            hash_list.issued,
        )  # fmt: skip
        _published(node, session, user, hash_list, signer, [FILE_RECIPIENT], len(documents))
        return documents


def _published(
    node: Node,
    session: Session,
    user: User,
    hash_list: HashList,
    signer: SigningKey,
    to: list[str],
    parts: int,
) -> None:
    _event(
        node,
        session,
        EventKind.CONTENT_LIST_PUBLISHED,
        user.id,
        hash_list.authority,
        hash_list.name,
        {
            "serial": hash_list.serial,
            "entries": len(hash_list.entries),
            "withdrawn": len(hash_list.withdrawn),
            "parts": parts,
            "to": to,
            "key_id": signer.public.key_id,
        },
    )


def _own_list(node: Node, session: Session, authority: str) -> tuple[HashList, SigningKey]:
    """``authority``'s list as it stands, with the next serial, and the key to sign it."""
    state = _own_state(node)
    now = node.clock.now()
    federation = node.federation
    identity = federation.identity(session)
    listed, withdrawn = store.shareable(session, authority)
    serial = store.next_serial(session, list_name(state, authority))
    hash_list = HashList(
        identity.origin, state, authority, serial, now, tuple(listed), tuple(withdrawn)
    )
    return hash_list, identity.signing_key(federation.require_directory(session), now)


# --- importing -------------------------------------------------------------------------------


def verified(node: Node, session: Session, signed: SignedList) -> HashList:
    """The list, once its signer is checked against this node's directory. Steps:

    1. the directory lists the node named as the list's origin, for the list's State;
    2. that node serves the list's authority (when its entry names authorities);
    3. the key named is one of that node's signing keys, not revoked, not expired;
    4. the signature verifies with it.
    """
    hash_list = signed.hash_list
    directory = node.federation.require_directory(session)
    entry = directory.node(hash_list.origin)
    if entry is None or entry.state != hash_list.state:
        raise VerificationError(
            f"list {hash_list.name} step 1: signed by node {hash_list.origin!r}, which this "
            f"node's directory (serial {directory.serial}) does not list for {hash_list.state}: "
            "an unknown signer; nothing was imported"
        )
    if entry.authorities and all(a.code != hash_list.authority for a in entry.authorities):
        raise VerificationError(
            f"list {hash_list.name} step 2: {entry.origin} does not serve authority "
            f"{hash_list.authority!r} according to the directory; nothing was imported"
        )
    key = entry.find_key(KeyKind.SIGNING, signed.key_id)
    if key is None:
        raise VerificationError(
            f"list {hash_list.name} step 3: key {signed.key_id} is not a signing key of "
            f"{entry.origin} in the directory; nothing was imported"
        )
    problem = key.problem_at(node.clock.now())
    if problem is not None:
        raise VerificationError(f"list {hash_list.name} step 3: {problem}; nothing was imported")
    return signed.verify(key.public(entry.origin, entry.state))


@dataclass(frozen=True)
class ImportResult:
    """What importing a list did: the list, its serial, entries added and withdrawn, and the
    entries refused (each with why)."""

    name: str
    origin: str
    serial: int
    added: int
    withdrawn: int
    refused: tuple[str, ...]
    repeat: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "list": self.name,
            "origin": self.origin,
            "serial": self.serial,
            "added": self.added,
            "withdrawn": self.withdrawn,
            "refused": list(self.refused),
            "repeat": self.repeat,
        }


def _admit(node: Node, session: Session, hash_list: HashList) -> ImportResult | None:
    """Refuse a list this node may not take (its own, another node's under this name, older
    than the one held); a repeat of the serial held is answered as such, changing nothing."""
    if hash_list.origin == node.federation.identity(session).origin:
        raise InputError(
            f"list {hash_list.name} is this node's own: its hashes are in its cases "
            "already; nothing was imported"
        )
    held = store.held_origin(session, hash_list.name)
    if held is None:
        return None
    origin, serial = held
    if origin != hash_list.origin:
        raise VerificationError(
            f"list {hash_list.name} is held from node {origin}, not {hash_list.origin}: "
            "nothing was imported"
        )
    if hash_list.serial == serial:
        return ImportResult(hash_list.name, origin, serial, 0, 0, (), repeat=True)
    if hash_list.serial < serial:
        raise ConflictError(
            f"list {hash_list.name} serial {hash_list.serial} is older than serial {serial} "
            "held: nothing was imported"
        )
    return None


def import_signed(node: Node, session: Session, signed: SignedList, actor: str) -> ImportResult:
    """Verify ``signed`` (a list in one piece) and import it in the caller's unit of work (all
    of it, or nothing)."""
    return import_parts(node, session, [signed], actor)


def import_parts(
    node: Node, session: Session, parts: Sequence[SignedList], actor: str
) -> ImportResult:
    """Verify every part of a list, then import the list they make together, in the caller's
    unit of work: all of it, or nothing (a part missing or not agreeing:
    :class:`IncompleteListError`)."""
    if not parts:
        raise IncompleteListError("no part of the list was given")
    for signed in parts:
        verified(node, session, signed)
    admitted = _admit(node, session, parts[0].hash_list)
    if admitted is not None:
        return admitted
    # Even one document goes through assemble: a lone part of a list in parts is not a list.
    hash_list = assemble(parts)
    return _import_verified(node, session, hash_list, parts[0].key_id, actor, len(parts))


def _import_verified(
    node: Node, session: Session, hash_list: HashList, key_id: str, actor: str, parts: int
) -> ImportResult:
    least = node_policy(node).pdq_quality
    refused = [why for e in hash_list.entries if (why := check_quality(e, least)) is not None]
    taken = tuple(e for e in hash_list.entries if check_quality(e, least) is None)
    changed = store.import_list(
        session, hash_list.with_entries(taken, hash_list.withdrawn), key_id, node.clock.now()
    )
    store.drop_parts(session, hash_list.name, hash_list.serial)
    _event(
        node,
        session,
        EventKind.CONTENT_LIST_IMPORTED,
        actor,
        node.settings.state or "node",
        hash_list.name,
        {
            "origin": hash_list.origin,
            "serial": hash_list.serial,
            "key_id": key_id,
            "parts": parts,
            "added": changed.added,
            "withdrawn": changed.withdrawn,
            "refused": len(refused),
        },
    )
    return ImportResult(
        hash_list.name,
        hash_list.origin,
        hash_list.serial,
        changed.added,
        changed.withdrawn,
        tuple(refused),
    )


def receive_part(
    node: Node, session: Session, signed: SignedList, document: Any, actor: str
) -> ImportResult | None:
    """Keep a verified part of a list in parts; once every part of its serial is held, import
    the list (:func:`import_parts`) and answer what it did. None while parts are missing."""
    hash_list = verified(node, session, signed)
    admitted = _admit(node, session, hash_list)
    if admitted is not None:
        return admitted
    store.stage_part(
        session,
        hash_list.name,
        hash_list.origin,
        hash_list.serial,
        signed.part.number,
        signed.part.parts,
        json.dumps(document, ensure_ascii=False),
        node.clock.now(),
    )
    # Counted, not read: each part is up to content_list_part_bytes, and reading every part
    # held at each arrival cost the square of the parts.
    if store.staged_count(session, hash_list.name, hash_list.serial) < signed.part.parts:
        return None
    documents = store.staged_parts(session, hash_list.name, hash_list.serial)
    parts = [
        read_document(json.loads(text), f"list {hash_list.name} serial {hash_list.serial}")
        for text in documents
    ]
    return import_parts(node, session, parts, actor)


def import_file(node: Node, user: User, data: bytes, source: str) -> ImportResult:
    """Import a signed list from a file (``hanoix-hash-list/1``, or every part of a
    ``hanoix-hash-list/2`` list as a JSON array), checked as one that arrives over the
    network."""
    rules.authority_of_case_worker(user)
    parts = read_file(data, source)
    with node.unit_of_work() as session:
        return import_parts(node, session, parts, user.id)


def _bad(envelope: OpenedEnvelope, message: str) -> EnvelopeRejectedError:
    return EnvelopeRejectedError(Reason.BAD_PAYLOAD, message, envelope_id=envelope.id)


def _on_list(node: Node, session: Session, envelope: OpenedEnvelope) -> None:
    try:
        signed = read_document(envelope.payload, f"the list in envelope {envelope.id}")
    except FileFormatError as exc:
        raise _bad(envelope, exc.message) from None
    if signed.hash_list.origin != envelope.sender:
        raise _bad(
            envelope,
            f"{envelope.sender} sent a list published by {signed.hash_list.origin}: a node "
            "sends only its own lists",
        )
    result: ImportResult | None
    try:
        if signed.part.parts == 1:
            result = import_signed(node, session, signed, envelope.sender)
        else:
            result = receive_part(node, session, signed, envelope.payload, envelope.sender)
    except IncompleteListError as exc:
        raise _bad(envelope, exc.message) from None
    if result is None:
        _log.info(
            "content.list_part_kept",
            list=signed.hash_list.name,
            serial=signed.hash_list.serial,
            part=signed.part.number,
            parts=signed.part.parts,
        )
        return
    _log.info(
        "content.list_imported",
        list=result.name,
        serial=result.serial,
        parts=signed.part.parts,
        added=result.added,
        withdrawn=result.withdrawn,
        refused=len(result.refused),
    )


# --- withdrawing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Withdrawn:
    """What a withdrawal disabled: this node's entries (by case), imported entries (by list),
    and the nodes told."""

    value: str
    reason: WithdrawalReason
    local: tuple[tuple[str, str], ...]  # (case, signal)
    imported: tuple[tuple[str, str], ...]  # (list, signal)
    told: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "hash": self.value,
            "reason": self.reason.value,
            "cases": [{"case": c, "signal": s} for c, s in self.local],
            "lists": [{"list": n, "signal": s} for n, s in self.imported],
            "told": list(self.told),
        }


def withdraw(node: Node, user: User, value: str, reason: str) -> Withdrawn:
    """Withdraw hash ``value`` at once: from the cases of ``user``'s authority (and from every
    node its list was published to, by an urgent message), and from the lists this node
    imported (on this node only: the publishing State withdraws for everyone)."""
    authority = rules.authority_of_case_worker(user)
    value = value.strip().lower()
    if not value or len(value) > 128 or any(c not in "0123456789abcdef" for c in value):
        raise InputError(f"{value[:80]!r} is not a hash: give its hex digits (SHA-256, MD5, PDQ)")
    try:
        why = WithdrawalReason(reason)
    except ValueError:
        raise InputError(f"reason {reason!r}: give mistake, court-order or victim") from None
    now = node.clock.now()
    with node.unit_of_work() as session:
        local = store.withdraw_local(session, authority, value, why, now)
        imported = store.withdraw_imported(session, value, why, now)
        if not local and not imported:
            raise NotFoundError(
                f"no entry in force holds {value[:16]}...: neither a case of {authority} "
                "nor an imported list (already withdrawn, or never listed)"
            )
        told: list[str] = []
        if local:
            # A node without a State never published: its withdrawal stays here.
            name = list_name(node.settings.state or "node", authority)
            items = sorted({(signal, v) for _, signal, v in local})
            payload = {
                "list": name,
                "withdrawn": [WithdrawnHash(signal, v, now, why).as_dict() for signal, v in items],
            }
            for share in store.shares(session, name):
                if share.recipient == FILE_RECIPIENT:
                    continue  # whoever holds the file imports a newer one
                node.federation.enqueue(
                    session, Message(share.recipient, WITHDRAWAL_MESSAGE, payload, urgent=True)
                )
                told.append(share.recipient)
            _event(
                node,
                session,
                EventKind.CONTENT_WITHDRAWN,
                user.id,
                authority,
                name,
                {
                    "value": value,
                    "reason": why.value,
                    "cases": sorted({case for case, _, _ in local}),
                    "told": told,
                },
            )
        for name in sorted({n for n, _, _ in imported}):
            _event(
                node,
                session,
                EventKind.CONTENT_WITHDRAWN,
                user.id,
                authority,
                name,
                {"value": value, "reason": why.value, "here_only": True},
            )
    return Withdrawn(
        value,
        why,
        tuple((case, signal) for case, signal, _ in local),
        tuple((name, signal) for name, signal, _ in imported),
        tuple(told),
    )


def _on_withdrawal(node: Node, session: Session, envelope: OpenedEnvelope) -> None:
    payload = envelope.payload
    try:
        codec.members(payload, {"list", "withdrawn"}, set(), "payload")
        name = codec.text(payload, "list", max_length=80)
        items = read_withdrawals(payload["withdrawn"], f"the withdrawal in {envelope.id}")
    except (codec.FieldError, FileFormatError) as exc:
        raise _bad(envelope, str(exc)) from None
    entry = node.federation.require_directory(session).node(envelope.sender)
    state, _, authority = name.partition(":")
    if entry is None or entry.state != state or not authority:
        raise _bad(envelope, f"{envelope.sender} does not publish list {name!r}")
    held = store.held_origin(session, name)
    if held is not None and held[0] != envelope.sender:
        raise _bad(envelope, f"list {name} is held from {held[0]}, not {envelope.sender}")
    count = store.apply_withdrawal(
        session, name, envelope.sender, state, authority, items, node.clock.now()
    )
    _event(
        node,
        session,
        EventKind.CONTENT_WITHDRAWN,
        envelope.sender,
        node.settings.state or "node",
        name,
        {
            "values": [item.value for item in items],
            "reason": sorted({item.reason.value for item in items}),
            "withdrawn": count,
        },
    )
    _log.warning("content.withdrawal_received", list=name, withdrawn=count)


registry.register(
    LIST_MESSAGE,
    _on_list,
    description="a signed hash list of another State's authority (imported once verified)",
)
registry.register(
    WITHDRAWAL_MESSAGE,
    _on_withdrawal,
    urgent=True,
    description="hashes withdrawn from a list this node holds (they stop matching at once)",
)


# --- reading ---------------------------------------------------------------------------------


def show_lists(node: Node, user: User) -> dict[str, Any]:
    """The lists this node holds from other States, and where its own were published."""
    authority = rules.authority_of_case_worker(user)
    with node.reading() as session:
        held = [h.as_dict() for h in store.held_lists(session)]
        pending = [p.as_dict() for p in store.pending_lists(session)]
        own: dict[str, Any] | None = None
        if node.settings.state:
            name = list_name(node.settings.state, authority)
            listed, withdrawn = store.shareable(session, authority)
            own = {
                "list": name,
                "entries": len(listed),
                "withdrawn": len(withdrawn),
                "published_to": [
                    {"node": s.recipient, "state": s.state, "serial": s.serial, "at": s.shared_at}
                    for s in store.shares(session, name)
                ],
            }
    return {"own": own, "held": held, "incomplete": pending}


# --- the field's formats: threatexchange's local file, StopNCII ------------------------------


def export_list(node: Node, user: User, form: str) -> bytes:
    """``user``'s authority's list in format ``form`` (hanoix, te-file, stopncii)."""
    fmt = _format(form)
    if fmt is ListFormat.HANOIX:
        documents = export_signed(node, user)
        return dump_document(documents[0] if len(documents) == 1 else documents)
    # The field's formats carry no signature: they need neither a State nor a directory.
    authority = rules.authority_of_case_worker(user)
    with node.reading() as session:
        listed, withdrawn = store.shareable(session, authority)
    if fmt is ListFormat.TE_FILE:
        return write_te_file(listed)
    if fmt is ListFormat.NCMEC:
        return write_ncmec(listed, withdrawn, node.clock.now(), authority)
    return write_stopncii(listed, withdrawn, node.clock.now())


def _format(form: str) -> ListFormat:
    try:
        return ListFormat(form)
    except ValueError:
        raise InputError(
            f"format {form!r}: give {', '.join(f.value for f in ListFormat)}"
        ) from None


def import_any(
    node: Node,
    user: User,
    data: bytes,
    source: str,
    form: str,
    *,
    name: str | None = None,
    article: int | None = None,
) -> ImportResult:
    """Import a list file. A ``hanoix`` list is verified as one arriving over the network; a
    ``te-file``, ``stopncii`` or ``ncmec`` list is unsigned, so it is held as the acting
    authority's (named ``FORMAT:NAME``), each entry under ``article`` (16 for StopNCII, which
    holds adults' intimate images; 14 for NCMEC, which holds child sexual abuse material; to be
    given for a local file)."""
    fmt = _format(form)
    if fmt is ListFormat.HANOIX:
        return import_file(node, user, data, source)
    authority = rules.authority_of_case_worker(user)
    videos: dict[str, tuple[VideoFrame, ...]] = {}
    if fmt is ListFormat.TE_FILE:
        if article is None:
            raise InputError("a te-file list says no article: give --article 14 or 16")
        in_force, gone = read_te_file(data, source, videos), list[tuple[str, str]]()
    elif fmt is ListFormat.NCMEC:
        in_force, gone = read_ncmec(data, source)
        article = 14 if article is None else article
    else:
        records = read_stopncii(data, source)
        in_force, gone = list(records.in_force), list(records.withdrawn)
        article = 16 if article is None else article
    if article not in (14, 16):
        raise InputError(f"article {article}: a list holds Art. 14 or Art. 16 content")
    label = (name or Path(source).stem or "list").strip()
    if not label or len(label) > 60 or any(c in label for c in ":/ \t"):
        raise InputError("the list's name (--name) is 1-60 characters without ':', '/' or spaces")
    state = node.settings.state or ""  # held under this node: no State needed
    now = node.clock.now()
    with node.unit_of_work() as session:
        list_id = f"{fmt.value}:{label}"
        held = store.held_origin(session, list_id)
        hash_list = HashList(
            f"file:{authority}",
            state,
            authority,
            (held[1] if held else 0) + 1,
            now,
            tuple(
                ListedHash(s, v, None, article, now, videos.get(v, ()) if s == VPDQ else ())
                for s, v in dict.fromkeys(in_force)
            ),
            tuple(
                WithdrawnHash(s, v, now, WithdrawalReason.MISTAKE)
                for s, v in dict.fromkeys(gone)
                if (s, v) not in set(in_force)
            ),
        )
        changed = store.import_list(session, hash_list, None, now, name=list_id)
        _event(
            node,
            session,
            EventKind.CONTENT_LIST_IMPORTED,
            user.id,
            authority,
            list_id,
            {
                "format": fmt.value,
                "serial": hash_list.serial,
                "added": changed.added,
                "withdrawn": changed.withdrawn,
                "signed": False,
            },
        )
    return ImportResult(
        list_id, hash_list.origin, hash_list.serial, changed.added, changed.withdrawn, ()
    )


@dataclass(frozen=True)
class FeedbackResult:
    """Platform feedback recorded (one custody event each) and reports on hashes not held."""

    recorded: tuple[dict[str, Any], ...]
    unknown: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"recorded": list(self.recorded), "unknown": list(self.unknown)}


def record_feedback(
    node: Node, user: User, data: bytes, source: str, platform: str | None = None
) -> FeedbackResult:
    """Record a platform's report (StopNCII's ``CSPFeedbacks`` or ``hashFeedbacks``: blocked,
    not blocked...) on hashes this node lists or holds, as ``content.feedback`` custody events
    in one unit of work. Reports on hashes the node does not hold are named, not recorded."""
    authority = rules.authority_of_case_worker(user)
    reports = read_stopncii(data, source).feedback
    if not reports:
        raise InputError(f"{source} holds no platform feedback (CSPFeedbacks, hashFeedbacks)")
    given = [
        (
            report.value,
            {
                "signal": report.signal,
                "value": report.value,
                "verdict": report.verdict,
                "platform": (platform or report.source)[:200],
                "tags": list(report.tags),
            },
        )
        for report in reports
    ]
    return _record_reports(node, user, authority, given)


def _record_reports(
    node: Node, user: User, authority: str, reports: Sequence[tuple[str, dict[str, Any]]]
) -> FeedbackResult:
    """One ``content.feedback`` custody event for each report (``value``, details) and each
    list that holds its hash, in one unit of work; reports on hashes not held are named."""
    state = node.settings.state or "node"
    recorded: list[dict[str, Any]] = []
    unknown: list[str] = []
    with node.unit_of_work() as session:
        for value, details in reports:
            own, imported = store.holders(session, authority, value)
            names = ([list_name(state, authority)] if own else []) + imported
            if not names:
                unknown.append(value)
                continue
            for name in names:
                _event(node, session, EventKind.CONTENT_FEEDBACK, user.id, authority, name, details)
            recorded.append({**details, "lists": names})
    return FeedbackResult(tuple(recorded), tuple(unknown))


def record_votes(node: Node, user: User, platform: str, votes: Sequence[Vote]) -> FeedbackResult:
    """Record a platform's votes on listed hashes, as NCMEC's exchange has them (an upvote: the
    hash is what it says, threatexchange's positive opinion; a downvote, with its reason: a
    false positive), as ``content.feedback`` custody events as :func:`record_feedback` does;
    votes on hashes the node does not hold are named, not recorded."""
    authority = rules.authority_of_case_worker(user)
    platform = platform.strip()
    if not platform or len(platform) > 200:
        raise InputError("the platform that votes is named in 1-200 characters (--platform)")
    if not votes:
        raise InputError("no vote to record")
    given: list[tuple[str, dict[str, Any]]] = [
        (
            vote.value,
            {
                "signal": vote.signal,
                "value": vote.value,
                "verdict": vote.vote,
                "opinion": VOTES[vote.vote],
                "reason": vote.reason,
                "platform": platform,
                "exchange": "ncmec",
                "tags": [],
            },
        )
        for vote in votes
    ]
    return _record_reports(node, user, authority, given)
