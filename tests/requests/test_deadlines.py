"""Deadlines: preservation periods on local calendars across DST, warnings, extensions, the
follow-up MLA request that holds a preservation, urgent expectations, and the due list."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hanoix.convention import RequestKind
from hanoix.errors import InputError, RuleViolationError
from hanoix.requests import (
    URGENT_EXPECTATIONS,
    Action,
    ConditionsAttachment,
    CooperationRequest,
    Deadline,
    DeadlineKind,
    DeadlinePolicy,
    DeadlineState,
    DeleteBy,
    ExecutionReport,
    FollowUp,
    OwnerKind,
    Party,
    Postponement,
    Preservation,
    PreservationExtension,
    Refusal,
    RetentionConsent,
    Role,
    Status,
    User,
    apply,
    create_follow_up_mla,
    deadlines_due,
    deadlines_for,
)
from tests.requests.builders import (
    AUT_APPROVER,
    AUT_CA,
    AUT_DRAFTER,
    AUT_PARTY,
    FROM_VNM,
    T0,
    VNM_APPROVER,
    VNM_CLERK,
    VNM_PARTY,
    ZAF_CA,
    ZAF_PARTY,
    ids,
    received,
    sent,
    step,
    user,
)

VIENNA = ZoneInfo("Europe/Vienna")
HCMC = ZoneInfo("Asia/Ho_Chi_Minh")
JOHANNESBURG = ZoneInfo("Africa/Johannesburg")
ZAF_CLERK = user("zaf.clerk", ZAF_CA, Role.DRAFTER)
ZAF_APPROVER = user("zaf.approver", ZAF_CA, Role.APPROVER)

PRESERVED_ON = date(2026, 2, 10)


def _executed_at_requested(
    requesting: Party,
    requested: Party,
    author: User,
    approver: User,
    executor: User,
    *,
    preserved_on: date = PRESERVED_ON,
    **overrides: Any,
) -> CooperationRequest:
    """The requested State's copy of a preservation it has executed."""
    copy = received(
        sent(
            RequestKind.PRESERVATION,
            author=author,
            approver=approver,
            requesting=requesting,
            requested=requested,
            **overrides,
        )
    )
    for action in (Action.ACKNOWLEDGE, Action.START_EXECUTION):
        copy = step(copy, action, executor)
    return step(copy, Action.EXECUTE, executor, payload=ExecutionReport(preserved_on=preserved_on))


def _requesting_copy_executed(**overrides: Any) -> CooperationRequest:
    """The requesting State's (AUT's) copy of a preservation VNM executed on 10 February."""
    request = sent(RequestKind.PRESERVATION, **overrides)
    for action in (Action.RECEIVE, Action.ACKNOWLEDGE, Action.START_EXECUTION):
        request = step(request, action, FROM_VNM)
    return step(
        request, Action.EXECUTE, FROM_VNM, payload=ExecutionReport(preserved_on=PRESERVED_ON)
    )


def _expiry(
    request: CooperationRequest, others: list[CooperationRequest] | None = None
) -> Deadline:
    found = [
        d
        for d in deadlines_for(request, others or [request])
        if d.kind is DeadlineKind.PRESERVATION_EXPIRY
    ]
    assert len(found) == 1
    return found[0]


# --- the period on local calendars -----------------------------------------------------------


def test_sixty_days_preserved_in_vienna_end_on_the_right_day_after_the_dst_change() -> None:
    # VNM asks AUT to preserve; AUT preserves on 10 February (CET); DST starts 29 March.
    copy = _executed_at_requested(
        VNM_PARTY, AUT_PARTY, VNM_CLERK, VNM_APPROVER, user("aut.clerk", AUT_CA, Role.DRAFTER)
    )
    deadline = _expiry(copy)
    assert deadline.due == datetime(2026, 4, 11, 22, 0, tzinfo=UTC)
    local = deadline.local_due()
    assert local["AUT"] == datetime(2026, 4, 12, 0, 0, tzinfo=VIENNA)
    assert local["AUT"].utcoffset() == timedelta(hours=2)
    assert local["VNM"] == datetime(2026, 4, 12, 5, 0, tzinfo=HCMC)
    assert deadline.article is not None and str(deadline.article) == "Art. 42(8)"


