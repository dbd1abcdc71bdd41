"""The lifecycle: both sides walk the same table; four-eyes; every illegal step refused;
refusals need grounds from the Convention and reasons."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hanoix.convention import RequestKind
from hanoix.errors import InputError, PermissionDeniedError, RuleViolationError, TransitionError
from hanoix.ledger.events import EventKind
from hanoix.requests import (
    TRANSITIONS,
    Action,
    ConditionsAttachment,
    CooperationRequest,
    Counterpart,
    ExecutionReport,
    FollowUpLink,
    KeepConfidential,
    NodeActor,
    Postponement,
    PreservationExtension,
    Refusal,
    RequestEdit,
    RequestReference,
    Role,
    Side,
    Status,
    Step,
    UseAction,
    UseConsent,
    User,
    apply,
    draft_request,
    possible_actions,
    register_incoming,
    rulebook,
    validate,
)
from hanoix.requests.transitions import TRANSITIONS_BY_ACTION, reachable_states
from tests.requests.builders import (
    AUT_APPROVER,
    AUT_CA,
    AUT_DRAFTER,
    AUT_DRAFTER_APPROVER,
    AUT_EDITOR,
    AUT_NODE,
    AUT_PARTY,
    FROM_AUT,
    FROM_VNM,
    PROFILES,
    T0,
    VNM_APPROVER,
    VNM_CA,
    VNM_CLERK,
    VNM_EXAMINER,
    VNM_NODE,
    VNM_PARTY,
    drafted,
    ids,
    in_force,
    incoming,
    new_request,
    received,
    sent,
    step,
    user,
    validated_step,
)
from tests.requests.lifecycle_expected import EXPECTED

HOUR = timedelta(hours=1)
ALL_ROLES = frozenset(Role) - {Role.ADMINISTRATOR, Role.AUDITOR}


def _both(
    aut: CooperationRequest,
    vnm: CooperationRequest,
    action: Action,
    at: object,
    **kwargs: object,
) -> tuple[CooperationRequest, CooperationRequest]:
    """Take ``action`` on the node of the side that owns it and record it on the other."""
    side = EXPECTED[action].side
    if side is Side.REQUESTING:
        actor_here: User = AUT_APPROVER if action is Action.APPROVE else AUT_DRAFTER
        aut = apply(aut, action, actor_here, at, **kwargs).request  # type: ignore[arg-type]
        vnm = apply(vnm, action, FROM_AUT, at, **kwargs).request  # type: ignore[arg-type]
    else:
        local = VNM_APPROVER if action in (Action.POSTPONE, Action.REFUSE) else VNM_CLERK
        if action is Action.ATTACH_CONDITIONS or action is Action.CONSENT_TO_USE:
            local = VNM_APPROVER
        vnm = apply(vnm, action, local, at, **kwargs).request  # type: ignore[arg-type]
        aut = apply(aut, action, FROM_VNM, at, **kwargs).request  # type: ignore[arg-type]
    assert aut.status is vnm.status
    return aut, vnm


def test_full_lifecycle_on_both_sides() -> None:
    at = T0
    aut = drafted()
    assert aut.status is Status.DRAFT and aut.side is Side.REQUESTING
    assert str(aut.reference) == "AUT-2026-000001"
    aut = apply(aut, Action.EDIT, AUT_EDITOR, at, payload=RequestEdit(language="vi")).request
    aut = validated_step(aut, Action.SUBMIT, AUT_DRAFTER, at).request
    aut = validated_step(aut, Action.APPROVE, AUT_APPROVER, at).request
    assert aut.approved_by == "aut.approver"
    aut = validated_step(aut, Action.SEND, AUT_DRAFTER, at).request
    assert aut.status is Status.SENT
    assert [t.what for t in aut.transfers] == ["send"]

    at += HOUR
    vnm = register_incoming(incoming(aut), actor=VNM_NODE, at=at, new_id=ids("vnm")).request
    assert (vnm.side, vnm.status, vnm.reference) == (Side.REQUESTED, Status.RECEIVED, aut.reference)
    aut = apply(aut, Action.RECEIVE, FROM_VNM, at).request
    assert aut.status is Status.RECEIVED

    steps: list[tuple[Action, dict[str, object]]] = [
        (Action.ACKNOWLEDGE, {}),
        (Action.REQUEST_MORE_INFORMATION, {"note": "which account?"}),
        (Action.SUPPLY_INFORMATION, {"note": "account 42"}),
        (Action.START_EXECUTION, {}),
        (
            Action.POSTPONE,
            {"payload": Postponement(until=date(2026, 3, 1), reason="ongoing VNM case")},
        ),
        (Action.RESUME, {}),
        (Action.ATTACH_CONDITIONS, {"payload": ConditionsAttachment((KeepConfidential(),))}),
        (Action.EXECUTE_PARTIALLY, {"payload": ExecutionReport(summary="first batch")}),
        (Action.EXECUTE, {}),
        (
            Action.CONSENT_TO_USE,
            {
                "payload": UseConsent(
                    action=UseAction.EXPORT, granted_by="VNM-CA", granted_at=T0 + 9 * HOUR
                )
            },
        ),
        (Action.CLOSE, {}),
    ]
    for action, kwargs in steps:
        at += HOUR
        aut, vnm = _both(aut, vnm, action, at, **kwargs)

    assert aut.status is vnm.status is Status.CLOSED
    tail = [(e.action, e.from_status, e.to_status) for e in aut.history]
    assert [a for a, _, _ in tail] == [
        Action.CREATE,
        Action.EDIT,
        Action.SUBMIT,
        Action.APPROVE,
        Action.SEND,
        Action.RECEIVE,
        *[a for a, _ in steps],
    ]
    # The requested side's copy holds the same steps from receipt on.
    assert [(e.action, e.to_status) for e in vnm.history[1:]] == [(a, s) for a, _, s in tail[6:]]
    assert vnm.history[0].action is Action.REGISTER
    assert vnm.history[0].to_status is Status.RECEIVED
    # Both copies hold the conditions and the consent, and the transfers with their basis.
    assert aut.conditions.conditions[-1] == KeepConfidential()
    assert len(aut.conditions.consents) == len(vnm.conditions.consents) == 1
    assert [t.what for t in aut.transfers] == [
        "send",
        "supply_information",
        "execute_partially",
        "execute",
    ]
    assert all(t.legal_basis == "UN Convention against Cybercrime, Art. 40" for t in aut.transfers)
    assert aut.transfers[-1].from_state == "VNM" and aut.transfers[-1].to_state == "AUT"


def test_every_step_produces_an_event_and_a_history_entry() -> None:
    request = drafted()
    outcome = validated_step(request, Action.SUBMIT, AUT_DRAFTER)
    assert outcome.request.version == len(outcome.request.history) == 2
    entry = outcome.request.history[-1]
    event = outcome.event
    assert (event.action, event.from_status, event.to_status) == (
        Action.SUBMIT,
        Status.DRAFT,
        Status.AWAITING_APPROVAL,
    )
    assert (entry.seq, entry.actor, entry.authority) == (2, "aut.drafter", "AUT-CA")
    custody = event.custody_event()
    assert custody.kind is EventKind.REQUEST_CHANGED
    assert custody.subject == {"request": "AUT-2026-000001"}
    assert custody.details["action"] == "submit"
    custody.canonical_bytes()


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        (Action.APPROVE, EventKind.REQUEST_APPROVED),
        (Action.SEND, EventKind.REQUEST_SENT),
        (Action.ACKNOWLEDGE, EventKind.REQUEST_ACKNOWLEDGED),
        (Action.EXECUTE, EventKind.REQUEST_EXECUTED),
        (Action.REFUSE, EventKind.REQUEST_REFUSED),
        (Action.CLOSE, EventKind.REQUEST_CLOSED),
        (Action.POSTPONE, EventKind.REQUEST_CHANGED),
    ],
)
def test_event_kinds_follow_the_table(action: Action, kind: EventKind) -> None:
    assert TRANSITIONS_BY_ACTION[action].event is kind


def test_events_carry_no_note() -> None:
    request = received(sent())
    outcome = apply(
        request, Action.REQUEST_MORE_INFORMATION, VNM_CLERK, T0, note="name of Jane Roe?"
    )
    assert outcome.request.history[-1].note == "name of Jane Roe?"
    assert "Jane Roe" not in json.dumps(outcome.event.custody_event().as_dict())


# --- four-eyes ------------------------------------------------------------------------------


def _awaiting(author: User = AUT_DRAFTER) -> CooperationRequest:
    return validated_step(drafted(author=author), Action.SUBMIT, author).request


def test_the_drafter_cannot_approve_even_with_the_approver_role() -> None:
    request = _awaiting(AUT_DRAFTER_APPROVER)
    with pytest.raises(PermissionDeniedError, match="four-eyes"):
        validated_step(request, Action.APPROVE, AUT_DRAFTER_APPROVER)
    assert validated_step(request, Action.APPROVE, AUT_APPROVER).request.status is Status.APPROVED


def test_whoever_edited_cannot_approve() -> None:
    editor = user("aut.editor2", AUT_CA, Role.DRAFTER, Role.APPROVER)
    request = apply(drafted(), Action.EDIT, editor, T0, payload=RequestEdit(urgent=True)).request
    assert request.authors == {"aut.drafter", "aut.editor2"}
    request = validated_step(request, Action.SUBMIT, AUT_DRAFTER).request
    with pytest.raises(PermissionDeniedError, match="four-eyes"):
        validated_step(request, Action.APPROVE, editor)


def test_an_edit_cannot_give_a_draft_a_content_its_kind_does_not_have() -> None:
    request = drafted()
    with pytest.raises(InputError, match="no content 'colour'") as refused:
        apply(
            request, Action.EDIT, AUT_DRAFTER, T0, payload=RequestEdit(contents={"colour": "red"})
        )
    [problem] = refused.value.problems
    assert problem.field == "contents.colour"
    assert problem.article == str(rulebook.legal_basis_article(request.kind))


def test_returning_to_draft_clears_the_approval() -> None:
    request = validated_step(_awaiting(), Action.APPROVE, AUT_APPROVER).request
    request = apply(request, Action.RETURN_TO_DRAFT, AUT_APPROVER, T0, note="fix the facts").request
    assert (request.status, request.approved_by) == (Status.DRAFT, None)


# --- illegal steps, from the lifecycle written by hand (lifecycle_expected.py) ---------------

ILLEGAL = [
    (status, action)
    for status in Status
    for action, expected in EXPECTED.items()
    if status not in expected.sources
]


def _expected_possible(status: Status) -> list[Action]:
    return [action for action, expected in EXPECTED.items() if status in expected.sources]


def _copy_in(status: Status, side: Side) -> CooperationRequest:
    base = drafted() if side is Side.REQUESTING else received(sent())
    return replace(base, status=status)


def _local_actor(action: Action) -> User:
    side = EXPECTED[action].side
    authority = AUT_CA if side is Side.REQUESTING else VNM_CA
    return user("someone", authority, *ALL_ROLES)


@pytest.mark.parametrize(("status", "action"), ILLEGAL, ids=lambda v: str(v))
def test_every_illegal_step_is_refused_naming_the_possible_ones(
    status: Status, action: Action
) -> None:
    request = _copy_in(status, EXPECTED[action].side)
    with pytest.raises(TransitionError) as caught:
        apply(request, action, _local_actor(action), T0)
    message = str(caught.value)
    assert f"'{status.value}'" in message
    possible = _expected_possible(status)
    assert sorted(possible_actions(status)) == sorted(possible)
    for other in possible:
        assert other.value in message
    if not possible:
        assert "none" in message
    assert caught.value.exit_code == 1


def test_closed_is_final_except_for_consents() -> None:
    assert possible_actions(Status.CLOSED) == (Action.CONSENT_TO_USE,)


def test_every_state_is_reachable_and_every_state_can_reach_closed() -> None:
    assert reachable_states() == frozenset(Status)
    for status in Status:
        frontier, seen = [status], {status}
        while frontier:
            current = frontier.pop()
            for t in TRANSITIONS:
                if current in t.sources and t.leads_to(current) not in seen:
                    seen.add(t.leads_to(current))
                    frontier.append(t.leads_to(current))
        assert Status.CLOSED in seen, status


# --- sides and actors -------------------------------------------------------------------------


def test_a_step_of_the_other_side_cannot_be_taken_by_a_local_user() -> None:
    request = sent()
    with pytest.raises(PermissionDeniedError, match="requested State"):
        apply(request, Action.RECEIVE, user("x", AUT_CA, *ALL_ROLES), T0)


def test_a_counterpart_records_only_its_own_sides_steps_for_its_own_request() -> None:
    request = sent()
    with pytest.raises(PermissionDeniedError):
        apply(request, Action.WITHDRAW, FROM_VNM, T0, note="no")
    with pytest.raises(PermissionDeniedError, match="not a party"):
        apply(request, Action.RECEIVE, Counterpart("ZAF", "ZAF-CA"), T0)


def test_the_node_itself_takes_only_automatic_steps() -> None:
    vnm = received(sent())
    with pytest.raises(PermissionDeniedError, match="person"):
        apply(vnm, Action.ACKNOWLEDGE, VNM_NODE, T0)
    with pytest.raises(PermissionDeniedError):
        register_incoming(incoming(sent()), actor=NodeActor("ZAF"), at=T0, new_id=ids())
    with pytest.raises(PermissionDeniedError):
        apply(sent(), Action.RECEIVE, AUT_NODE, T0)


def test_a_clerk_can_register_a_request_that_came_on_paper() -> None:
    registered = register_incoming(incoming(sent()), actor=VNM_CLERK, at=T0, new_id=ids())
    assert registered.request.history[0].actor == "vnm.clerk"
    assert registered.event.kind is EventKind.REQUEST_CREATED


def test_wrong_or_missing_details_are_input_errors() -> None:
    vnm = received(sent())
    with pytest.raises(InputError, match="Refusal"):
        apply(vnm, Action.REFUSE, VNM_APPROVER, T0)
    with pytest.raises(InputError, match="does not take"):
        apply(vnm, Action.ACKNOWLEDGE, VNM_CLERK, T0, payload=RequestEdit())
    with pytest.raises(InputError, match="note"):
        apply(sent(), Action.WITHDRAW, AUT_DRAFTER, T0, note="  ")
    with pytest.raises(InputError, match="not a lifecycle step"):
        apply(vnm, Action.VIEW, VNM_CLERK, T0)


def test_drafting_for_another_state_or_to_oneself_is_refused() -> None:
    with pytest.raises(InputError, match="own State"):
        draft_request(
            new_request(requesting=VNM_PARTY), author=AUT_DRAFTER, at=T0, new_id=ids(), sequence=1
        )
    with pytest.raises(InputError, match="another State"):
        draft_request(
            new_request(requested=AUT_PARTY), author=AUT_DRAFTER, at=T0, new_id=ids(), sequence=1
        )


# --- refusal and postponement --------------------------------------------------------------


def _refuse(request: CooperationRequest, grounds: tuple[str, ...], reasons: str) -> Step:
    return apply(request, Action.REFUSE, VNM_APPROVER, T0, payload=Refusal(grounds, reasons))


def test_refusal_with_a_ground_from_the_list_and_reasons() -> None:
    outcome = _refuse(
        received(sent()), ("sovereignty-security-ordre-public",), "essential interests"
    )
    assert outcome.request.status is Status.REFUSED
    assert outcome.request.refusal is not None
    assert outcome.event.details["grounds"] == "sovereignty-security-ordre-public"


def test_a_preservation_refused_on_the_contested_ground_records_the_doubt() -> None:
    # Issue 12, item 7: the legal-system ground of Art. 42(6) is contested; the user is told.
    outcome = _refuse(
        received(sent(RequestKind.PRESERVATION)), ("contrary-to-legal-system",), "our system"
    )
    assert outcome.request.status is Status.REFUSED
    caution = outcome.event.details["contested_grounds"]
    assert caution.startswith("Art. 42(6): the ground 'contrary-to-legal-system' is contested")


def test_refusal_without_grounds_is_refused() -> None:
    with pytest.raises(RuleViolationError, match="ground") as caught:
        _refuse(received(sent()), (), "we do not want to")
    assert [p.field for p in caught.value.problems] == ["grounds"]
    assert caught.value.problems[0].article == "Art. 40(24)"


def test_refusal_without_reasons_is_refused() -> None:
    with pytest.raises(RuleViolationError, match="reasons") as caught:
        _refuse(received(sent()), ("domestic-law-bar",), " ")
    assert [(p.field, p.article) for p in caught.value.problems] == [("reasons", "Art. 40(24)")]


def test_bank_secrecy_is_never_a_ground() -> None:
    with pytest.raises(RuleViolationError, match="bank secrecy") as caught:
        _refuse(received(sent()), ("bank-secrecy",), "the bank objects")
    assert [p.article for p in caught.value.problems] == ["Art. 40(8)"]


def test_unknown_grounds_are_refused_with_the_valid_ones() -> None:
    with pytest.raises(RuleViolationError, match="non-conformity") as caught:
        _refuse(received(sent()), ("too-busy",), "workload")
    assert caught.value.problems[0].article == "Art. 40(21)"


def test_grounds_are_checked_for_the_kind_of_request() -> None:
    # The Art. 42(5) reservation ground exists for preservation, not for MLA requests.
    preservation = received(sent(RequestKind.PRESERVATION))
    assert _refuse(preservation, ("dual-criminality-reservation",), "r").request.refusal
    with pytest.raises(RuleViolationError):
        _refuse(received(sent()), ("dual-criminality-reservation",), "r")


def test_postponement_needs_a_reason_and_a_later_date() -> None:
    request = step(received(sent()), Action.ACKNOWLEDGE, VNM_CLERK)
    with pytest.raises(RuleViolationError, match="reason"):
        apply(
            request, Action.POSTPONE, VNM_APPROVER, T0, payload=Postponement(date(2026, 3, 1), "")
        )
    with pytest.raises(InputError, match="later date"):
        apply(
            request, Action.POSTPONE, VNM_APPROVER, T0, payload=Postponement(date(2026, 2, 10), "x")
        )
    postponed = apply(
        request, Action.POSTPONE, VNM_APPROVER, T0, payload=Postponement(date(2026, 3, 1), "x")
    )
    assert postponed.event.details == {"until": "2026-03-01"}
    assert postponed.request.postponement is not None
    assert step(postponed.request, Action.RESUME, VNM_CLERK).postponement is None


def test_only_approvers_refuse_and_postpone() -> None:
    with pytest.raises(PermissionDeniedError, match="approver"):
        apply(
            received(sent()),
            Action.REFUSE,
            VNM_EXAMINER,
            T0,
            payload=Refusal(("domestic-law-bar",), "r"),
        )


def test_spontaneous_information_cannot_be_refused() -> None:
    request = received(sent(RequestKind.SPONTANEOUS_INFORMATION))
    with pytest.raises(RuleViolationError, match="nothing to refuse"):
        _refuse(request, ("non-conformity",), "r")


# --- a random walk through the table --------------------------------------------------------


def _payload(action: Action, request: CooperationRequest, n: int) -> dict[str, object]:
    at = T0 + timedelta(minutes=n)
    if action is Action.EDIT:
        return {"payload": RequestEdit(urgent=bool(n % 2))}
    if action is Action.POSTPONE:
        return {"payload": Postponement(until=date(2026, 12, 31), reason="interference")}
    if action is Action.REFUSE:
        return {"payload": Refusal(("sovereignty-security-ordre-public",), "reasons")}
    if action in (Action.EXECUTE, Action.EXECUTE_PARTIALLY):
        return {"payload": ExecutionReport()}
    if action is Action.EXTEND_PRESERVATION:
        return {"payload": PreservationExtension(days=10)}
    if action is Action.ATTACH_CONDITIONS:
        return {"payload": ConditionsAttachment((KeepConfidential(),))}
    if action is Action.CONSENT_TO_USE:
        return {"payload": UseConsent(action=UseAction.OPEN, granted_by="VNM-CA", granted_at=at)}
    if action is Action.LINK_FOLLOW_UP:
        return {"payload": FollowUpLink(RequestReference("AUT", 2026, 1000 + n))}
    expected = EXPECTED[action]
    out: dict[str, object] = {}
    if expected.note:
        out["note"] = "because"
    if expected.valid:
        out["report"] = validate(request, PROFILES["VNM"], in_force, at)
    return out


def _actor(action: Action, request: CooperationRequest) -> User | Counterpart:
    if EXPECTED[action].side is not request.side:
        return request_counterpart(request)
    authority = AUT_CA if request.side is Side.REQUESTING else VNM_CA
    # A fresh user for each step keeps four-eyes satisfied (they never edited the request).
    return user(f"walker-{len(request.history)}", authority, *ALL_ROLES)


def request_counterpart(request: CooperationRequest) -> Counterpart:
    other = request.counterpart
    return Counterpart(other.state, other.authority)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    start=st.sampled_from([Side.REQUESTING, Side.REQUESTED]),
    # Each move is (legal?, index): a legal move picks among the steps possible from the
    # current state, so walks reach deep states; the others pick any step of the table.
    moves=st.lists(st.tuples(st.booleans(), st.integers(0, 10_000)), max_size=40),
)
def test_any_walk_through_the_table_stays_legal_and_keeps_history_consistent(
    start: Side, moves: list[tuple[bool, int]]
) -> None:
    request = (
        drafted(RequestKind.PRESERVATION)
        if start is Side.REQUESTING
        else received(sent(RequestKind.PRESERVATION))
    )
    for n, (legal, index) in enumerate(moves):
        options = _expected_possible(request.status) if legal else list(EXPECTED)
        action = options[index % len(options)]
        before = request
        try:
            request = apply(
                request,
                action,
                _actor(action, request),
                T0 + timedelta(minutes=n),
                **_payload(action, request, n),  # type: ignore[arg-type]
            ).request
        except TransitionError:
            assert not legal
            assert before.status not in EXPECTED[action].sources
            request = before
            continue
        assert before.status in EXPECTED[action].sources
        assert request.status is (EXPECTED[action].target or before.status)

        assert request.status in reachable_states()
        assert request.version == len(request.history)
        assert [e.seq for e in request.history] == list(range(1, request.version + 1))
        for previous, entry in zip(request.history, request.history[1:], strict=False):
            assert entry.from_status is previous.to_status
            assert entry.at >= previous.at
        assert request.history[-1].to_status is request.status
