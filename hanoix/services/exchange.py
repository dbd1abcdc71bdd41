"""Requests over federation: the two copies of a request kept in step between two nodes.

Three message types, each registered with the federation's handler registry:

* ``request.sent``: the requesting node sends it in the unit of work of the ``send`` step. The
  requested node registers its copy (``received``, actor ``STATE:federation``) and answers, in
  the same inbox transaction, with the ``receive`` step.
* ``request.step``: every later step taken on one side (acknowledge, execute, refuse,
  withdraw, close, extend a preservation, link a follow-up...) is sent to the other side,
  which records it with the counterpart as actor
  (:func:`hanoix.services.requests.record_counterpart_step`).
  Each carries ``seq``, the number of that side's network steps so far; a receiver applies
  exactly the next one, ignores one it already holds, and asks the sender to retry one that
  overtook its predecessor (no ordering is promised between envelopes).
* evidence: the requested side seals a package (to the requesting authority's encryption key,
  exchanged in ``request.sent``) and queues it with
  :meth:`~hanoix.services.federation.Federation.send_package`; the built-in
  ``evidence.package`` handler verifies it on arrival. Its envelope names the request, which is
  how the requesting side finds what was returned for a request (:func:`received_evidence`).

The counterpart is vouched for by the envelope: its signature was checked against the
directory, and the directory says which State and authorities the sending node serves.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from hanoix.convention.assistance import EXCULPATORY_DISCLOSURE
from hanoix.errors import InputError, NotFoundError, PermissionDeniedError
from hanoix.evidence import keys as keyfiles
from hanoix.evidence.keys import DecryptionKey, KeyKind, PublicKey
from hanoix.evidence.open import OpenedPackage
from hanoix.evidence.verify import VerifiedPackage
from hanoix.evidence.verify import verify as verify_package
from hanoix.federation import codec, request_wire
from hanoix.federation.directory import NodeEntry
from hanoix.federation.envelope import OpenedEnvelope
from hanoix.federation.errors import EnvelopeRejectedError, Reason
from hanoix.logs import get_logger
from hanoix.requests import (
    Action,
    Channel,
    CooperationRequest,
    Counterpart,
    IncomingRequest,
    IntendedUse,
    NodeActor,
    Party,
    Payload,
    RequestReference,
    Side,
    Status,
    UseAction,
    User,
    ValidationReport,
    authorise,
    not_found,
)
from hanoix.services import auth
from hanoix.services import requests as service
from hanoix.services.evidence import Actor, open_stream, verify_stream
from hanoix.services.federation import NOTICE, PACKAGE, Federation, Message, registry
from hanoix.services.node import Node
from hanoix.store import requests as request_store
from hanoix.store.federation import get_transfer, inbox_for_request, link_inbox_to_request
from hanoix.store.files import atomic_file

_log = get_logger("hanoix.exchange")

REQUEST_SENT = "request.sent"
REQUEST_STEP = "request.step"
#: The name of the node actor that registers requests arriving over the network.
FEDERATION_ACTOR = "federation"
#: Where an authority's evidence key set lives in a node's home (``hanoix keys new --out``).
AUTHORITY_KEYS = Path("keys") / "authorities"
MAX_NOTE = 4000


def authority_keys_dir(node: Node, code: str) -> Path:
    """The folder of authority ``code``'s evidence keys: ``HOME/keys/authorities/CODE``."""
    return node.settings.home / AUTHORITY_KEYS / code


# --- finding the other node ------------------------------------------------------------------


def _peer(federation: Federation, session: Session, state: str, authority: str) -> NodeEntry | None:
    """The directory's node for ``state``: the one serving ``authority`` if several do."""
    directory = federation.directory(session)
    if directory is None:
        return None
    own = federation.identity(session).origin
    candidates = [n for n in directory.nodes if n.state == state and n.origin != own]
    for entry in candidates:
        if any(a.code == authority for a in entry.authorities):
            return entry
    return candidates[0] if candidates else None