@pytest.mark.parametrize(
    ("requested", "state", "due"),
    [
        (VNM_PARTY, "VNM", datetime(2026, 4, 11, 17, 0, tzinfo=UTC)),
        (ZAF_PARTY, "ZAF", datetime(2026, 4, 11, 22, 0, tzinfo=UTC)),
    ],
)
def test_the_period_runs_on_the_calendar_of_the_state_that_preserves(
    requested: Party, state: str, due: datetime
) -> None:
    executor = VNM_CLERK if state == "VNM" else ZAF_CLERK
    copy = _executed_at_requested(AUT_PARTY, requested, AUT_DRAFTER, AUT_APPROVER, executor)
    assert _expiry(copy).due == due


def test_preserved_on_defaults_to_the_local_day_of_the_step() -> None:
    # 20:00 UTC on 10 February is 11 February in Ho Chi Minh City.
    request = received(sent(RequestKind.PRESERVATION))
    for action in (Action.ACKNOWLEDGE, Action.START_EXECUTION):
        request = step(request, action, VNM_CLERK)
    late = datetime(2026, 2, 10, 20, 0, tzinfo=UTC)
    request = step(request, Action.EXECUTE, VNM_CLERK, at=late)
    assert request.preservation is not None
    assert request.preservation.starts_on == date(2026, 2, 11)


def test_a_longer_period_asked_for_is_kept_and_the_minimum_is_the_floor() -> None:
    longer = _requesting_copy_executed(preservation_days=90)
    assert longer.preservation is not None and longer.preservation.days == 90
    plain = _requesting_copy_executed()
    assert plain.preservation is not None and plain.preservation.days == 60


def test_both_copies_agree_on_the_expiry() -> None:
    requesting = _requesting_copy_executed()
    requested = _executed_at_requested(AUT_PARTY, VNM_PARTY, AUT_DRAFTER, AUT_APPROVER, VNM_CLERK)
    assert _expiry(requesting).due == _expiry(requested).due


# --- warning, overdue, extension -------------------------------------------------------------


def test_preservation_warns_within_the_window_then_is_overdue() -> None:
    request = _requesting_copy_executed()
    due = datetime(2026, 4, 11, 17, 0, tzinfo=UTC)  # end of 11 April in Ho Chi Minh City

    def state(now: datetime, policy: DeadlinePolicy | None = None) -> DeadlineState:
        kwargs = {"policy": policy} if policy else {}
        [status] = deadlines_due([request], now, **kwargs)  # type: ignore[arg-type]
        return status.state

    assert state(due - timedelta(days=10, minutes=1)) is DeadlineState.RUNNING
    assert state(due - timedelta(days=10)) is DeadlineState.WARNING
    assert state(due - timedelta(minutes=1)) is DeadlineState.WARNING
    assert state(due) is DeadlineState.OVERDUE
    three_days = DeadlinePolicy(warning_window=timedelta(days=3))
    assert state(due - timedelta(days=4), three_days) is DeadlineState.RUNNING
    [overdue] = deadlines_due([request], due + timedelta(hours=5))
    assert overdue.time_left == timedelta(hours=-5)


def test_extension_is_a_recorded_step_with_a_new_expiry() -> None:
    request = _executed_at_requested(AUT_PARTY, VNM_PARTY, AUT_DRAFTER, AUT_APPROVER, VNM_CLERK)
    outcome = apply(
        request,
        Action.EXTEND_PRESERVATION,
        VNM_APPROVER,
        T0 + timedelta(days=50),
        payload=PreservationExtension(days=30, reason="MLA request being translated"),
    )
    extended = outcome.request
    assert extended.status is Status.EXECUTED
    assert extended.history[-1].action is Action.EXTEND_PRESERVATION
    assert outcome.event.details["expires_at"] == "2026-05-11T17:00:00+00:00"
    assert _expiry(extended).due == datetime(2026, 5, 11, 17, 0, tzinfo=UTC)
    assert extended.preservation is not None and extended.preservation.total_days == 90


def test_extension_after_the_period_ended_is_refused_citing_42_9() -> None:
    request = _executed_at_requested(AUT_PARTY, VNM_PARTY, AUT_DRAFTER, AUT_APPROVER, VNM_CLERK)
    with pytest.raises(RuleViolationError, match=r"Art\. 42\(9\)"):
        apply(
            request,
            Action.EXTEND_PRESERVATION,
            VNM_APPROVER,
            datetime(2026, 4, 12, tzinfo=UTC),
            payload=PreservationExtension(days=30),
        )


