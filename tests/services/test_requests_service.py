"""The request use cases on both databases: one unit of work per step, the ledger entry with
every change, optimistic locking, idempotent creation, visibility, deadlines and conditions."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.convention import RequestKind
from hanoix.documents.requests import DraftChanges, EditIn
from hanoix.errors import (
    InputError,
    NotFoundError,
    PermissionDeniedError,
    RuleViolationError,
    TransitionError,
)
from hanoix.ledger.events import CustodyEvent
from hanoix.requests import (
    Action,
    ConditionsAttachment,
    IntendedUse,
    KeepConfidential,
    NodeActor,
    PreservationExtension,
    Refusal,
    RequestEdit,
    RequestTerms,
    Status,
    UseAction,
    UseConsent,
    UseDeniedError,
)
from hanoix.services import auth, custody
from hanoix.services import requests as service
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from hanoix.store import requests as store
from hanoix.store.requests import ListFilter, StaleVersionError
from tests.documents.gaps import only_kind_gaps
from tests.requests.builders import complete_contents
from tests.services.requests_world import (
    FROM_VNM,
    document,
    draft,
    incoming,
    outgoing,
    populate,
    step,
    user,
)


@pytest.fixture
def world(node: Node) -> Node:
    populate(node)
    return node


def ledger_size(node: Node) -> int:
    return CustodyLedger(node).head().size


def test_creating_a_request_stores_it_and_records_one_custody_event(world: Node) -> None:
    created = service.create(world, user(world, "drafter"), draft())
    request = created.request
    assert str(request.reference) == "AUT-2026-000001"
    assert request.status is Status.DRAFT
    assert created.report.errors == ()
    assert ledger_size(world) == 1
    second = service.create(world, user(world, "drafter"), draft(RequestKind.PRESERVATION))
    assert str(second.request.reference) == "AUT-2026-000002"
    with world.unit_of_work() as session:
        steps = store.steps(session, request.id)
    assert [(s.action, s.ledger_index) for s in steps] == [("create", 0)]
    # The step keeps its entry as the ledger holds it: the request by its pseudonym.
    disclosed = custody.disclose_request_key(world, "AUT-2026-000001")
    assert steps[0].event["subject"] == {"request": disclosed.pseudonym}


def test_a_request_between_states_where_the_convention_is_not_in_force_is_flagged(
    world: Node,
) -> None:
    # The shipped treaty data: nobody has ratified by 23 November 2026.
    created = service.create(world, user(world, "drafter"), draft(legal_basis_other=None))
    warning = created.report.warnings[0]
    assert (warning.field, warning.article) == ("legal_basis", "Art. 65")
    assert "not in force between AUT and VNM" in warning.message
    assert [(p.field, p.article) for p in created.report.errors] == [
        ("legal_basis_other", "Art. 65")
    ]
    # Recording another legal basis lets it proceed; the warning stays on record.
    with_basis = service.create(world, user(world, "drafter"), draft())
    assert with_basis.report.errors == ()
    assert [w.field for w in with_basis.report.warnings] == ["legal_basis"]


def test_the_same_idempotency_key_and_body_give_the_first_answer_and_create_nothing(
    world: Node,
) -> None:
    drafter = user(world, "drafter")
    first = service.create(world, drafter, draft(), idempotency_key="k-1")
    again = service.create(world, drafter, draft(), idempotency_key="k-1")
    assert again.replayed and not first.replayed
    assert again.request == first.request
    assert ledger_size(world) == 1
    with pytest.raises(service.IdempotencyKeyReusedError) as caught:
        service.create(world, drafter, draft(language="fr"), idempotency_key="k-1")
    assert caught.value.http_status == 422
    assert ledger_size(world) == 1
    # Keys belong to their user: another user's same key is another request.
    other = service.create(world, user(world, "officer"), draft(), idempotency_key="k-1")
    assert other.request.reference != first.request.reference


def test_an_idempotency_key_is_forgotten_after_its_lifetime(world: Node, clock: FixedClock) -> None:
    drafter = user(world, "drafter")
    first = service.create(world, drafter, draft(), idempotency_key="k-2")
    clock.advance(service.IDEMPOTENCY_LIFETIME + timedelta(seconds=1))
    later = service.create(world, drafter, draft(language="fr"), idempotency_key="k-2")
    assert later.request.reference != first.request.reference


def test_the_whole_outgoing_lifecycle_records_every_step_with_a_proof(world: Node) -> None:
    request = outgoing(world, "sent", author="drafter")
    assert request.status is Status.SENT
    assert request.approved_by == "approver2"
    for action in (Action.RECEIVE, Action.ACKNOWLEDGE, Action.START_EXECUTION):
        request = service.record_counterpart_step(
            world, str(request.reference), action, FROM_VNM, at=world.clock.now()
        )
    request = service.record_counterpart_step(
        world, str(request.reference), Action.EXECUTE, FROM_VNM, at=world.clock.now()
    )
    request = step(world, "drafter", request, Action.CLOSE)
    assert request.status is Status.CLOSED
    history = service.history(world, user(world, "auditor"), str(request.reference))
    assert [s.step.action for s in history.steps] == [
        "create",
        "submit",
        "approve",
        "send",
        "receive",
        "acknowledge",
        "start_execution",
        "execute",
        "close",
    ]
    verifier = CustodyLedger(world).verifier
    for proved in history.steps:
        assert proved.entry_matches
        entry = CustodyEvent.from_dict(proved.step.event).canonical_bytes()
        proved.proof.verify(verifier, entry=entry)
    assert history.steps[4].step.actor == "VNM:VNM-CA"


def test_both_sides_walk_the_same_states(world: Node, tmp_path: Path, clock: FixedClock) -> None:
    """Austria's node (either database) asks; Viet Nam's node (SQLite) answers."""
    vnm = Node.open(load_settings(tmp_path / "vnm", environ={}), clock=clock)
    vnm.initialise()
    populate(vnm)
    try:
        sent = outgoing(world, "sent", author="drafter")
        mirror = service.IncomingRequest(
            reference=sent.reference,
            kind=sent.kind,
            requesting=sent.requesting,
            requested=replace(sent.requested, authority="VNM-CA"),
            handled_by="VNM-CA",
            channel=sent.channel,
            terms=RequestTerms(
                language=sent.language,
                proceeding=sent.proceeding,
                contents=dict(sent.contents),
                legal_basis_other=sent.legal_basis_other,
                dual_criminality=True,
                convention_offence=True,
            ),
        )
        theirs = service.register(vnm, NodeActor("VNM"), mirror)
        ours = service.record_counterpart_step(
            world, str(sent.reference), Action.RECEIVE, FROM_VNM, at=clock.now()
        )
        assert theirs.status is ours.status is Status.RECEIVED
        for action, who in ((Action.ACKNOWLEDGE, "vnm-clerk"), (Action.REFUSE, "vnm-approver")):
            payload = (
                Refusal(grounds=("sovereignty-security-ordre-public",), reasons="prejudice")
                if action is Action.REFUSE
                else None
            )
            theirs = step(vnm, who, theirs, action, payload=payload)
            ours = service.record_counterpart_step(
                world, str(sent.reference), action, FROM_VNM, at=clock.now(), payload=payload
            )
            assert theirs.status is ours.status
        assert ours.status is Status.REFUSED
        ours = step(world, "drafter", ours, Action.CLOSE)
        assert ours.status is Status.CLOSED
        # Viet Nam's users never see Austria's other requests, and Austria's node holds no
        # Vietnamese users' view of its copy.
        with pytest.raises(NotFoundError):
            service.show(world, user(world, "vnm-clerk"), str(sent.reference))
    finally:
        vnm.close()


def test_four_eyes_an_author_cannot_approve(world: Node) -> None:
    request = outgoing(world, "awaiting_approval", author="both")
    with pytest.raises(PermissionDeniedError, match="four-eyes"):
        step(world, "both", request, Action.APPROVE)
    # An approver who edited the draft becomes an author too.
    edited = outgoing(world, "draft", author="drafter")
    edited = step(world, "drafter", edited, Action.EDIT, payload=RequestEdit(language="fr"))
    edited = step(world, "drafter", edited, Action.SUBMIT)
    approved = step(world, "approver", edited, Action.APPROVE)
    assert approved.status is Status.APPROVED


def test_a_stale_version_changes_nothing(world: Node) -> None:
    request = outgoing(world, "draft")
    before = ledger_size(world)
    with pytest.raises(StaleVersionError) as caught:
        service.take_step(
            world, user(world, "editor"), str(request.reference), Action.SUBMIT, expected_version=7
        )
    assert caught.value.http_status == 412
    assert ledger_size(world) == before
    assert service.show(world, user(world, "editor"), str(request.reference)).request == request


def test_a_failure_after_the_ledger_append_rolls_both_back(
    world: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = outgoing(world, "draft")
    before = ledger_size(world)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "add_steps", broken)
    with pytest.raises(RuntimeError):
        step(world, "editor", request, Action.SUBMIT)
    monkeypatch.undo()
    assert ledger_size(world) == before
    assert service.show(world, user(world, "editor"), str(request.reference)).request == request


def test_a_step_the_state_does_not_allow_names_the_possible_ones(world: Node) -> None:
    request = outgoing(world, "draft")
    with pytest.raises(
        TransitionError, match="possible steps from 'draft': edit, submit, withdraw"
    ):
        step(world, "approver", request, Action.APPROVE)


def test_submitting_an_incomplete_request_names_each_missing_content_and_article(
    world: Node,
) -> None:
    contents = dict(draft().terms.contents)
    del contents["summary_of_facts"]
    request = service.create(world, user(world, "drafter"), draft(contents=contents)).request
    with pytest.raises(RuleViolationError) as caught:
        step(world, "drafter", request, Action.SUBMIT)
    assert [(p.field, p.article) for p in caught.value.problems] == [
        ("contents.summary_of_facts", "Art. 40(15)(c)")
    ]
    assert ledger_size(world) == 1


def test_a_refusal_without_grounds_or_reasons_is_refused_with_its_articles(world: Node) -> None:
    request = incoming(world, "acknowledged")
    with pytest.raises(RuleViolationError) as caught:
        step(world, "approver", request, Action.REFUSE, payload=Refusal(grounds=(), reasons=" "))
    fields = [(p.field, p.article) for p in caught.value.problems]
    assert [f for f, _ in fields] == ["grounds", "reasons"]
    assert all(article and article.startswith("Art. 40") for _, article in fields)
    with pytest.raises(RuleViolationError, match="bank"):
        step(
            world,
            "approver",
            request,
            Action.REFUSE,
            payload=Refusal(grounds=("bank-secrecy",), reasons="secret"),
        )


def test_others_requests_answer_like_missing_ones(world: Node) -> None:
    request = outgoing(world, "draft", restricted=True)
    missing = "AUT-2026-999999"
    for who, reference in (
        ("vnm-clerk", str(request.reference)),
        ("prosecutor", str(request.reference)),
    ):
        with pytest.raises(NotFoundError) as hidden:
            service.show(world, user(world, who), reference)
        with pytest.raises(NotFoundError) as absent:
            service.show(world, user(world, who), missing)
        assert hidden.value.message == absent.value.message.replace(missing, reference)
    # The same authority sees it; an auditor of that authority too.
    assert service.show(world, user(world, "auditor"), str(request.reference)).request == request
    # An administrator acts for no authority, hence for no State: nothing to see.
    with pytest.raises(NotFoundError):
        service.show(world, user(world, "admin"), str(request.reference))


def test_lists_filter_and_page_without_gaps_or_repeats(world: Node, clock: FixedClock) -> None:
    made = []
    for i, kind in enumerate([RequestKind.MLA, RequestKind.PRESERVATION] * 4):
        clock.advance(timedelta(minutes=1) if i % 3 else timedelta(0))
        made.append(outgoing(world, "draft", kind=kind))
    made.append(outgoing(world, "draft", restricted=True, author="duty"))
    auditor = user(world, "auditor")
    seen: list[str] = []
    cursor = None
    while True:
        page = service.list_requests(world, auditor, ListFilter(), limit=3, cursor=cursor)
        seen += [r.reference for r in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    # Newest first; the restricted one of AUT-POC is not the auditor's to see.
    expected = [str(r.reference) for r in made if not r.restricted]
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    created = [next(r for r in made if str(r.reference) == ref).created_at for ref in seen]
    assert created == sorted(created, reverse=True)
    only = service.list_requests(world, auditor, ListFilter(kind="preservation"), limit=50)
    assert {r.kind for r in only.items} == {"preservation"} and len(only.items) == 4
    assert (
        service.list_requests(world, user(world, "vnm-clerk"), ListFilter(), limit=50).items == []
    )
    assert len(service.list_requests(world, user(world, "duty"), ListFilter(), limit=50).items) == 9
    with pytest.raises(PermissionDeniedError):
        service.list_requests(world, user(world, "admin"), ListFilter())
    with pytest.raises(InputError, match="cursor"):
        service.list_requests(world, auditor, ListFilter(), cursor="not-a-cursor")


def test_preservation_expiry_is_counted_on_the_local_calendar_across_daylight_saving(
    world: Node, clock: FixedClock
) -> None:
    # Executed in Vienna on 10 February (CET): 60 days end at 24:00 on 11 April (CEST).
    clock.advance(datetime(2026, 2, 10, 9, 0, tzinfo=UTC) - clock.now())
    request = incoming(world, "executed", kind=RequestKind.PRESERVATION)
    assert request.preservation is not None
    expiry = datetime(2026, 4, 11, 22, 0, tzinfo=UTC)
    assert request.preservation.expires_at() == expiry
    auditor = user(world, "auditor")
    due = service.deadlines(world, auditor)
    assert [(d.deadline.kind.value, d.deadline.due, d.state.value) for d in due] == [
        ("preservation-expiry", expiry, "running")
    ]
    assert due[0].local["AUT"].isoformat() == "2026-04-12T00:00:00+02:00"
    assert due[0].local["VNM"].isoformat() == "2026-04-12T05:00:00+07:00"
    # The list's next deadline column is the same instant, so filters agree with the engine.
    page = service.list_requests(
        world, auditor, ListFilter(deadline_before=expiry + timedelta(seconds=1))
    )
    assert [r.reference for r in page.items] == [str(request.reference)]
    assert service.list_requests(world, auditor, ListFilter(overdue_at=clock.now())).items == []
    # Extension before the end moves it; after the end it is refused with its article.
    extended = step(
        world,
        "drafter",
        request,
        Action.EXTEND_PRESERVATION,
        payload=PreservationExtension(days=30),
    )
    assert extended.preservation is not None
    new_expiry = datetime(2026, 5, 11, 22, 0, tzinfo=UTC)
    assert extended.preservation.expires_at() == new_expiry
    clock.advance(new_expiry - clock.now())
    overdue = service.list_requests(world, auditor, ListFilter(overdue_at=clock.now()))
    assert [r.reference for r in overdue.items] == [str(request.reference)]
    assert service.deadlines(world, auditor)[0].state.value == "overdue"
    with pytest.raises(RuleViolationError) as caught:
        step(
            world,
            "drafter",
            extended,
            Action.EXTEND_PRESERVATION,
            payload=PreservationExtension(days=30),
        )
    assert caught.value.problems[0].article == "Art. 42(9)"


def test_a_follow_up_holds_the_preservation_and_both_steps_are_recorded(world: Node) -> None:
    preservation = outgoing(world, "executed", kind=RequestKind.PRESERVATION, author="drafter")
    before = ledger_size(world)
    result = service.follow_up(
        world,
        user(world, "drafter"),
        str(preservation.reference),
        expected_version=preservation.version,
        contents=complete_contents(RequestKind.STORED_DATA_ACCESS),
    )
    assert result.mla.kind is RequestKind.STORED_DATA_ACCESS
    assert result.mla.follows_up == preservation.reference
    assert result.preservation.follow_ups == (result.mla.reference,)
    assert ledger_size(world) == before + 2
    # Once the follow-up has reached the requested State, the preservation is held.
    mla = result.mla
    for who, action in (
        ("drafter", Action.SUBMIT),
        ("approver", Action.APPROVE),
        ("drafter", Action.SEND),
    ):
        mla = step(world, who, mla, action)
    service.record_counterpart_step(
        world, str(mla.reference), Action.RECEIVE, FROM_VNM, at=world.clock.now()
    )
    shown = service.show(world, user(world, "auditor"), str(preservation.reference))
    assert [(d.state.value, str(d.deadline.held_by)) for d in shown.deadlines] == [
        ("held", str(mla.reference))
    ]
    # A held deadline is not due: the list's deadline column leaves it out, and a list of what
    # falls due within a time. The list of open deadlines shows it, as the request does: last.
    page = service.list_requests(world, user(world, "auditor"), ListFilter(kind="preservation"))
    assert [r.next_deadline for r in page.items] == [None]
    listed = service.deadlines(world, user(world, "auditor"))
    assert listed[-1] == shown.deadlines[0]
    assert [s.state.value for s in listed] == ["pending"] * (len(listed) - 1) + ["held"]
    within = service.deadlines(world, user(world, "auditor"), within=timedelta(days=3650))
    assert shown.deadlines[0] not in within


def test_conditions_on_use_are_enforced_until_consent(world: Node) -> None:
    request = outgoing(world, "executed", author="drafter")
    request = service.record_counterpart_step(
        world,
        str(request.reference),
        Action.ATTACH_CONDITIONS,
        FROM_VNM,
        at=world.clock.now(),
        payload=ConditionsAttachment((KeepConfidential(),)),
    )
    examiner = user(world, "examiner")
    export = IntendedUse(UseAction.EXPORT)
    with pytest.raises(UseDeniedError) as caught:
        service.check_intended_use(world, examiner, str(request.reference), export)
    assert [(p.field, p.article) for p in caught.value.problems] == [
        ("keep-confidential", "Art. 40(20)")
    ]
    other = IntendedUse(UseAction.USE_IN_PROCEEDING, proceeding="another case")
    with pytest.raises(UseDeniedError, match=r"Art\. 40\(19\)"):
        service.check_intended_use(world, examiner, str(request.reference), other)
    service.check_intended_use(world, examiner, str(request.reference), IntendedUse(UseAction.OPEN))
    # An auditor reads but never uses; forwarding is an approver's decision.
    with pytest.raises(PermissionDeniedError):
        service.check_intended_use(world, user(world, "auditor"), str(request.reference), export)
    service.record_counterpart_step(
        world,
        str(request.reference),
        Action.CONSENT_TO_USE,
        FROM_VNM,
        at=world.clock.now(),
        payload=UseConsent(
            action=UseAction.EXPORT, granted_by="VNM-CA", granted_at=world.clock.now()
        ),
    )
    service.check_intended_use(world, examiner, str(request.reference), export)


def test_every_decision_on_a_use_is_in_the_ledger_refusals_included(world: Node) -> None:
    request = outgoing(world, "executed", author="drafter")
    request = service.record_counterpart_step(
        world,
        str(request.reference),
        Action.ATTACH_CONDITIONS,
        FROM_VNM,
        at=world.clock.now(),
        payload=ConditionsAttachment((KeepConfidential(),)),
    )
    examiner = user(world, "examiner")
    before = ledger_size(world)
    with pytest.raises(UseDeniedError):
        service.check_intended_use(
            world, examiner, str(request.reference), IntendedUse(UseAction.EXPORT)
        )
    service.check_intended_use(world, examiner, str(request.reference), IntendedUse(UseAction.OPEN))
    history = CustodyLedger(world).history("request", str(request.reference))
    decisions = [CustodyEvent.from_dict(json.loads(e.entry)).details for e in history][-2:]
    assert ledger_size(world) == before + 2
    assert decisions[0]["use"] == "export"
    assert decisions[0]["outcome"] == "refused"
    assert decisions[0]["conditions"] == ["keep-confidential"]
    assert decisions[0]["articles"] == ["Art. 40(20)"]
    assert decisions[1] == {"step": "use-checked", "use": "open", "outcome": "allowed"}


def test_validating_a_document_stores_nothing(world: Node) -> None:
    contents = dict(draft(RequestKind.PRESERVATION).terms.contents)
    del contents["data_to_preserve"]
    result = service.validate_draft(
        world, draft(RequestKind.PRESERVATION, contents=contents, requesting_state="AUT")
    )
    assert not result.valid
    assert [(p.field, p.article) for p in result.report.errors] == [
        ("contents.data_to_preserve", "Art. 42(3)(c)")
    ]
    assert ledger_size(world) == 0
    with pytest.raises(InputError, match="requesting_state"):
        service.validate_draft(world, draft())
    with pytest.raises(InputError, match="ZZZ") as caught:
        service.validate_draft(world, draft(requested_state="ZZZ", requesting_state="AUT"))
    assert caught.value.problems[0].field == "requested_state"


def test_a_state_profile_reads_the_notified_languages(world: Node) -> None:
    profile = service.state_profile(world, "VNM")
    assert profile.zone == "Asia/Ho_Chi_Minh"
    assert profile.languages == service.AUTHENTIC_LANGUAGES
    assert service.state_zone("AUT") == "Europe/Vienna"


def test_the_treaty_data_is_read_once_and_again_after_an_import(
    world: Node, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hanoix.services import treaty
    from hanoix.store import treaty as treaty_store
    from tests.services.test_treaty_service import SHIPPED_STATES, ratifications

    loads: list[int] = []
    real_load = treaty_store.load

    def counting_load(session: Any) -> Any:
        loads.append(1)
        return real_load(session)

    monkeypatch.setattr(treaty_store, "load", counting_load)
    clock.advance(datetime(2027, 7, 1, 9, 0, tzinfo=UTC) - clock.now())
    drafter = user(world, "drafter")
    before = [service.create(world, drafter, draft()).report for _ in range(3)]
    assert len(loads) == 1  # three creations (and their validations), one read
    assert all(r.warnings and r.warnings[0].article == "Art. 65" for r in before)
    # Forty States ratify, Austria and Viet Nam among them (in force from 31 May 2027).
    treaty.import_bytes(world, ratifications(SHIPPED_STATES), treaty.ImportFormat.CSV, name="r.csv")
    after = service.create(world, drafter, draft()).report
    assert [w.article for w in after.warnings] == []
    service.create(world, drafter, draft())
    # The import read the data once itself; requests read it once more, after it.
    assert len(loads) == 3


def test_a_state_profile_is_derived_from_what_the_state_lodged(world: Node) -> None:
    # Issue 12, items 5 and 6: statements kept as lodged; the profile derives what rules need.
    # (Constructed rows for a State that lodged nothing in the shipped data.)
    from hanoix.convention import Art
    from hanoix.services import treaty

    lodged = (
        "participant,action,date,basis,source,text,article\n"
        "KAZ,reservation,2025-10-25,verified,constructed,security measures,"
        "Art. 7(2)\n"
        "KAZ,reservation,2025-10-25,verified,constructed,serious harm,Art. 9(2)\n"
        "KAZ,extradition-authority,2026-02-23,reported,constructed,Ministry of Justice,\n"
        "KAZ,central-authority,2026-02-23,reported,constructed,State Security Service,\n"
    )
    treaty.import_bytes(world, lodged.encode(), treaty.ImportFormat.CSV, name="aze.csv")
    profile = service.state_profile(world, "KAZ")  # a signatory that lodged nothing shipped
    assert profile.extradition_authority == "Ministry of Justice"
    assert profile.central_authority == "State Security Service"
    assert profile.optional_elements == (Art(7, 2), Art(9, 2))
    assert [(s.form, str(s.art)) for s in profile.statements][:2] == [
        ("reservation", "Art. 7(2)"),
        ("reservation", "Art. 9(2)"),
    ]


def test_the_caller_s_authority_comes_from_their_authentication_or_is_read_again(
    world: Node,
) -> None:
    with world.unit_of_work() as session:
        token = auth.issue_token(session, world.clock, auth.user_id(session, "drafter"), "t")
    with world.reading() as session:
        principal = auth.authenticate_token(session, world.clock, token)
    expected = user(world, "drafter")
    assert service.user_from_principal(principal) == expected
    assert service.user_for_principal(world, principal) == expected
    # A principal made without the authority's kind has it read from the authorities table,
    # and an authority gone since is refused.
    bare = replace(principal, authority_kind=None)
    assert service.user_from_principal(bare) is None
    assert service.user_for_principal(world, bare) == expected
    with pytest.raises(PermissionDeniedError, match="authority AUT-XX is gone"):
        service.user_for_principal(world, replace(bare, authority="AUT-XX"))


def test_validating_a_raw_document_reports_every_gap_in_one_pass(world: Node) -> None:
    drafter = user(world, "drafter")
    for kind in RequestKind:
        only_kind = service.validate_document(world, {"kind": kind.value}, user=drafter)
        assert (only_kind.usable, only_kind.valid) == (False, False)
        assert {(p.field or "", p.article, p.basis) for p in only_kind.errors} == only_kind_gaps(
            kind
        )
        with pytest.raises(InputError, match="not usable") as caught:
            only_kind.raise_if_unusable()
        assert caught.value.problems == only_kind.errors
    body = document(RequestKind.PRESERVATION)
    del body["contents"]["necessity"]
    usable = service.validate_document(world, body, user=drafter)
    assert usable.usable and not usable.valid
    assert [p.field for p in usable.errors] == ["contents.necessity"]
    usable.raise_if_unusable()  # usable: nothing to raise
    assert ledger_size(world) == 0
    # The drafting form's answer comes from the same validation.
    check = service.drafting_check(world, body, user=drafter)
    assert check.validation == usable
    assert [p.field for p in check.errors.by_path["contents.necessity"]] == ["contents.necessity"]
    assert check.convention is not None and check.convention.requested_state == "VNM"


def _changes(kind: RequestKind = RequestKind.MLA, **given: Any) -> DraftChanges:
    return EditIn.model_validate(given).payload(kind)


def test_a_drafts_changes_reach_every_field_of_the_document_and_keep_its_reference(
    world: Node,
) -> None:
    request = outgoing(world, "draft", suggested_deadline=date(2026, 12, 20))
    assert (request.requested.state, request.requested.authority) == ("VNM", "VNM-CA")
    before = ledger_size(world)
    edited = step(
        world,
        "editor",
        request,
        Action.EDIT,
        payload=_changes(
            requested_state="ZAF",
            requesting_state="AUT",
            contents={"summary_of_facts": "the servers moved to Johannesburg"},
            dual_criminality=None,
        ),
    )
    # The same draft, addressed anew as a new request to that State would be.
    assert edited.reference == request.reference and edited.version == request.version + 1
    assert (edited.requested.state, edited.requested.authority) == ("ZAF", "ZAF-CA")
    assert edited.requested.zone == "Africa/Johannesburg"
    assert edited.contents["summary_of_facts"] == "the servers moved to Johannesburg"
    assert edited.dual_criminality is None  # null unsets what a new request leaves unset
    assert edited.suggested_deadline == date(2026, 12, 20)  # absent: left as it was
    # One custody event, as any edit records, naming what changed.
    assert ledger_size(world) == before + 1
    assert edited.history[-1].action is Action.EDIT
    assert edited.history[-1].details["changed"] == (
        "dual_criminality;requested;contents:summary_of_facts"
    )
    stored = service.show(world, user(world, "editor"), str(request.reference)).request
    assert stored == edited
    # The authority given is kept; null gives back the default of the requested State.
    named = step(
        world, "editor", edited, Action.EDIT, payload=_changes(requested_authority="ZAF-DOJ")
    )
    assert named.requested.authority == "ZAF-DOJ"
    back = step(
        world,
        "editor",
        named,
        Action.EDIT,
        payload=_changes(requested_authority=None, suggested_deadline=None),
    )
    assert back.requested.authority == "ZAF-CA" and back.suggested_deadline is None


def test_a_drafts_changes_that_cannot_be_made_are_refused_with_their_field(world: Node) -> None:
    request = outgoing(world, "draft")
    before = ledger_size(world)
    for given, field_name in (
        ({"requesting_state": "VNM"}, "requesting_state"),
        ({"requested_state": "XYZ"}, "requested_state"),
        ({"suggested_deadline": "next week"}, "suggested_deadline"),
    ):
        with pytest.raises(InputError) as refused:
            step(world, "editor", request, Action.EDIT, payload=_changes(**given))
        assert [p.field for p in refused.value.problems] == [field_name], given
    assert ledger_size(world) == before
    # Refused as any edit is: another authority of the State, a request no longer a draft,
    # and another State's user, who learns nothing of it.
    with pytest.raises(PermissionDeniedError):
        step(world, "prosecutor", request, Action.EDIT, payload=_changes(requested_state="ZAF"))
    with pytest.raises(NotFoundError):
        step(world, "vnm-clerk", request, Action.EDIT, payload=_changes(requested_state="ZAF"))
    submitted = step(world, "editor", request, Action.SUBMIT)
    with pytest.raises(TransitionError):
        step(world, "editor", submitted, Action.EDIT, payload=_changes(requested_state="XYZ"))
    with pytest.raises(InputError, match="does not take a draft's changes"):
        step(world, "editor", submitted, Action.APPROVE, payload=_changes())


def test_the_drafting_form_opens_only_a_draft_its_user_may_edit(world: Node) -> None:
    request = outgoing(world, "draft")
    reference = str(request.reference)
    assert service.editable_draft(world, user(world, "editor"), reference) == request
    with pytest.raises(PermissionDeniedError):
        service.editable_draft(world, user(world, "prosecutor"), reference)
    with pytest.raises(NotFoundError):
        service.editable_draft(world, user(world, "vnm-clerk"), reference)
    step(world, "editor", request, Action.SUBMIT)
    with pytest.raises(TransitionError, match="'awaiting_approval'"):
        service.editable_draft(world, user(world, "editor"), reference)