def _sender_entry(federation: Federation, session: Session, envelope: OpenedEnvelope) -> NodeEntry:
    entry = federation.require_directory(session).node(envelope.sender)
    if entry is None:  # the signature was checked against this directory; fail closed anyway
        raise _bad(envelope, f"the directory lists no node {envelope.sender!r}")
    return entry


def _vouched_authority(entry: NodeEntry, authority: str, envelope: OpenedEnvelope) -> str:
    """The sender speaks for ``authority`` only if the directory lists it for that node."""
    if entry.authorities and all(a.code != authority for a in entry.authorities):
        raise _bad(
            envelope,
            f"{entry.origin} does not serve authority {authority!r} according to the directory",
        )
    return authority


def _bad(envelope: OpenedEnvelope, message: str) -> EnvelopeRejectedError:
    return EnvelopeRejectedError(Reason.BAD_PAYLOAD, message, envelope_id=envelope.id)


# --- sending: hooked into the request use cases ----------------------------------------------


def _came_over_network(request: CooperationRequest) -> bool:
    first = request.history[0] if request.history else None
    return first is not None and first.actor == f"{request.requested.state}:{FEDERATION_ACTOR}"


def _network_seq(request: CooperationRequest, side: Side) -> int:
    """How many of ``side``'s steps on this copy travel (or travelled) over the network.

    On the requesting side, only the steps after ``send`` (the draft's life is local); on the
    requested side every step of its own, its registration standing for ``receive``. The
    other copy records them as ``side``'s steps: the two counts meet.
    """
    entries = list(request.history)
    if side is Side.REQUESTING and request.side is Side.REQUESTING:
        sent = [i for i, e in enumerate(entries) if e.action is Action.SEND]
        if not sent:
            return 0
        entries = entries[sent[0] + 1 :]
    return sum(1 for e in entries if e.side is side)


def subscribe(node: Node, events: service.RequestEvents) -> None:
    """Listen to ``node``'s requests: tell the other State's node of each step its users take,
    and carry the notices of exculpatory disclosures (composed in hanoix.services.registry)."""
    events.on_step(partial(_on_step, node))
    events.on_disclosure_notice(partial(_carry_notice, node))


def _on_step(node: Node, step: service.StepTaken) -> None:
    after_step(node, step.session, step.request, step.payload, step.note)


def _carry_notice(node: Node, notice: service.DisclosureNotice) -> bool:
    return notify_exculpatory_disclosure(node, notice.request, notice.proceeding)


def after_step(
    node: Node,
    session: Session,
    request: CooperationRequest,
    payload: Payload | None,
    note: str | None,
) -> None:
    """Queue, in the caller's unit of work, the message that tells the other State about the
    step just recorded on ``request`` (its last history entry), if the other State's node is
    in the directory and holds (or is about to hold) its copy. Hears of the steps this node's
    users take through :func:`subscribe`."""
    entry = request.history[-1]
    if entry.side is not request.side:
        return  # a counterpart's step, recorded here: never echoed back
    federation = node.federation
    counterpart = request.counterpart
    if request.side is Side.REQUESTING:
        if entry.action is Action.SEND:
            _send_request(federation, session, request, entry.at)
            return
        if not any(e.action is Action.SEND for e in request.history):
            return  # still a local draft
    elif not _came_over_network(request):
        return  # registered from paper: the answer goes back the way the request came
    peer = _peer(federation, session, counterpart.state, counterpart.authority)
    if peer is None:
        _log.info("exchange.no_peer", reference=str(request.reference), state=counterpart.state)
        return
    message = {
        "reference": str(request.reference),
        "action": entry.action.value,
        "seq": _network_seq(request, request.side),
        "side": request.side.value,
        "at": codec.format_time(entry.at),
        "authority": request.handled_by,
        "note": note,
        "payload": request_wire.encode_payload(payload),
    }
    federation.enqueue(session, Message(peer.origin, REQUEST_STEP, message, urgent=request.urgent))