def test_only_a_running_preservation_can_be_extended() -> None:
    mla = received(sent())
    for action in (Action.ACKNOWLEDGE, Action.START_EXECUTION, Action.EXECUTE):
        mla = step(mla, action, VNM_CLERK)
    with pytest.raises(InputError, match="no running preservation"):
        apply(mla, Action.EXTEND_PRESERVATION, VNM_APPROVER, T0, payload=PreservationExtension(10))


# --- the follow-up MLA request (Art. 42(8)) --------------------------------------------------


def _follow_up(preservation: CooperationRequest) -> FollowUp:
    return create_follow_up_mla(
        preservation, author=AUT_DRAFTER, at=T0 + timedelta(days=20), new_id=ids("mla"), sequence=2
    )


def test_a_follow_up_mla_request_is_drafted_from_the_preservation_in_one_call() -> None:
    preservation = _requesting_copy_executed()
    follow_up = _follow_up(preservation)
    mla = follow_up.mla.request
    linked = follow_up.preservation.request
    assert mla.status is Status.DRAFT
    assert mla.kind is RequestKind.STORED_DATA_ACCESS
    assert mla.follows_up == preservation.reference
    assert str(mla.reference) == "AUT-2026-000002"
    assert linked.follow_ups == (mla.reference,)
    assert linked.status is preservation.status
    assert linked.history[-1].action is Action.LINK_FOLLOW_UP
    # Contents the two kinds share are carried over; the rest is left to the drafter.
    assert mla.contents["requesting_authority"] == preservation.contents["requesting_authority"]
    assert mla.contents["summary_of_facts"] == preservation.contents["summary_of_facts"]
    assert "necessity" not in mla.contents
    assert mla.contents["preservation_reference"] == str(preservation.reference)
    assert follow_up.mla.event.details["follows_up"] == str(preservation.reference)


def test_the_preservation_is_held_once_the_follow_up_has_been_received() -> None:
    preservation = _requesting_copy_executed()
    follow_up = _follow_up(preservation)
    linked, mla = follow_up.preservation.request, follow_up.mla.request
    due = datetime(2026, 4, 11, 17, 0, tzinfo=UTC)
    # Drafted but not received: the preservation still ends on its date.
    assert _expiry(linked, [linked, mla]).due == due

    mla = sent(RequestKind.STORED_DATA_ACCESS, follows_up=preservation.reference, sequence=2)
    mla = step(mla, Action.RECEIVE, FROM_VNM, at=T0 + timedelta(days=30))
    held = _expiry(linked, [linked, mla])
    assert held.due is None
    assert held.held_by == mla.reference
    [status] = deadlines_due([linked, mla], datetime(2026, 6, 1, tzinfo=UTC))
    assert status.state is DeadlineState.HELD
    assert status.time_left is None

    # A decision ends the hold: the preservation ends at the later of its date and the decision.
    refused_late = apply(
        mla,
        Action.REFUSE,
        FROM_VNM,
        datetime(2026, 5, 2, 8, 0, tzinfo=UTC),
        payload=Refusal(("domestic-law-bar",), "r"),
    ).request
    assert _expiry(linked, [linked, refused_late]).due == datetime(2026, 5, 2, 8, 0, tzinfo=UTC)
    refused_early = apply(
        mla,
        Action.REFUSE,
        FROM_VNM,
        T0 + timedelta(days=31),
        payload=Refusal(("domestic-law-bar",), "r"),
    ).request
    assert _expiry(linked, [linked, refused_early]).due == due


def test_the_requested_node_links_the_follow_up_by_its_reference() -> None:
    # On VNM's node the preservation was never linked by a step; the MLA's follows_up links it.
    preservation = _executed_at_requested(
        AUT_PARTY, VNM_PARTY, AUT_DRAFTER, AUT_APPROVER, VNM_CLERK
    )
    mla = received(
        sent(RequestKind.STORED_DATA_ACCESS, follows_up=preservation.reference, sequence=2)
    )
    assert _expiry(preservation, [preservation, mla]).due is None


def test_only_preservations_have_follow_ups() -> None:
    with pytest.raises(InputError, match="only a preservation"):
        create_follow_up_mla(sent(), author=AUT_DRAFTER, at=T0, new_id=ids(), sequence=2)


