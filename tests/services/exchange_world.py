"""Three in-process nodes (Austria, Viet Nam, South Africa) that exchange requests, and the
steps the exchange tests share: deliver what is queued, take a step, send an MLA request,
return evidence for it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hanoix.convention import RequestKind
from hanoix.requests import Action, Channel
from hanoix.services import exchange
from hanoix.services import requests as service
from hanoix.services.evidence import collect_sources, load_signing_key, seal_files, write_key_set
from hanoix.store import federation as fed_store
from tests.federation.builders import Member, Network, Router, make_network, worker_for
from tests.requests.builders import complete_contents
from tests.services.requests_world import add_people, draft

STATES = {"a": "AUT", "v": "VNM", "z": "ZAF"}
AUTHORITY_KINDS = (("CA", "central-authority"), ("247", "contact-24-7"))
USERS = {  # username: (role, authority suffix)
    "drafter": ("drafter", "CA"),
    "approver": ("approver", "CA"),
    "officer": ("officer_24_7", "247"),
    "examiner": ("examiner", "CA"),
}


def exchange_network(root: Path, *, blob_urls: dict[str, str] | None = None) -> Network:
    """The three nodes, each with a central authority and a 24/7 unit and their users."""
    network = make_network(root, list(STATES), states=tuple(STATES.values()), blob_urls=blob_urls)
    for name, state in STATES.items():
        add_people(
            network[name].node,
            [(f"{state}-{suffix}", kind, state) for suffix, kind in AUTHORITY_KINDS],
            {user: ({role}, f"{state}-{suffix}") for user, (role, suffix) in USERS.items()},
        )
    # Entries now list the authorities: publish again so peers can vouch for them.
    network.publish()
    return network


def deliver(net: Network) -> None:
    """Run every node's worker until no outbox has anything left to send."""
    router = Router(net)
    for _ in range(6):
        if sum(worker_for(net[name], router).drain() for name in STATES) == 0:
            return


def take(member: Member, who: str, reference: str, action: Action, **kwargs: object) -> None:
    user = service.user_named(member.node, who)
    service.take_step(
        member.node,
        user,
        reference,
        action,
        expected_version=None,
        **kwargs,  # type: ignore[arg-type]
    )


def sent_mla(net: Network) -> str:
    """An MLA request drafted, approved and sent by Austria to Viet Nam (not yet delivered)."""
    a = net["a"]
    created = service.create(a.node, service.user_named(a.node, "drafter"), draft())
    reference = str(created.request.reference)
    take(a, "drafter", reference, Action.SUBMIT)
    take(a, "approver", reference, Action.APPROVE)
    take(a, "drafter", reference, Action.SEND)
    return reference


@dataclass(frozen=True)
class Execution:
    reference: str
    aut_keys: Path  # the Austrian central authority's key set, to open what comes back
    vnm_keys: Path  # the Vietnamese central authority's, to sign it


def executing_mla(net: Network, root: Path) -> Execution:
    """An MLA request from Austria, delivered, acknowledged and being executed by Viet Nam;
    both central authorities have their key sets."""
    a, v = net["a"], net["v"]
    aut_keys = exchange.authority_keys_dir(a.node, "AUT-CA")
    write_key_set(aut_keys, authority="AUT-CA", state="AUT", passphrase=None)
    vnm_keys = root / "vnm-ca-keys"
    write_key_set(vnm_keys, authority="VNM-CA", state="VNM", passphrase=None)
    reference = sent_mla(net)
    deliver(net)
    take(v, "drafter", reference, Action.ACKNOWLEDGE)
    take(v, "examiner", reference, Action.START_EXECUTION)
    return Execution(reference, aut_keys, vnm_keys)


@dataclass(frozen=True)
class ReturnedEvidence:
    reference: str
    sent: exchange.SentEvidence
    aut_keys: Path  # the Austrian central authority's key set, to open the package


def return_evidence(net: Network, root: Path) -> ReturnedEvidence:
    """What :func:`executing_mla` sets up, then Viet Nam returns a package (a mailbox whose
    file ends in "hello"), delivered and verified on Austria's node."""
    v = net["v"]
    execution = executing_mla(net, root)
    reference = execution.reference
    examiner = service.user_named(v.node, "examiner")
    recipient = exchange.requesting_authority_key(v.node, examiner, reference)
    evidence = root / "mailbox"
    evidence.mkdir()
    (evidence / "mailbox.mbox").write_text("From: someone\n\nhello\n")
    package = root / "returned.hxp"
    seal_files(
        collect_sources([evidence]),
        package,
        signer=load_signing_key(execution.vnm_keys / "signing.key"),
        recipients=[recipient],
        clock=v.clock,
        request=reference,
        node=v.node,
    )
    sent = exchange.send_evidence(v.node, examiner, reference, package)
    deliver(net)
    return ReturnedEvidence(reference, sent, execution.aut_keys)


#: What only the restricted request's handling authority may read.
SECRET_FACT = "the ransom notes name the webmail account quiet-heron@example.vn"


@dataclass(frozen=True)
class Restricted:
    reference: str
    envelope_id: str  # the request.sent message on Viet Nam's node


def add_visibility_people(net: Network) -> None:
    """People the visibility tests need besides the world's: an approver of Austria's 24/7 unit
    (a restricted preservation is approved within its authority), and on Viet Nam's node an
    auditor of each authority, an administrator, and a user acting for another State's
    authority."""
    add_people(net["a"].node, [], {"supervisor": ({"approver"}, "AUT-247")})
    add_people(
        net["v"].node,
        [("AUT-LIAISON", "competent-authority", "AUT")],
        {
            "auditor-247": ({"auditor"}, "VNM-247"),
            "auditor-ca": ({"auditor"}, "VNM-CA"),
            "admin": ({"administrator"}, None),
            "liaison": ({"drafter"}, "AUT-LIAISON"),
        },
    )


def send_restricted_preservation(net: Network) -> Restricted:
    """Austria's 24/7 officer sends a restricted, urgent preservation to Viet Nam's 24/7 unit,
    delivered; Viet Nam's node registers it as handled by VNM-247."""
    a, v = net["a"], net["v"]
    contents = dict(complete_contents(RequestKind.PRESERVATION))
    contents["summary_of_facts"] = f"Hospitals were encrypted; {SECRET_FACT}."
    spec = draft(
        RequestKind.PRESERVATION,
        requested_authority="VNM-247",
        channel=Channel.CONTACT_24_7,
        urgent=True,
        restricted=True,
        contents=contents,
    )
    created = service.create(a.node, service.user_named(a.node, "officer"), spec)
    reference = str(created.request.reference)
    take(a, "officer", reference, Action.SUBMIT)
    take(a, "supervisor", reference, Action.APPROVE)
    take(a, "officer", reference, Action.SEND)
    deliver(net)
    with v.node.unit_of_work() as session:
        (sent,) = fed_store.inbox_for_request(session, reference, "request.sent")
    return Restricted(reference, sent.envelope_id)