def _send_request(
    federation: Federation, session: Session, request: CooperationRequest, at: datetime
) -> None:
    requested = request.requested
    peer = _peer(federation, session, requested.state, requested.authority)
    if peer is None:
        # No node of that State on the network: the request travels another way (paper,
        # diplomatic channel); its copy here still records the sending.
        _log.info(
            "exchange.not_on_network", reference=str(request.reference), state=requested.state
        )
        return
    key_file = authority_keys_dir(federation.node, request.handled_by) / "encryption.pub"
    evidence_key = key_file.read_text("utf-8") if key_file.is_file() else None
    payload = {
        "reference": str(request.reference),
        "sent_at": codec.format_time(at),
        "authority": request.handled_by,
        "document": request_wire.encode_request(request),
        "evidence_key": evidence_key,
    }
    federation.enqueue(session, Message(peer.origin, REQUEST_SENT, payload, urgent=request.urgent))


# --- receiving -------------------------------------------------------------------------------


def _local_authority(session: Session, state: str, named: str, channel: Channel) -> str:
    """The local authority that handles an arriving request: the one named if it is ours and
    of the kind the channel implies, else ours of that kind, else the one named if ours."""
    wanted = "contact-24-7" if channel is Channel.CONTACT_24_7 else "central-authority"
    ours = [a for a in auth.list_authorities(session) if a.state == state]
    for authority in ours:
        if authority.code == named and authority.kind == wanted:
            return authority.code
    for authority in ours:
        if authority.kind == wanted:
            return authority.code
    for authority in ours:
        if authority.code == named:
            return authority.code
    raise InputError(f"this node serves no authority of {state} to take a {channel.value} request")


def document_parties(document: Mapping[str, Any]) -> tuple[Party, Party, Channel]:
    """The requesting and requested parties and the channel of a request's wire document;
    InputError naming what is wrong."""
    try:
        requesting = request_wire.decode_party(document["requesting"])
        requested = request_wire.decode_party(document["requested"])
        return requesting, requested, Channel(document["channel"])
    except (KeyError, TypeError, ValueError, InputError) as exc:
        raise InputError(f"document: {exc}") from None


def incoming_from_document(
    own_state: str | None, reference: str, document: Mapping[str, Any], handled_by: str
) -> IncomingRequest:
    """This node's received copy of the request ``document`` (the wire format of
    ``request.sent``, which a request letter embeds too) for ``handled_by``: the checks of a
    request arriving over the network, which this node's State it must be addressed to and
    whose reference must be the requesting State's; InputError naming what fails."""
    parsed = RequestReference.parse(reference)
    requesting, requested, _channel = document_parties(document)
    if parsed.state != requesting.state:
        raise InputError(
            f"the reference {parsed} is not one of the requesting State {requesting.state}"
        )
    if own_state is None or requested.state != own_state:
        raise InputError(f"the request is addressed to {requested.state}, not this node")
    try:
        return request_wire.decode_request(parsed, document, handled_by)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"document: {exc}") from None