def test_the_follow_up_is_one_of_the_declared_kinds() -> None:
    preservation = _requesting_copy_executed()
    with pytest.raises(InputError, match="stored-data-access"):
        create_follow_up_mla(
            preservation,
            author=AUT_DRAFTER,
            at=T0,
            new_id=ids(),
            sequence=2,
            kind=RequestKind.EXTRADITION,
        )
    general = create_follow_up_mla(
        preservation, author=AUT_DRAFTER, at=T0, new_id=ids(), sequence=2, kind=RequestKind.MLA
    )
    assert general.mla.request.kind is RequestKind.MLA


# --- urgent requests -------------------------------------------------------------------------


def test_urgent_requests_carry_the_24_7_expectations_as_node_policy() -> None:
    request = sent(RequestKind.PRESERVATION, urgent=True)
    kinds = {d.kind: d for d in deadlines_for(request)}
    ack = kinds[DeadlineKind.URGENT_ACKNOWLEDGEMENT]
    response = kinds[DeadlineKind.URGENT_RESPONSE]
    assert ack.due == T0 + timedelta(hours=4)
    assert response.due == T0 + timedelta(hours=24)
    assert "node policy" in ack.basis and "sets no response time" in ack.basis
    assert str(ack.article) == "Art. 41(1)"
    assert (ack.owner.kind, ack.owner.id, ack.owner.state) == (OwnerKind.AUTHORITY, "VNM-CA", "VNM")
    assert all(e.basis.startswith("node policy") for e in URGENT_EXPECTATIONS)

    acknowledged = step(step(request, Action.RECEIVE, FROM_VNM), Action.ACKNOWLEDGE, FROM_VNM)
    assert {d.kind for d in deadlines_for(acknowledged)} == {DeadlineKind.URGENT_RESPONSE}
    answered = step(acknowledged, Action.START_EXECUTION, FROM_VNM)
    assert deadlines_for(answered) == []


def test_urgent_clock_starts_at_registration_on_the_requested_node() -> None:
    later = T0 + timedelta(hours=2)
    copy = received(sent(urgent=True), at=later)
    kinds = {d.kind: d.due for d in deadlines_for(copy)}
    assert kinds[DeadlineKind.URGENT_ACKNOWLEDGEMENT] == later + timedelta(hours=4)
    # The expectation falls on this node's own authority.
    owner = deadlines_for(copy)[0].owner
    assert (owner.kind, owner.id) == (OwnerKind.AUTHORITY, "VNM-CA")


def test_requests_not_urgent_have_no_such_expectation() -> None:
    assert deadlines_for(sent()) == []


# --- other deadlines -------------------------------------------------------------------------


def test_postponement_end_in_johannesburg() -> None:
    copy = received(
        sent(
            requested=ZAF_PARTY,
            author=AUT_DRAFTER,
            approver=AUT_APPROVER,
        )
    )
    copy = step(copy, Action.ACKNOWLEDGE, ZAF_CLERK)
    copy = step(
        copy,
        Action.POSTPONE,
        ZAF_APPROVER,
        payload=Postponement(until=date(2026, 3, 29), reason="interferes with our case"),
    )
    [deadline] = deadlines_for(copy)
    assert deadline.kind is DeadlineKind.POSTPONED_UNTIL
    # South Africa keeps UTC+2 all year; Vienna has moved to summer time by the next midnight.
    assert deadline.due == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert deadline.local_due()["ZAF"] == datetime(2026, 3, 30, 0, 0, tzinfo=JOHANNESBURG)
    assert deadline.local_due()["AUT"] == datetime(2026, 3, 30, 0, 0, tzinfo=VIENNA)
    # Nobody on the requested node owns the copy yet: its authority does.
    assert (deadline.owner.kind, deadline.owner.id) == (OwnerKind.AUTHORITY, "ZAF-CA")


def test_suggested_execution_date_is_the_requested_sides_deadline() -> None:
    request = sent(suggested_deadline=date(2026, 3, 15))
    [deadline] = deadlines_for(request)
    assert deadline.kind is DeadlineKind.SUGGESTED_EXECUTION
    assert deadline.due == datetime(2026, 3, 15, 23, 0, tzinfo=UTC)  # end of day in Vienna
    assert deadline.owner.state == "VNM"


