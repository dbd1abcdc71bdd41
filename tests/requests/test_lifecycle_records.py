"""What the lifecycle writes into a request's history for the steps that carry dates, and the
exact refusals of those steps (hanoix.requests.lifecycle): the history is the audit trail, so
its details are asserted, not only the state reached. Dates checked by hand: 60 days from
10 February 2026 end with local 11 April in Hanoi (UTC+7), 17:00 UTC."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from hanoix.convention import RequestKind
from hanoix.errors import InputError, Problem, RuleViolationError
from hanoix.requests import (
    Action,
    Channel,
    ConditionsAttachment,
    CooperationRequest,
    ExecutionReport,
    FollowUpLink,
    LegalBasis,
    NoOnwardTransfer,
    Postponement,
    PreservationExtension,
    Side,
    UseOnlyForProceeding,
    create_follow_up_mla,
    register_incoming,
)
from hanoix.requests.references import RequestReference
from tests.requests.builders import (
    AUT_DRAFTER,
    FROM_VNM,
    PROCEEDING,
    T0,
    VNM_APPROVER,
    VNM_CLERK,
    VNM_NODE,
    drafted,
    ids,
    incoming,
    received,
    sent,
    step,
)


def _started_preservation() -> CooperationRequest:
    request = sent(RequestKind.PRESERVATION)
    for action in (Action.RECEIVE, Action.ACKNOWLEDGE, Action.START_EXECUTION):
        request = step(request, action, FROM_VNM)
    return request


def test_an_executed_preservation_records_its_start_its_days_and_its_end() -> None:
    assert T0.date() == date(2026, 2, 10)
    executed = step(_started_preservation(), Action.EXECUTE, FROM_VNM)
    assert executed.history[-1].details == {
        "preserved_on": "2026-02-10",
        "days": "60",
        "expires_at": "2026-04-11T17:00:00+00:00",
    }


def test_the_day_the_data_was_preserved_counts_when_the_report_gives_it() -> None:
    report = ExecutionReport(preserved_on=date(2026, 2, 8))
    executed = step(_started_preservation(), Action.EXECUTE, FROM_VNM, payload=report)
    assert executed.history[-1].details == {
        "preserved_on": "2026-02-08",
        "days": "60",
        "expires_at": "2026-04-09T17:00:00+00:00",
    }


def test_an_extension_records_its_days_and_the_new_end() -> None:
    executed = step(_started_preservation(), Action.EXECUTE, FROM_VNM)
    extended = step(
        executed, Action.EXTEND_PRESERVATION, FROM_VNM, payload=PreservationExtension(1)
    )
    assert extended.history[-1].details == {
        "days": "1",
        "expires_at": "2026-04-12T17:00:00+00:00",
    }


def test_an_extension_of_no_day_is_refused() -> None:
    executed = step(_started_preservation(), Action.EXECUTE, FROM_VNM)
    with pytest.raises(InputError, match=r"^an extension adds at least one day, got 0$"):
        step(executed, Action.EXTEND_PRESERVATION, FROM_VNM, payload=PreservationExtension(0))


def test_an_extension_is_asked_before_the_period_ends_to_the_instant() -> None:
    executed = step(_started_preservation(), Action.EXECUTE, FROM_VNM)
    ends = T0.replace(month=4, day=11, hour=17)
    last_moment = ends - timedelta(microseconds=1)
    step(
        executed,
        Action.EXTEND_PRESERVATION,
        FROM_VNM,
        last_moment,
        payload=PreservationExtension(5),
    )
    with pytest.raises(RuleViolationError) as refused:
        step(executed, Action.EXTEND_PRESERVATION, FROM_VNM, ends, payload=PreservationExtension(5))
    assert list(refused.value.problems) == [
        Problem("the preservation period has already ended", field="days", article="Art. 42(9)")
    ]


def test_a_postponement_without_a_reason_is_refused_citing_its_rule() -> None:
    request = received(sent())
    for action in (Action.ACKNOWLEDGE, Action.START_EXECUTION):
        request = step(request, action, VNM_CLERK)
    decision = Postponement(until=date(2026, 3, 1), reason="  ")
    with pytest.raises(RuleViolationError) as refused:
        step(request, Action.POSTPONE, VNM_APPROVER, payload=decision)
    assert list(refused.value.problems) == [
        Problem("say why execution is postponed", field="reason", article="Art. 40(26)")
    ]
    postponed = step(
        request, Action.POSTPONE, VNM_APPROVER, payload=Postponement(date(2026, 3, 1), "trial")
    )
    assert postponed.history[-1].details == {"until": "2026-03-01"}


def test_a_registered_request_records_its_kind_its_sender_and_what_it_follows_up() -> None:
    copy = received(sent())
    (entry,) = copy.history
    assert (entry.action, entry.side, entry.from_status) == (Action.REGISTER, Side.REQUESTED, None)
    assert entry.details == {"kind": "mla", "requesting_state": "AUT"}
    preservation = RequestReference.parse("AUT-2026-000042")
    follow_up = received(replace(sent(), follows_up=preservation))
    assert follow_up.history[0].details == {
        "kind": "mla",
        "requesting_state": "AUT",
        "follows_up": "AUT-2026-000042",
    }


def test_a_request_between_one_state_and_itself_or_too_long_is_not_registered() -> None:
    spec = incoming(sent())
    to_itself = replace(spec, requested=replace(spec.requested, state="AUT"))
    with pytest.raises(
        InputError, match=r"^the requesting and requested States of a request must differ$"
    ):
        register_incoming(to_itself, actor=VNM_NODE, at=T0, new_id=ids("in"))
    too_long = replace(spec, terms=replace(spec.terms, proceeding="p" * 2001))
    with pytest.raises(InputError, match=r"^the request is too large to send: proceeding: "):
        register_incoming(too_long, actor=VNM_NODE, at=T0, new_id=ids("in"))
    with pytest.raises(InputError, match=r"^the time of receipt must be timezone-aware"):
        register_incoming(spec, actor=VNM_NODE, at=T0.replace(tzinfo=None), new_id=ids("in"))


def test_the_follow_up_carries_the_preservations_terms_but_not_its_urgency_or_period() -> None:
    preservation = sent(
        RequestKind.PRESERVATION,
        urgent=True,
        restricted=True,
        language="vi",
        legal_basis_other="bilateral treaty of 1990",
        convention_offence=True,
        dual_criminality=True,
        preservation_days=90,
    )
    follow_up = create_follow_up_mla(
        preservation, author=AUT_DRAFTER, at=T0, new_id=ids("mla"), sequence=2
    )
    mla = follow_up.mla.request
    assert mla.channel is Channel.CENTRAL_AUTHORITY
    assert (mla.urgent, mla.preservation_days, mla.suggested_deadline) == (False, None, None)
    assert (mla.restricted, mla.language, mla.proceeding) == (True, "vi", preservation.proceeding)
    assert mla.legal_basis_other == "bilateral treaty of 1990"
    assert (mla.convention_offence, mla.dual_criminality) == (True, True)
    assert mla.follows_up == preservation.reference
    with pytest.raises(
        InputError, match=r"^a follow-up request is drafted on the requesting side's copy$"
    ):
        create_follow_up_mla(
            received(preservation), author=AUT_DRAFTER, at=T0, new_id=ids("mla"), sequence=3
        )


def _acknowledged_copy() -> CooperationRequest:
    return step(received(sent()), Action.ACKNOWLEDGE, VNM_CLERK)


def test_attached_conditions_are_recorded_by_their_codes() -> None:
    conditions = (UseOnlyForProceeding(PROCEEDING), NoOnwardTransfer())
    attached = step(
        _acknowledged_copy(),
        Action.ATTACH_CONDITIONS,
        VNM_APPROVER,
        payload=ConditionsAttachment(conditions),
    )
    assert attached.history[-1].details == {
        "conditions": "use-only-for-proceeding,no-onward-transfer"
    }
    with pytest.raises(InputError, match=r"^attach at least one condition$"):
        step(
            _acknowledged_copy(),
            Action.ATTACH_CONDITIONS,
            VNM_APPROVER,
            payload=ConditionsAttachment(()),
        )


def test_a_draft_records_who_drafted_it_when_and_on_which_basis() -> None:
    plain = drafted()
    assert (plain.drafted_by, plain.created_at, plain.legal_basis) == (
        AUT_DRAFTER.id,
        T0,
        LegalBasis.CONVENTION,
    )
    other = drafted(legal_basis_other="bilateral treaty of 1990")
    assert other.legal_basis is LegalBasis.OTHER
    with pytest.raises(InputError, match=r"^the request is too large to send: proceeding: "):
        drafted(proceeding="p" * 2001)
    with pytest.raises(InputError, match=r"^the request is too large to send: legal_basis_other: "):
        drafted(legal_basis_other="b" * 2001)
    with pytest.raises(InputError, match=r"^the time of drafting must be timezone-aware"):
        drafted(at=T0.replace(tzinfo=None))


def test_a_follow_up_is_linked_once_and_never_to_the_preservation_itself() -> None:
    preservation = sent(RequestKind.PRESERVATION)
    mla = RequestReference.parse("AUT-2026-000077")
    linked = step(
        preservation, Action.LINK_FOLLOW_UP, AUT_DRAFTER, payload=FollowUpLink(reference=mla)
    )
    assert linked.history[-1].details == {"follow_up": "AUT-2026-000077"}
    assert linked.follow_ups == (mla,)
    for again in (mla, preservation.reference):
        with pytest.raises(InputError, match=rf"^{again} is already linked to "):
            step(linked, Action.LINK_FOLLOW_UP, AUT_DRAFTER, payload=FollowUpLink(reference=again))