def _on_request_sent(node: Node, session: Session, envelope: OpenedEnvelope) -> None:
    payload = envelope.payload
    federation = node.federation
    try:
        codec.members(
            payload,
            {"reference", "sent_at", "authority", "document", "evidence_key"},
            set(),
            "payload",
        )
        reference = RequestReference.parse(codec.text(payload, "reference", max_length=40))
        codec.time(payload, "sent_at")
        authority = codec.text(payload, "authority", max_length=64)
        document = payload["document"]
        if not isinstance(document, dict):
            raise codec.FieldError("document", "must be an object")
        if payload["evidence_key"] is not None:
            keyfiles.parse_public(
                codec.text(payload, "evidence_key", max_length=4000, multiline=True).encode(),
                KeyKind.ENCRYPTION,
                source="request.sent evidence_key",
                role="evidence_key",
            )
    except (codec.FieldError, InputError) as exc:
        raise _bad(envelope, str(exc)) from None
    sender = _sender_entry(federation, session, envelope)
    own = federation.require_directory(session).node(envelope.header.recipient)
    own_state = own.state if own is not None else node.settings.state
    try:
        requesting, requested, channel = document_parties(document)
    except InputError as exc:
        raise _bad(envelope, exc.message) from None
    if requesting.state != sender.state or reference.state != sender.state:
        # A node speaks for its own State, and a reference is the requesting State's.
        raise _bad(
            envelope,
            f"{sender.origin} speaks for {sender.state}: it cannot send {reference} for "
            f"{requesting.state}",
        )
    _vouched_authority(sender, authority, envelope)
    if own_state is None or requested.state != own_state:
        raise _bad(envelope, f"the request is addressed to {requested.state}, not this node")
    link_inbox_to_request(session, envelope.id, str(reference))
    if request_store.load(session, str(reference)) is not None:
        return  # already registered (a re-send under a new envelope): no second copy
    handled_by = _local_authority(session, own_state, requested.authority, channel)
    try:
        incoming = incoming_from_document(own_state, str(reference), document, handled_by)
    except InputError as exc:
        raise _bad(envelope, exc.message) from None
    actor = NodeActor(own_state, FEDERATION_ACTOR)
    registered = service.register(node, actor, incoming, session=session)
    _log.warning(
        "exchange.request_received",
        reference=str(reference),
        sender=envelope.sender,
        urgent=registered.urgent,
        handled_by=handled_by,
    )
    # The requested State's receipt (``receive``), recorded on the requesting copy.
    answer = {
        "reference": str(reference),
        "action": Action.RECEIVE.value,
        "seq": _network_seq(registered, Side.REQUESTED),
        "side": Side.REQUESTED.value,
        "at": codec.format_time(registered.created_at),
        "authority": handled_by,
        "note": None,
        "payload": None,
    }
    federation.enqueue(
        session,
        Message(envelope.sender, REQUEST_STEP, answer, in_reply_to=envelope.id, urgent=False),
    )


def _on_request_step(node: Node, session: Session, envelope: OpenedEnvelope) -> None:
    payload = envelope.payload
    federation = node.federation
    try:
        codec.members(
            payload,
            {"reference", "action", "seq", "side", "at", "authority", "note", "payload"},
            set(),
            "payload",
        )
        reference = str(RequestReference.parse(codec.text(payload, "reference", max_length=40)))
        action = Action(codec.text(payload, "action", max_length=40))
        seq = codec.integer(payload, "seq", low=1, high=1_000_000)
        side = Side(codec.text(payload, "side", max_length=20))
        at = codec.time(payload, "at")
        authority = codec.text(payload, "authority", max_length=64)
        note = codec.optional_text(payload, "note", max_length=MAX_NOTE)
        step_payload = request_wire.decode_payload(payload["payload"])
    except (codec.FieldError, InputError, ValueError) as exc:
        raise _bad(envelope, str(exc)) from None
    sender = _sender_entry(federation, session, envelope)
    _vouched_authority(sender, authority, envelope)
    request = request_store.load(session, reference)
    if request is None or request.counterpart.state != sender.state or side is request.side:
        # A step may overtake the request itself (both on their way at once, or the request
        # sent again after a failed attempt): taken later, not lost. A request this node holds
        # but does not share with the sender gets the same answer as a missing one, so that
        # no peer learns which references exist; a step for a request that never comes is
        # retried until its envelope expires.
        raise EnvelopeRejectedError(
            Reason.TRANSFER_INCOMPLETE,
            f"{not_found(reference).message}: send the request (request.sent) first",
            envelope_id=envelope.id,
        )
    # The 24/7 view shows the step only to those who may see the request.
    link_inbox_to_request(session, envelope.id, reference)
    held = _network_seq(request, side)
    if seq <= held:
        return  # already recorded (exactly once per step, whatever the envelope)
    if seq > held + 1:
        # It overtook an earlier step still on its way; the sender tries again later.
        raise EnvelopeRejectedError(
            Reason.TRANSFER_INCOMPLETE,
            f"step {seq} of {reference} arrived before step {held + 1}: send that one first",
            envelope_id=envelope.id,
        )
    now = node.clock.now()
    try:
        service.record_counterpart_step(
            node,
            reference,
            action,
            Counterpart(sender.state, authority),
            at=min(at, now),
            payload=step_payload,
            note=note,
            session=session,
        )
    except request_store.StaleVersionError:
        # A local user changed this copy at the same moment: take the step again later.
        raise EnvelopeRejectedError(
            Reason.TRANSFER_INCOMPLETE,
            f"request {reference} changed while step {seq} was recorded: send it again",
            envelope_id=envelope.id,
        ) from None