def test_deletion_date_and_retention_consent() -> None:
    request = step(sent(), Action.RECEIVE, FROM_VNM)
    request = step(request, Action.ACKNOWLEDGE, FROM_VNM)
    request = step(
        request,
        Action.ATTACH_CONDITIONS,
        FROM_VNM,
        payload=ConditionsAttachment((DeleteBy(on=date(2026, 12, 31)),)),
    )
    [deadline] = deadlines_for(request)
    assert deadline.kind is DeadlineKind.DELETE_BY
    # Read in both calendars, the earlier end counts: Ho Chi Minh City's.
    assert deadline.due == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    assert (deadline.owner.kind, deadline.owner.id) == (OwnerKind.USER, "aut.drafter")
    request = step(request, Action.START_EXECUTION, FROM_VNM)
    request = step(
        request,
        Action.CONSENT_TO_USE,
        FROM_VNM,
        payload=RetentionConsent(until=date(2027, 6, 30), granted_by="VNM-CA", granted_at=T0),
    )
    [deadline] = deadlines_for(request)
    assert deadline.due == datetime(2027, 6, 30, 17, 0, tzinfo=UTC)


# --- the due list ----------------------------------------------------------------------------


def test_deadlines_due_lists_overdue_first_then_soonest_then_held() -> None:
    now = datetime(2026, 4, 20, tzinfo=UTC)
    overdue_old = _requesting_copy_executed()  # ended 11 April
    urgent = sent(urgent=True, sequence=5, at=now - timedelta(hours=1))  # ack due in 3 h
    later = sent(suggested_deadline=date(2026, 6, 1), sequence=6)
    # Linked only through the follow-up's reference, as on a node that never drafted it.
    held_preservation = _requesting_copy_executed(sequence=7)
    held_mla = step(
        sent(RequestKind.STORED_DATA_ACCESS, follows_up=held_preservation.reference, sequence=8),
        Action.RECEIVE,
        FROM_VNM,
    )
    listed = deadlines_due([later, held_preservation, urgent, overdue_old, held_mla], now)
    order = [(str(s.deadline.reference), s.deadline.kind, s.state) for s in listed]
    assert order == [
        ("AUT-2026-000001", DeadlineKind.PRESERVATION_EXPIRY, DeadlineState.OVERDUE),
        ("AUT-2026-000005", DeadlineKind.URGENT_ACKNOWLEDGEMENT, DeadlineState.RUNNING),
        ("AUT-2026-000005", DeadlineKind.URGENT_RESPONSE, DeadlineState.RUNNING),
        ("AUT-2026-000006", DeadlineKind.SUGGESTED_EXECUTION, DeadlineState.RUNNING),
        ("AUT-2026-000007", DeadlineKind.PRESERVATION_EXPIRY, DeadlineState.HELD),
    ]
    assert listed[0].time_left is not None and listed[0].time_left < timedelta(0)
    assert all(s.local or s.state is DeadlineState.HELD for s in listed)

    soon = deadlines_due([later, urgent, overdue_old], now, within=timedelta(days=2))
    assert [s.deadline.kind for s in soon] == [
        DeadlineKind.PRESERVATION_EXPIRY,
        DeadlineKind.URGENT_ACKNOWLEDGEMENT,
        DeadlineKind.URGENT_RESPONSE,
    ]


def test_every_deadline_has_an_owner() -> None:
    request = sent(suggested_deadline=date(2026, 3, 15), urgent=True)
    for deadline in deadlines_for(request):
        assert deadline.owner.id
        assert deadline.owner.kind in (OwnerKind.USER, OwnerKind.AUTHORITY)


def test_closed_and_withdrawn_requests_have_no_open_deadlines() -> None:
    request = sent(urgent=True)
    withdrawn = apply(request, Action.WITHDRAW, AUT_DRAFTER, T0, note="solved").request
    assert deadlines_for(withdrawn) == []


def test_naive_now_is_refused() -> None:
    with pytest.raises(InputError):
        deadlines_due([], datetime(2026, 1, 1))


