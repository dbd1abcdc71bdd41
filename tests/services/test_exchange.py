"""Requests over federation, on three in-process nodes (Austria, Viet Nam, South Africa): a
sent request is registered on the requested node, each later step is recorded on both copies,
evidence returned for a request arrives verified and opens, and the third node sees nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hanoix.convention import RequestKind
from hanoix.errors import InputError, NotFoundError, PermissionDeniedError
from hanoix.federation.errors import EnvelopeRejectedError, Reason
from hanoix.ledger.events import CustodyEvent
from hanoix.requests import (
    Action,
    Channel,
    ConditionsAttachment,
    ExecutionReport,
    IntendedUse,
    KeepConfidential,
    Status,
    UseAction,
    UseDeniedError,
)
from hanoix.services import auth, custody, exchange
from hanoix.services import requests as service
from hanoix.services.evidence import (
    load_decryption_key,
    open_file,
    verify_file,
)
from hanoix.services.federation import NOTICE, Message
from hanoix.store import federation as fed_store
from hanoix.store import requests as request_store
from hanoix.store.blobs import S3BlobStore
from tests.federation.builders import Member, Network
from tests.seaweedfs import BUCKET
from tests.services.exchange_world import (
    deliver,
    exchange_network,
    executing_mla,
    return_evidence,
    sent_mla,
    take,
)
from tests.services.requests_world import draft


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    network = exchange_network(tmp_path)
    yield network
    network.close()


def load(member: Member, reference: str) -> object:
    with member.node.unit_of_work() as session:
        return request_store.load(session, reference)


def test_a_sent_request_is_received_on_the_requested_node_and_acknowledged_back(
    net: Network,
) -> None:
    reference = sent_mla(net)
    deliver(net)
    on_vnm = load(net["v"], reference)
    assert on_vnm is not None
    assert on_vnm.status is Status.RECEIVED  # type: ignore[attr-defined]
    assert on_vnm.handled_by == "VNM-CA"  # type: ignore[attr-defined]
    assert on_vnm.history[0].actor == "VNM:federation"  # type: ignore[attr-defined]
    on_aut = load(net["a"], reference)
    assert on_aut.status is Status.RECEIVED  # type: ignore[attr-defined]
    assert on_aut.history[-1].actor == "VNM:VNM-CA"  # type: ignore[attr-defined]


def test_each_step_is_recorded_on_both_copies_once_and_in_order(net: Network) -> None:
    reference = sent_mla(net)
    deliver(net)
    v = net["v"]
    take(v, "drafter", reference, Action.ACKNOWLEDGE)
    take(v, "examiner", reference, Action.START_EXECUTION)
    take(v, "examiner", reference, Action.EXECUTE, payload=ExecutionReport(summary="done"))
    deliver(net)
    take(net["a"], "drafter", reference, Action.CLOSE)
    deliver(net)
    aut, vnm = load(net["a"], reference), load(v, reference)
    assert aut.status is vnm.status is Status.CLOSED  # type: ignore[attr-defined]
    actions = [e.action.value for e in aut.history]  # type: ignore[attr-defined]
    assert actions[-5:] == ["receive", "acknowledge", "start_execution", "execute", "close"]
    assert [e.action.value for e in vnm.history] == [  # type: ignore[attr-defined]
        "register",
        "acknowledge",
        "start_execution",
        "execute",
        "close",
    ]
    assert vnm.history[-1].actor == "AUT:AUT-CA"  # type: ignore[attr-defined]


def test_a_step_that_overtakes_its_predecessor_is_retried_not_lost(net: Network) -> None:
    reference = sent_mla(net)
    deliver(net)
    v = net["v"]
    take(v, "drafter", reference, Action.ACKNOWLEDGE)
    take(v, "examiner", reference, Action.START_EXECUTION)
    with v.node.unit_of_work() as session:
        queued = fed_store.list_outbox(session, limit=100)
    steps = [i for i in queued if i.type == "request.step"]
    assert len(steps) == 3  # receive (delivered), acknowledge, start_execution
    later = steps[-1]
    with pytest.raises(EnvelopeRejectedError) as refused:
        net["a"].federation.process_inbound(later.envelope)
    assert refused.value.reason is Reason.TRANSFER_INCOMPLETE and refused.value.retryable
    deliver(net)
    assert load(net["a"], reference).status is Status.IN_EXECUTION  # type: ignore[attr-defined]


def test_a_step_that_overtakes_the_request_itself_is_retried_not_lost(net: Network) -> None:
    reference = sent_mla(net)
    take(net["a"], "drafter", reference, Action.WITHDRAW, note="sent by mistake")
    with net["a"].node.unit_of_work() as session:
        queued = fed_store.list_outbox(session, limit=100)
    (step,) = [item for item in queued if item.type == "request.step"]
    # The step reaches Viet Nam before the request does.
    with pytest.raises(EnvelopeRejectedError) as refused:
        net["v"].federation.process_inbound(step.envelope)
    assert refused.value.reason is Reason.TRANSFER_INCOMPLETE and refused.value.retryable
    assert f"request {reference} not found" in refused.value.message
    deliver(net)
    # Sent side by side, the step may overtake the request once more: it is retried later.
    for member in net.members.values():
        member.clock.advance(timedelta(minutes=10))
    deliver(net)
    assert load(net["v"], reference).status is Status.WITHDRAWN  # type: ignore[attr-defined]
    with net["a"].node.unit_of_work() as session:
        statuses = {item.status for item in fed_store.list_outbox(session, limit=100)}
    assert statuses == {fed_store.DELIVERED}


def test_evidence_returned_for_a_request_is_verified_attached_and_opens(
    net: Network, tmp_path: Path
) -> None:
    a, v = net["a"], net["v"]
    returned = return_evidence(net, tmp_path)
    reference, sent, aut_keys = returned.reference, returned.sent, returned.aut_keys
    examiner = service.user_named(v.node, "examiner")
    aut_examiner = service.user_named(a.node, "examiner")
    received = exchange.received_evidence(a.node, aut_examiner, reference)
    assert [r.package_id for r in received] == [sent.package_id]
    # The request's page reads it all at once: the same as each call on its own.
    read = exchange.dossier(a.node, aut_examiner, reference)
    assert read.received == received and read.gaps is None
    assert read.shown == service.show(a.node, aut_examiner, reference)
    assert read.history == service.history(a.node, aut_examiner, reference)
    with pytest.raises(NotFoundError):
        exchange.dossier(a.node, service.user_named(a.node, "examiner"), "AUT-2026-999999")
    drafter = service.user_named(a.node, "drafter")
    fresh = service.create(a.node, drafter, draft()).request.reference
    gaps = exchange.dossier(a.node, drafter, str(fresh)).gaps
    assert gaps == service.validate_request(a.node, drafter, str(fresh))
    copy = tmp_path / "copy.hxp"
    exchange.export_evidence(a.node, aut_examiner, reference, sent.package_id, copy)
    assert verify_file(copy, node=a.node).package_id == sent.package_id
    opened = open_file(copy, load_decryption_key(aut_keys / "encryption.key"), tmp_path / "out")
    assert [f.path for f in opened.manifest.files] == ["mailbox/mailbox.mbox"]
    assert (tmp_path / "out" / "mailbox" / "mailbox.mbox").read_text().endswith("hello\n")
    # The requesting side's examiner of another State's node cannot list them.
    with pytest.raises(NotFoundError):
        exchange.received_evidence(v.node, examiner, "AUT-2026-999999")
    # Once Viet Nam asks that the material be kept confidential, Austria may no longer take a
    # copy out: the export is refused, naming the condition, and nothing is written.
    take(
        v,
        "approver",
        reference,
        Action.ATTACH_CONDITIONS,
        payload=ConditionsAttachment((KeepConfidential(),)),
    )
    deliver(net)
    second = tmp_path / "second.hxp"
    with pytest.raises(UseDeniedError, match=r"Art\. 40\(20\)"):
        exchange.export_evidence(a.node, aut_examiner, reference, sent.package_id, second)
    assert not second.exists()


def test_evidence_is_sent_by_the_requested_side_within_the_authority_handling_it(
    net: Network, tmp_path: Path
) -> None:
    a, v, z = net["a"], net["v"], net["z"]
    returned = return_evidence(net, tmp_path)
    reference, package = returned.reference, tmp_path / "returned.hxp"
    with pytest.raises(PermissionDeniedError, match="for the requested State's node"):
        exchange.send_evidence(a.node, service.user_named(a.node, "examiner"), reference, package)
    with pytest.raises(PermissionDeniedError, match="handled by VNM-CA"):
        exchange.send_evidence(v.node, service.user_named(v.node, "officer"), reference, package)
    # A node that does not hold the request answers as for any missing one.
    with pytest.raises(NotFoundError) as missing:
        exchange.send_evidence(z.node, service.user_named(z.node, "examiner"), reference, package)
    assert missing.value.message == f"request {reference} not found"


def test_the_evidence_actions_offered_are_those_the_services_allow(
    net: Network, tmp_path: Path
) -> None:
    returned = return_evidence(net, tmp_path)
    a, v, z, reference = net["a"], net["v"], net["z"], returned.reference

    def actions(member: Member, who: str) -> exchange.EvidenceActions:
        return exchange.evidence_actions(
            member.node, service.user_named(member.node, who), reference
        )

    # The requested side's examiner of the handling authority returns evidence; the requesting
    # side's examiner takes a copy and opens; its drafter opens but takes no copy (a role
    # that may not export); the 24/7 unit, another authority, only reads.
    assert actions(v, "examiner").return_evidence
    assert actions(a, "examiner") == exchange.EvidenceActions(
        return_evidence=False, export=True, open=True
    )
    assert actions(a, "drafter") == exchange.EvidenceActions(
        return_evidence=False, export=False, open=True
    )
    assert actions(a, "officer") == exchange.EvidenceActions(
        return_evidence=False, export=False, open=False
    )
    assert not actions(v, "officer").return_evidence
    # Each answer is the one the service gives when the action is tried.
    with pytest.raises(PermissionDeniedError):
        exchange.send_evidence(
            v.node, service.user_named(v.node, "officer"), reference, tmp_path / "returned.hxp"
        )
    for refused in ("drafter", "officer"):
        with pytest.raises(PermissionDeniedError):
            exchange.release_evidence(
                a.node, service.user_named(a.node, refused), reference, returned.sent.package_id
            )
    item, stream = exchange.release_evidence(
        a.node, service.user_named(a.node, "examiner"), reference, returned.sent.package_id
    )
    stream.close()
    assert item.package_id == returned.sent.package_id
    # A node that does not hold the request answers as for any missing one.
    with pytest.raises(NotFoundError):
        actions(z, "examiner")


@pytest.mark.slow
def test_evidence_returned_to_a_node_on_s3_is_kept_there_and_opens(
    seaweedfs: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweedfs["access"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweedfs["secret"])
    prefix = f"node-{tmp_path.name}"
    url = f"s3://{BUCKET}/{prefix}?endpoint={seaweedfs['endpoint']}"
    net = exchange_network(tmp_path / "nodes", blob_urls={"a": url})
    try:
        a = net["a"]
        returned = return_evidence(net, tmp_path)
        examiner = service.user_named(a.node, "examiner")
        [item] = exchange.received_evidence(a.node, examiner, returned.reference)
        assert isinstance(a.node.blobs, S3BlobStore) and a.node.blobs.exists(item.blob_key)
        in_folder = [p for p in a.node.settings.effective_blob_dir.rglob("*") if p.is_file()]
        assert in_folder == []  # nothing kept in the node's blob folder
        key = load_decryption_key(returned.aut_keys / "encryption.key")
        opened = exchange.open_evidence(
            a.node, examiner, returned.reference, item.package_id, key, tmp_path / "out"
        )
        assert [f.path for f in opened.manifest.files] == ["mailbox/mailbox.mbox"]
    finally:
        net.close()


def test_a_preservation_then_its_follow_up_reach_the_right_authorities(net: Network) -> None:
    a, v = net["a"], net["v"]
    officer = service.user_named(a.node, "officer")
    spec = draft(
        RequestKind.PRESERVATION,
        requested_authority="VNM-247",
        channel=Channel.CONTACT_24_7,
        urgent=True,
    )
    preservation = str(service.create(a.node, officer, spec).request.reference)
    take(a, "officer", preservation, Action.SUBMIT)
    with a.node.unit_of_work() as session:
        auth.add_user(
            session,
            a.node.clock,
            username="duty-approver",
            display_name="duty",
            roles={"approver"},
            authority="AUT-247",
            password=None,
        )
    take(a, "duty-approver", preservation, Action.APPROVE)
    take(a, "officer", preservation, Action.SEND)
    deliver(net)
    assert load(v, preservation).handled_by == "VNM-247"  # type: ignore[attr-defined]
    take(v, "officer", preservation, Action.ACKNOWLEDGE)
    take(v, "officer", preservation, Action.START_EXECUTION)
    take(v, "officer", preservation, Action.EXECUTE, payload=ExecutionReport())
    deliver(net)
    aut_copy = load(a, preservation)
    assert aut_copy.status is Status.EXECUTED  # type: ignore[attr-defined]
    assert aut_copy.preservation == load(v, preservation).preservation  # type: ignore[attr-defined]
    follow = service.follow_up(a.node, officer, preservation, expected_version=None)
    deliver(net)
    assert load(v, preservation).follow_ups == (follow.mla.reference,)  # type: ignore[attr-defined]


def test_the_third_node_sees_nothing(net: Network) -> None:
    reference = sent_mla(net)
    deliver(net)
    take(net["v"], "drafter", reference, Action.ACKNOWLEDGE)
    deliver(net)
    z = net["z"]
    assert load(z, reference) is None
    with z.node.unit_of_work() as session:
        assert request_store.count(session) == 0
        assert fed_store.list_inbox(session, None, pending_only=False, limit=100) == []
    entries = [json.loads(e.entry) for e in custody.CustodyLedger(z.node).entries()]
    assert reference not in json.dumps(entries)


def test_a_step_for_a_request_the_receiver_does_not_share_is_refused_as_a_missing_one(
    net: Network,
) -> None:
    reference = sent_mla(net)
    deliver(net)
    z = net["z"]

    def step_about(about: str) -> bytes:
        with z.node.unit_of_work() as session:
            queued = z.federation.enqueue(
                session,
                Message(
                    net["a"].origin,
                    "request.step",
                    {
                        "reference": about,
                        "action": "refuse",
                        "seq": 2,
                        "side": "requested",
                        "at": "2026-11-23T12:00:00Z",
                        "authority": "ZAF-CA",
                        "note": None,
                        "payload": None,
                    },
                ),
            )
        return queued.data

    missing = "AUT-2026-000999"
    answers = []
    for about in (reference, missing):
        with pytest.raises(EnvelopeRejectedError) as refused:
            net["a"].federation.process_inbound(step_about(about))
        answers.append(refused.value)
    # The same answer whether Austria holds the request (shared with Viet Nam) or not: no peer
    # learns which references exist. Retryable, as for a step that overtook its request.
    assert {(a.reason, a.retryable) for a in answers} == {(Reason.TRANSFER_INCOMPLETE, True)}
    assert answers[0].message.replace(reference, missing) == answers[1].message
    assert load(net["a"], reference).status is Status.RECEIVED  # type: ignore[attr-defined]


def test_an_exculpatory_disclosure_notifies_the_requested_state_first(net: Network) -> None:
    a, v = net["a"], net["v"]
    reference = sent_mla(net)
    deliver(net)
    drafter = service.user_named(a.node, "drafter")
    disclosure = IntendedUse(UseAction.DISCLOSE_EXCULPATORY, proceeding="AUT-LG-Wien-77/26")
    decision = service.check_intended_use(a.node, drafter, reference, disclosure)
    assert decision.notice == "sent"
    deliver(net)
    with v.node.unit_of_work() as session:
        inbox = fed_store.list_inbox(session, None, pending_only=False, limit=100)
    [notice] = [m for m in inbox if m.type == NOTICE]
    payload = json.loads(notice.payload)
    assert payload["reference"] == reference
    assert "40(19)" in payload["subject"] and "AUT-LG-Wien-77/26" in payload["text"]
    # The decision and how notice was given are in the custody ledger.
    history = custody.CustodyLedger(a.node).history("request", reference)
    assert CustodyEvent.from_dict(json.loads(history[-1].entry)).details == {
        "step": "use-checked",
        "use": "disclose_exculpatory",
        "outcome": "allowed",
        "notice": "sent",
    }
    # Only the requesting State discloses in its proceedings.
    examiner = service.user_named(v.node, "examiner")
    with pytest.raises(InputError, match="requested State"):
        service.check_intended_use(v.node, examiner, reference, disclosure)
    # A request that did not travel over the network: the user gives notice another way.
    created = service.create(a.node, drafter, draft(requested_state="BRA"))
    offline = str(created.request.reference)
    take(a, "drafter", offline, Action.SUBMIT)
    take(a, "approver", offline, Action.APPROVE)
    take(a, "drafter", offline, Action.SEND)
    assert service.check_intended_use(a.node, drafter, offline, disclosure).notice == (
        "by-other-means"
    )


def test_a_request_to_a_state_without_a_node_is_sent_off_the_network(net: Network) -> None:
    a = net["a"]
    drafter = service.user_named(a.node, "drafter")
    created = service.create(a.node, drafter, draft(requested_state="BRA"))
    reference = str(created.request.reference)
    take(a, "drafter", reference, Action.SUBMIT)
    take(a, "approver", reference, Action.APPROVE)
    take(a, "drafter", reference, Action.SEND)
    assert load(a, reference).status is Status.SENT  # type: ignore[attr-defined]
    with a.node.unit_of_work() as session:
        assert fed_store.list_outbox(session, limit=100) == []


def test_a_request_registered_from_paper_is_answered_off_the_network(net: Network) -> None:
    from tests.services.requests_world import incoming

    # Registered by a clerk (or the node) from a letter, not by the federation inbox.
    request = incoming(net["a"].node, "received", handled_by="AUT-CA")
    take(net["a"], "drafter", str(request.reference), Action.ACKNOWLEDGE)
    with net["a"].node.unit_of_work() as session:
        assert fed_store.list_outbox(session, limit=100) == []


def test_the_command_line_returns_lists_and_exports_evidence(
    net: Network, tmp_path: Path, cli: Any
) -> None:
    a, v = net["a"], net["v"]
    execution = executing_mla(net, tmp_path)
    reference, aut_keys, vnm_keys = execution.reference, execution.aut_keys, execution.vnm_keys
    vnm, aut = ("--home", str(v.node.settings.home)), ("--home", str(a.node.settings.home))
    key = tmp_path / "aut-ca.pub"
    wrote = cli(*vnm, "exchange", "evidence-key", reference, "-o", key, "--as", "examiner")
    assert wrote.exit_code == 0, wrote.stderr
    (tmp_path / "logs.txt").write_text("login records\n")
    package = tmp_path / "returned.hxp"
    packed = cli(
        "evidence", "pack", tmp_path / "logs.txt", "--sign-key", vnm_keys / "signing.key",
        "--to", key, "--request", reference, "-o", package,
    )  # fmt: skip
    assert packed.exit_code == 0, packed.stderr
    sent = cli(*vnm, "exchange", "send-evidence", reference, package, "--as", "examiner", "--json")
    assert sent.exit_code == 0, sent.stderr
    # The command ran on the real clock: bring the nodes' fixed clocks up to it.
    for member in net.members.values():
        member.clock.advance(datetime.now(UTC) - member.clock.now() + timedelta(minutes=1))
    deliver(net)
    listed = cli(*aut, "exchange", "received", reference, "--as", "drafter", "--json")
    assert [p["package_id"] for p in listed.json()] == [sent.json()["package_id"]]
    copy = tmp_path / "copy.hxp"
    exported = cli(
        *aut, "exchange", "export", reference, sent.json()["package_id"], "-o", copy,
        "--as", "examiner",
    )  # fmt: skip
    assert exported.exit_code == 0, exported.stderr
    opened = cli(
        "evidence", "open", copy, "--key", aut_keys / "encryption.key", "-o", tmp_path / "out"
    )
    assert opened.exit_code == 0, opened.stderr
    assert (tmp_path / "out" / "logs.txt").read_text() == "login records\n"
    # Another State's user, or a request this node does not hold: the same "not found".
    missing = cli(*aut, "exchange", "received", "AUT-2026-999999", "--as", "drafter")
    assert missing.exit_code == 2 and "not found" in missing.stderr


def test_a_node_cannot_send_a_request_in_another_states_name(net: Network) -> None:
    reference = sent_mla(net)
    with net["a"].node.unit_of_work() as session:
        sent = [i for i in fed_store.list_outbox(session, limit=100) if i.type == "request.sent"]
    assert len(sent) == 1
    z = net["z"]
    forged = {  # South Africa's node claims Austria's reference
        "reference": reference,
        "sent_at": "2026-11-23T12:00:00Z",
        "authority": "ZAF-CA",
        "document": {
            "requesting": {"state": "ZAF", "authority": "ZAF-CA", "zone": "Africa/Johannesburg"},
            "requested": {"state": "VNM", "authority": "VNM-CA", "zone": "Asia/Ho_Chi_Minh"},
            "channel": "central-authority",
        },
        "evidence_key": None,
    }
    with z.node.unit_of_work() as session:
        queued = z.federation.enqueue(
            session, Message(net["v"].origin, exchange.REQUEST_SENT, forged)
        )
    with pytest.raises(EnvelopeRejectedError) as refused:
        net["v"].federation.process_inbound(queued.data)
    assert refused.value.reason is Reason.BAD_PAYLOAD
    assert f"cannot send {reference}" in refused.value.detail