registry.register(
    REQUEST_SENT,
    _on_request_sent,
    description="a cooperation request sent by the requesting State (registered as received)",
)
registry.register(
    REQUEST_STEP,
    _on_request_step,
    description="a step the other State took on a request both nodes hold",
)


def notify_exculpatory_disclosure(node: Node, request: CooperationRequest, proceeding: str) -> bool:
    """Queue the notice the requested State must have before an exculpatory disclosure (Art.
    40(19), EXCULPATORY_DISCLOSURE) as a notice to its node; False when it has none in the
    directory or the request did not travel over the network: the user gives it another way."""
    if not any(e.action is Action.SEND for e in request.history):
        return False
    counterpart = request.counterpart
    with node.unit_of_work() as session:
        federation = node.federation
        peer = _peer(federation, session, counterpart.state, counterpart.authority)
        if peer is None:
            return False
        provision = EXCULPATORY_DISCLOSURE
        text = (
            f"Under {provision.art}, {request.requesting.state} gives notice that it will disclose "
            f"in its proceeding {proceeding!r} information or evidence received for "
            f"{request.reference} that is exculpatory to an accused person. Ask if you wish "
            "to be consulted."
        )
        federation.enqueue(
            session,
            Message(
                peer.origin,
                NOTICE,
                {
                    "reference": str(request.reference),
                    "subject": f"Notice of an exculpatory disclosure ({provision.art})",
                    "text": text,
                },
                urgent=True,
            ),
        )
    return True


# --- evidence returned for a request ---------------------------------------------------------


def _requests_sent_to_us(session: Session, reference: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (row.sender, json.loads(row.payload))
        for row in inbox_for_request(session, reference, REQUEST_SENT)
    ]


def requesting_authority_key(node: Node, user: User, reference: str) -> PublicKey:
    """The encryption key the requesting authority gave with request ``reference``: what the
    requested side seals returned evidence to."""
    with node.unit_of_work() as session:
        request = request_store.load(session, reference)
        if request is None:
            raise not_found(reference)
        authorise(user, Action.READ_CONTENT, request)
        sent = _requests_sent_to_us(session, reference)
    for _, payload in reversed(sent):
        if payload.get("evidence_key"):
            return keyfiles.parse_public(
                str(payload["evidence_key"]).encode(),
                KeyKind.ENCRYPTION,
                source=f"the evidence key sent with {reference}",
                role="evidence_key",
            )
    raise NotFoundError(
        f"the requesting authority sent no evidence key with {reference}; ask it for its "
        "encryption.pub and seal with 'hanoix evidence pack --to FILE'"
    )


@dataclass(frozen=True)
class SentEvidence:
    """A package queued for the requesting State: what it is and the envelope announcing it."""

    reference: str
    package_id: str
    envelope_id: str
    recipient: str

    def as_dict(self) -> dict[str, str]:
        return {
            "reference": self.reference,
            "package_id": self.package_id,
            "envelope_id": self.envelope_id,
            "recipient": self.recipient,
        }


# Evidence is returned once execution has started: while it runs, in part, or at its end.
_RETURNABLE = frozenset({Status.IN_EXECUTION, Status.PARTIALLY_EXECUTED, Status.EXECUTED})


def _returnable(session: Session, user: User, reference: str) -> CooperationRequest:
    request = service.load_authorised(session, user, reference, Action.SEND_EVIDENCE)
    if request.status not in _RETURNABLE:
        raise PermissionDeniedError(
            f"request {reference} is '{request.status.value}': evidence is returned once "
            "execution has started"
        )
    return request


def check_may_return_evidence(node: Node, user: User, reference: str) -> None:
    """Raise unless ``user`` may return evidence for ``reference`` now (what
    :func:`send_evidence` checks), so that nothing is uploaded or sealed for nothing."""
    with node.reading() as session:
        _returnable(session, user, reference)