@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2040, 12, 31)),
    extensions=st.lists(st.integers(1, 120), max_size=3),
    zone=st.sampled_from(["Europe/Vienna", "Asia/Ho_Chi_Minh", "Africa/Johannesburg"]),
)
def test_any_preservation_ends_at_local_midnight_after_its_last_day(
    start: date, extensions: list[int], zone: str
) -> None:
    preservation = Preservation(
        starts_on=start,
        zone=zone,
        days=60,
        extensions=tuple(PreservationExtension(days=d) for d in extensions),
    )
    local = preservation.expires_at().astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute) == (0, 0)
    assert local.date() == start + timedelta(days=60 + sum(extensions) + 1)
    assert preservation.expires_at().tzinfo is UTC


# --- results asserted: the order, the boundaries, who must act and why -----------------------


def _suggested(day: date, sequence: int) -> CooperationRequest:
    """AUT's request to VNM with a suggested execution date (due at the end of the day in
    Vienna, the requesting State's calendar)."""
    return sent(suggested_deadline=day, sequence=sequence)


def test_the_most_overdue_comes_first_then_the_soonest_whatever_the_input_order() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    long_overdue = _suggested(date(2026, 3, 1), 1)
    just_overdue = _suggested(date(2026, 4, 20), 2)
    warning = _suggested(date(2026, 5, 5), 3)
    running = _suggested(date(2026, 7, 1), 4)
    expected = [
        ("AUT-2026-000001", DeadlineState.OVERDUE),
        ("AUT-2026-000002", DeadlineState.OVERDUE),
        ("AUT-2026-000003", DeadlineState.WARNING),
        ("AUT-2026-000004", DeadlineState.RUNNING),
    ]
    for pool in (
        [running, warning, just_overdue, long_overdue],
        [long_overdue, just_overdue, warning, running],
        [warning, long_overdue, running, just_overdue],
    ):
        listed = deadlines_due(pool, now)
        assert [(str(s.deadline.reference), s.state) for s in listed] == expected


def test_deadlines_due_at_the_same_instant_are_listed_by_reference() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    same_day = [_suggested(date(2026, 4, 1), n) for n in (9, 7, 8)]
    listed = deadlines_due(same_day, now)
    assert [str(s.deadline.reference) for s in listed] == [
        "AUT-2026-000007",
        "AUT-2026-000008",
        "AUT-2026-000009",
    ]
    overdue = deadlines_due(same_day, datetime(2026, 5, 1, tzinfo=UTC))
    assert [str(s.deadline.reference) for s in overdue] == [
        "AUT-2026-000007",
        "AUT-2026-000008",
        "AUT-2026-000009",
    ]


def test_a_held_deadline_comes_after_one_due_long_after_now() -> None:
    now = datetime(2026, 4, 20, tzinfo=UTC)
    held_preservation = _requesting_copy_executed(sequence=7)
    held_mla = step(
        sent(RequestKind.STORED_DATA_ACCESS, follows_up=held_preservation.reference, sequence=8),
        Action.RECEIVE,
        FROM_VNM,
    )
    far = _suggested(date(2027, 1, 1), 1)
    listed = deadlines_due([held_mla, held_preservation, far], now)
    assert [(str(s.deadline.reference), s.state) for s in listed] == [
        ("AUT-2026-000001", DeadlineState.RUNNING),
        ("AUT-2026-000007", DeadlineState.HELD),
    ]


# The suggested date 15 March 2026 ends at midnight in Vienna: 23:00 UTC.
_DUE_15_MARCH = datetime(2026, 3, 15, 23, 0, tzinfo=UTC)


def test_within_keeps_a_deadline_due_exactly_at_its_end_and_drops_one_a_second_later() -> None:
    request = _suggested(date(2026, 3, 15), 1)
    now = _DUE_15_MARCH - timedelta(days=20)
    [kept] = deadlines_due([request], now, within=timedelta(days=20))
    assert kept.deadline.due == _DUE_15_MARCH
    assert deadlines_due([request], now, within=timedelta(days=20) - timedelta(seconds=1)) == []


def test_within_always_keeps_the_overdue_and_never_the_held() -> None:
    now = datetime(2026, 4, 20, tzinfo=UTC)
    overdue = _suggested(date(2026, 3, 15), 1)
    held_preservation = _requesting_copy_executed(sequence=7)
    held_mla = step(
        sent(RequestKind.STORED_DATA_ACCESS, follows_up=held_preservation.reference, sequence=8),
        Action.RECEIVE,
        FROM_VNM,
    )
    listed = deadlines_due([overdue, held_preservation, held_mla], now, within=timedelta(0))
    assert [(str(s.deadline.reference), s.state) for s in listed] == [
        ("AUT-2026-000001", DeadlineState.OVERDUE)
    ]
    far = deadlines_due([held_preservation, held_mla], now, within=timedelta(days=10_000))
    assert far == []