@dataclass(frozen=True)
class EvidenceActions:
    """What a user may do now with the evidence of a request, by the checks the steps
    themselves make: return evidence (:func:`send_evidence`'s), take a copy out and open a
    package (the role, side and authority :func:`hanoix.services.requests.check_intended_use`
    authorises). The conditions on use are not weighed here: they are checked, and the
    decision recorded, when a use is made."""

    return_evidence: bool
    export: bool
    open: bool


def _permitted(check: Callable[[], object]) -> bool:
    try:
        check()
    except PermissionDeniedError:
        return False
    return True


def evidence_actions(node: Node, user: User, reference: str) -> EvidenceActions:
    """The evidence actions ``user`` may take on ``reference`` now; a request they may not
    read answers as missing. Records nothing."""
    with node.reading() as session:
        request = service.load_authorised(session, user, reference, Action.READ_CONTENT)
        may_return = _permitted(partial(_returnable, session, user, reference))
    return EvidenceActions(
        return_evidence=may_return,
        export=_permitted(partial(authorise, user, Action.EXPORT_EVIDENCE, request)),
        open=_permitted(partial(authorise, user, Action.OPEN_EVIDENCE, request)),
    )


def send_evidence(node: Node, user: User, reference: str, package: Path) -> SentEvidence:
    """Send the evidence package ``package`` (sealed for request ``reference``) to the
    requesting State's node, as the requested side's ``user``, in one unit of work."""
    try:
        with package.open("rb") as handle:
            verified = verify_package(handle)
    except OSError as exc:
        raise InputError(f"cannot read the package {package}: {exc.strerror}") from None
    header_request = verified.header.request
    if header_request != reference:
        raise InputError(
            f"the package answers request {header_request or '(none)'}, not {reference}: seal it "
            f"with --request {reference}"
        )
    with node.unit_of_work() as session:
        request = _returnable(session, user, reference)
        senders = [s for s, _ in _requests_sent_to_us(session, reference)]
        federation = node.federation
        if senders:
            recipient = senders[-1]
        else:
            requesting = request.requesting
            peer = _peer(federation, session, requesting.state, requesting.authority)
            if peer is None:
                raise NotFoundError(
                    f"no node of {requesting.state} in the directory: hand the package over "
                    "another way"
                )
            recipient = peer.origin
        sealed = federation.send_package(session, recipient, package)
    return SentEvidence(reference, verified.package_id, sealed.header.id, recipient)


@dataclass(frozen=True)
class ReceivedEvidence:
    """A package the other State returned for a request, verified on arrival."""

    reference: str
    package_id: str
    sha256: str
    size: int
    sender: str
    received_at: datetime
    envelope_id: str
    blob_key: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "package_id": self.package_id,
            "sha256": self.sha256,
            "size": self.size,
            "sender": self.sender,
            "received_at": codec.format_time(self.received_at),
            "envelope_id": self.envelope_id,
        }


def received_evidence(node: Node, user: User, reference: str) -> list[ReceivedEvidence]:
    """The packages received (and verified on arrival) for request ``reference``."""
    with node.unit_of_work() as session:
        request = request_store.load(session, reference)
        if request is None:
            raise not_found(reference)
        authorise(user, Action.READ_CONTENT, request)
        return _received_in(node, session, request)


def _received_in(
    node: Node, session: Session, request: CooperationRequest
) -> list[ReceivedEvidence]:
    reference = str(request.reference)
    rows = inbox_for_request(session, reference, PACKAGE)
    if not rows:  # most requests: no need to read the directory
        return []
    directory = node.federation.directory(session)
    found = []
    for row in rows:
        payload = json.loads(row.payload)
        entry = directory.node(row.sender) if directory is not None else None
        if entry is None or entry.state != request.counterpart.state:
            continue
        transfer = get_transfer(session, str(payload["transfer"]))
        if transfer is None or transfer.blob_key is None:
            continue
        found.append(
            ReceivedEvidence(
                reference,
                str(payload["package_id"]),
                str(payload["sha256"]),
                int(payload["size"]),
                row.sender,
                row.received_at,
                row.envelope_id,
                transfer.blob_key,
            )
        )
    return found


@dataclass(frozen=True)
class Dossier:
    """Everything a request's reader may know of it at once: the request with its deadlines
    and open steps, its custody history with proofs, the evidence received for it and, for a
    draft, what it still lacks (``gaps``)."""

    shown: service.Shown
    history: service.History
    received: list[ReceivedEvidence]
    gaps: ValidationReport | None


def dossier(node: Node, user: User, reference: str) -> Dossier:
    """:func:`~hanoix.services.requests.show`, :func:`~hanoix.services.requests.history`,
    :func:`received_evidence` and, for a draft,
    :func:`~hanoix.services.requests.validate_request`, with the same permission checks (to read
    the contents and the history), from one read of the request: what its page shows."""
    now = node.clock.now()
    with node.reading() as session:
        request = service.load_authorised(session, user, reference, Action.READ_CONTENT)
        authorise(user, Action.READ_HISTORY, request)
        shown = service.shown_in(session, user, request, now)
        stored = request_store.steps(session, request.id)
        received = _received_in(node, session, request)
        draft = request.status is Status.DRAFT
        gaps = service.validation_in(session, request, now) if draft else None
    return Dossier(shown, service.proved_history(node, request, stored), received, gaps)


def open_evidence(
    node: Node,
    user: User,
    reference: str,
    package_id: str,
    key: DecryptionKey,
    out: Path,
    *,
    actor: Actor | None = None,
) -> OpenedPackage:
    """Open a package received for ``reference`` straight from the blob store into ``out``.

    Opening is a use of received material: the conditions attached to the request are checked
    first (and the decision recorded), then the package is verified and decrypted, and the
    opening is recorded as a custody event.
    """
    service.check_intended_use(node, user, reference, IntendedUse(UseAction.OPEN))
    item = _received_package(node, user, reference, package_id)
    with node.blobs.get(item.blob_key) as source:
        return open_stream(source, key, out, node=node, actor=actor)


def verify_received(
    node: Node,
    user: User,
    reference: str,
    package_id: str,
    *,
    actor: Actor | None = None,
    record: bool = True,
) -> tuple[ReceivedEvidence, VerifiedPackage]:
    """Verify again a package received for ``reference``, from the blob store, as
    ``hanoix evidence verify`` does (signature, structure, every chunk); recorded as a custody
    event unless ``record`` is false (a report that is only read changes nothing)."""
    item = _received_package(node, user, reference, package_id)
    with node.blobs.get(item.blob_key) as source:
        verified = verify_stream(source, node=node if record else None, actor=actor)
    return item, verified


def _received_package(node: Node, user: User, reference: str, package_id: str) -> ReceivedEvidence:
    for item in received_evidence(node, user, reference):
        if item.package_id == package_id:
            return item
    raise NotFoundError(f"no package {package_id} was received for request {reference}")


def release_evidence(
    node: Node, user: User, reference: str, package_id: str
) -> tuple[ReceivedEvidence, BinaryIO]:
    """A package received for ``reference``, and its bytes, for a copy to leave the node.

    Taking a copy out is a use of received material: the conditions attached to the request
    are checked first, and the decision goes into the custody ledger either way. The caller
    closes the stream.
    """
    service.check_intended_use(node, user, reference, IntendedUse(UseAction.EXPORT))
    item = _received_package(node, user, reference, package_id)
    return item, node.blobs.get(item.blob_key)


def export_evidence(
    node: Node, user: User, reference: str, package_id: str, out: Path
) -> ReceivedEvidence:
    """Copy a package received for ``reference`` out of the blob store to ``out``, whole and
    fsynced or not at all (see :func:`release_evidence` for what is checked first)."""
    if out.exists():
        raise InputError(f"{out} exists already; choose a new file name")
    item, source = release_evidence(node, user, reference, package_id)
    with source, atomic_file(out) as target:
        shutil.copyfileobj(source, target, 1024 * 1024)
    return item