@pytest.mark.parametrize(
    ("before_due", "state"),
    [
        (timedelta(days=10, seconds=1), DeadlineState.RUNNING),
        (timedelta(days=10), DeadlineState.WARNING),  # the window's end is inside it
        (timedelta(seconds=1), DeadlineState.WARNING),
        (timedelta(0), DeadlineState.OVERDUE),  # due now is overdue
        (-timedelta(seconds=1), DeadlineState.OVERDUE),
    ],
)
def test_the_default_window_is_ten_days_and_a_deadline_due_now_is_overdue(
    before_due: timedelta, state: DeadlineState
) -> None:
    [status] = deadlines_due([_suggested(date(2026, 3, 15), 1)], _DUE_15_MARCH - before_due)
    assert status.state is state
    assert status.time_left == before_due


@pytest.mark.parametrize(
    ("kind", "due_after", "window"),
    [
        (DeadlineKind.URGENT_ACKNOWLEDGEMENT, timedelta(hours=4), timedelta(hours=1)),
        (DeadlineKind.URGENT_RESPONSE, timedelta(hours=24), timedelta(hours=4)),
    ],
)
def test_urgent_expectations_have_windows_of_their_own(
    kind: DeadlineKind, due_after: timedelta, window: timedelta
) -> None:
    request = sent(urgent=True)
    due = T0 + due_after

    def state_at(now: datetime) -> DeadlineState:
        return next(s.state for s in deadlines_due([request], now) if s.deadline.kind is kind)

    assert state_at(due - window - timedelta(seconds=1)) is DeadlineState.RUNNING
    assert state_at(due - window) is DeadlineState.WARNING
    assert state_at(due) is DeadlineState.OVERDUE
    assert DeadlinePolicy().window(kind) == window
    assert DeadlinePolicy().window(DeadlineKind.SUGGESTED_EXECUTION) == timedelta(days=10)


def test_a_policy_of_its_own_changes_the_window() -> None:
    policy = DeadlinePolicy(warning_window=timedelta(days=30))
    [status] = deadlines_due(
        [_suggested(date(2026, 3, 15), 1)], _DUE_15_MARCH - timedelta(days=25), policy=policy
    )
    assert status.state is DeadlineState.WARNING


_ZONES = {"AUT": "Europe/Vienna", "VNM": "Asia/Ho_Chi_Minh"}


def _facts(deadline: Deadline) -> tuple[object, ...]:
    return (
        deadline.kind,
        deadline.request_id,
        str(deadline.reference),
        deadline.label,
        (deadline.owner.kind, deadline.owner.id, deadline.owner.state),
        str(deadline.article),
        deadline.basis,
        dict(deadline.zones),
    )


def test_each_deadline_says_whose_it_is_on_which_request_and_on_what_basis() -> None:
    urgent = sent(urgent=True, suggested_deadline=date(2026, 3, 15))
    assert [_facts(d) for d in deadlines_for(urgent)] == [
        (
            DeadlineKind.URGENT_ACKNOWLEDGEMENT,
            "req-1",
            "AUT-2026-000001",
            "acknowledge the urgent request",
            (OwnerKind.AUTHORITY, "VNM-CA", "VNM"),
            "Art. 41(1)",
            URGENT_EXPECTATIONS[0].basis,
            _ZONES,
        ),
        (
            DeadlineKind.URGENT_RESPONSE,
            "req-1",
            "AUT-2026-000001",
            "first answer to the urgent request (executing, preserving, asking, refusing)",
            (OwnerKind.AUTHORITY, "VNM-CA", "VNM"),
            "Art. 41(3)",
            URGENT_EXPECTATIONS[1].basis,
            _ZONES,
        ),
        (
            DeadlineKind.SUGGESTED_EXECUTION,
            "req-1",
            "AUT-2026-000001",
            "execution date suggested by the requesting State",
            (OwnerKind.AUTHORITY, "VNM-CA", "VNM"),
            "Art. 40(25)",  # UNTOC 18(24), shifted by one by the persecution clause
            "Convention (take full account of the suggested date)",
            _ZONES,
        ),
    ]
    assert URGENT_EXPECTATIONS[0].basis.startswith("node policy: the Convention sets no")
    assert "Art. 41(3) lists" in URGENT_EXPECTATIONS[1].basis

    preservation = _requesting_copy_executed()
    assert [_facts(d) for d in deadlines_for(preservation)] == [
        (
            DeadlineKind.PRESERVATION_EXPIRY,
            "req-1",
            "AUT-2026-000001",
            "preservation ends (at least 60 days)",
            (OwnerKind.USER, "aut.drafter", "AUT"),
            "Art. 42(8)",
            "Convention",
            _ZONES,
        )
    ]


def test_a_held_preservation_names_the_request_that_holds_it() -> None:
    preservation = _requesting_copy_executed()
    mla = step(
        sent(RequestKind.STORED_DATA_ACCESS, follows_up=preservation.reference, sequence=2),
        Action.RECEIVE,
        FROM_VNM,
    )
    held = _expiry(preservation, [preservation, mla])
    assert _facts(held) == (
        DeadlineKind.PRESERVATION_EXPIRY,
        "req-1",
        "AUT-2026-000001",
        "preservation held until a decision on AUT-2026-000002",
        (OwnerKind.USER, "aut.drafter", "AUT"),
        "Art. 42(8)",
        "Convention",
        _ZONES,
    )
    assert held.held_by == mla.reference
    assert held.time_left(T0) is None
    assert held.local_due() == {}


def test_postponement_and_deletion_deadlines_name_their_owner_and_basis() -> None:
    copy = received(sent())
    copy = step(copy, Action.ACKNOWLEDGE, VNM_CLERK)
    postponed = step(
        copy,
        Action.POSTPONE,
        VNM_APPROVER,
        payload=Postponement(until=date(2026, 3, 29), reason="interferes with our case"),
    )
    assert [_facts(d) for d in deadlines_for(postponed)] == [
        (
            DeadlineKind.POSTPONED_UNTIL,
            "in-1",
            "AUT-2026-000001",
            "postponement ends: resume, refuse or postpone again",
            (OwnerKind.AUTHORITY, "VNM-CA", "VNM"),  # acknowledging does not take ownership
            "Art. 40(26)",  # UNTOC 18(25), shifted by one
            "decision of the requested State",
            _ZONES,
        )
    ]
    request = step(step(sent(), Action.RECEIVE, FROM_VNM), Action.ACKNOWLEDGE, FROM_VNM)
    request = step(
        request,
        Action.ATTACH_CONDITIONS,
        FROM_VNM,
        payload=ConditionsAttachment((DeleteBy(on=date(2026, 12, 31)),)),
    )
    [deletion] = deadlines_for(request)
    assert _facts(deletion)[:5] == (
        DeadlineKind.DELETE_BY,
        "req-1",
        "AUT-2026-000001",
        "delete what was received",
        (OwnerKind.USER, "aut.drafter", "AUT"),
    )
    assert deletion.basis == "condition of the requested State"
    assert str(deletion.article) == "Art. 36(1)(b)"


def test_on_the_requested_node_a_copy_with_an_owner_puts_its_deadlines_on_that_user() -> None:
    copy = replace(
        received(sent(urgent=True, suggested_deadline=date(2026, 3, 15))), owner="vnm.clerk"
    )
    owners = {d.kind: (d.owner.kind, d.owner.id, d.owner.state) for d in deadlines_for(copy)}
    assert owners == {
        DeadlineKind.URGENT_ACKNOWLEDGEMENT: (OwnerKind.USER, "vnm.clerk", "VNM"),
        DeadlineKind.URGENT_RESPONSE: (OwnerKind.USER, "vnm.clerk", "VNM"),
        DeadlineKind.SUGGESTED_EXECUTION: (OwnerKind.USER, "vnm.clerk", "VNM"),
    }
    copy = step(copy, Action.ACKNOWLEDGE, VNM_CLERK)
    postponed = step(
        copy,
        Action.POSTPONE,
        VNM_APPROVER,
        payload=Postponement(until=date(2026, 3, 29), reason="interferes with our case"),
    )
    postponement = next(
        d for d in deadlines_for(postponed) if d.kind is DeadlineKind.POSTPONED_UNTIL
    )
    assert (postponement.owner.kind, postponement.owner.id) == (OwnerKind.USER, "vnm.clerk")
