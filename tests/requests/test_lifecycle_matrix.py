"""The lifecycle written out a second time, by hand, and the engine held to it cell by cell.

``EXPECTED`` below is the request lifecycle as the Convention's procedure (Arts 36, 40, 42) and
docs/requests.md describe it in words: which step may be taken from which state, where it
leads, which side takes it, who may take it there, and what it must carry. It is written
without reading :data:`hanoix.requests.transitions.TRANSITIONS`, so that a wrong change to
the table (a request sent before it is approved, an execution started before acknowledgement,
a postponement without its reasons) fails here even though the engine follows the table
faithfully. ``test_lifecycle.py`` proves that the engine follows the table; this file proves
that the table is the lifecycle.

Every cell (state x step) is checked twice: against the table's declaration, and through
:func:`hanoix.requests.apply` with copies of a request in that state. The last test changes
the table by hand in the ways that once went unnoticed and expects the behaviour checks to
fail for each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from functools import cache

import pytest

from hanoix.convention import RequestKind
from hanoix.errors import (
    ConflictError,
    HanoixError,
    InputError,
    PermissionDeniedError,
    Problem,
    RuleViolationError,
    TransitionError,
)
from hanoix.requests import (
    Action,
    ConditionsAttachment,
    CooperationRequest,
    Counterpart,
    ExecutionReport,
    FollowUpLink,
    KeepConfidential,
    Postponement,
    PreservationExtension,
    Refusal,
    RequestEdit,
    RequestReference,
    Role,
    Side,
    Status,
    UseAction,
    UseConsent,
    User,
    apply,
    validate,
)
from hanoix.requests import transitions as table
from tests.requests.builders import (
    AUT_APPROVER,
    AUT_CA,
    AUT_DRAFTER,
    FROM_VNM,
    PROFILES,
    T0,
    VNM_CA,
    VNM_CLERK,
    in_force,
    received,
    sent,
    step,
    user,
)
from tests.requests.lifecycle_expected import (
    CASE_HANDLERS,
    EXECUTORS,
    EXPECTED,
    REQUESTED,
    REQUESTING,
    A,
    S,
)

STEPS = list(EXPECTED)
CELLS = [(status, action) for action in STEPS for status in Status]
ALLOWED = [(status, action) for status, action in CELLS if status in EXPECTED[action].sources]
FORBIDDEN = [(status, action) for status, action in CELLS if status not in EXPECTED[action].sources]
ACTING_ROLES = (Role.DRAFTER, Role.APPROVER, Role.OFFICER_24_7, Role.EXAMINER, Role.AUDITOR)
AT = T0 + timedelta(hours=1)


def _cell_id(value: object) -> str:
    return str(value)


# --- the table against the matrix ------------------------------------------------------------


def test_the_table_has_exactly_the_steps_of_the_matrix() -> None:
    assert [t.action for t in table.TRANSITIONS] == STEPS
    assert set(table.TRANSITIONS_BY_ACTION) == set(STEPS)


@pytest.mark.parametrize(("status", "action"), CELLS, ids=_cell_id)
def test_each_cell_of_the_table_is_the_matrixs(status: Status, action: Action) -> None:
    declared = table.TRANSITIONS_BY_ACTION[action]
    expected = EXPECTED[action]
    allowed = status in expected.sources
    assert (status in declared.sources) is allowed
    assert (action in table.possible_actions(status)) is allowed
    if allowed:
        assert declared.leads_to(status) is (expected.target or status)


@pytest.mark.parametrize("action", STEPS, ids=_cell_id)
def test_each_step_of_the_table_has_the_matrixs_side_roles_and_carry(action: Action) -> None:
    declared = table.TRANSITIONS_BY_ACTION[action]
    expected = EXPECTED[action]
    assert declared.target is expected.target
    assert declared.side is expected.side
    assert declared.roles == expected.roles
    assert declared.payload == expected.payload
    assert declared.payload_required is expected.payload_required
    assert declared.needs_note is expected.note
    assert declared.needs_valid is expected.valid
    assert declared.automatic is expected.automatic


def test_the_open_states_at_the_requested_state_are_the_matrixs() -> None:
    # Deadlines and refusals read this set; postponed is open (it is refused or resumed).
    assert EXPECTED[A.REFUSE].sources == table._OPEN_AT_REQUESTED
    assert S.POSTPONED in table._OPEN_AT_REQUESTED


# --- the engine against the matrix ----------------------------------------------------------


@cache
def _base(side: Side) -> CooperationRequest:
    """A preservation executed on 10 February (so that extending it is meaningful), as the
    requesting (AUT) or the requested (VNM) State's copy. Each cell sets its state."""
    if side is REQUESTING:
        request = sent(RequestKind.PRESERVATION)
        for action in (A.RECEIVE, A.ACKNOWLEDGE, A.START_EXECUTION):
            request = step(request, action, FROM_VNM)
        return step(request, A.EXECUTE, FROM_VNM, payload=ExecutionReport())
    copy = received(sent(RequestKind.PRESERVATION))
    for action in (A.ACKNOWLEDGE, A.START_EXECUTION):
        copy = step(copy, action, VNM_CLERK)
    return step(copy, A.EXECUTE, VNM_CLERK, payload=ExecutionReport())


def _copy(side: Side, status: Status) -> CooperationRequest:
    return replace(_base(side), status=status)


def _local(side: Side, *roles: Role, name: str = "someone") -> User:
    """A user of the side's authority who never drafted or edited the request."""
    return user(name, AUT_CA if side is REQUESTING else VNM_CA, *roles)


def _payload(action: Action) -> object:
    """A valid payload for each payload type the matrix names (none for the others)."""
    payloads: dict[type[object], object] = {
        RequestEdit: RequestEdit(urgent=True),
        Postponement: Postponement(until=date(2026, 12, 31), reason="interferes with a trial"),
        Refusal: Refusal(("sovereignty-security-ordre-public",), "essential interests"),
        ExecutionReport: ExecutionReport(),
        PreservationExtension: PreservationExtension(days=10),
        ConditionsAttachment: ConditionsAttachment((KeepConfidential(),)),
        UseConsent: UseConsent(action=UseAction.OPEN, granted_by="VNM-CA", granted_at=AT),
        FollowUpLink: FollowUpLink(RequestReference("AUT", 2026, 999)),
    }
    kinds = EXPECTED[action].payload
    return payloads[kinds[0]] if kinds else None


def _carry(
    action: Action,
    request: CooperationRequest,
    *,
    payload: bool = True,
    note: bool = True,
    report: bool = True,
) -> dict[str, object]:
    """What the matrix says the step carries; each part can be left out."""
    expected = EXPECTED[action]
    out: dict[str, object] = {}
    if payload and expected.payload:
        out["payload"] = _payload(action)
    if note and expected.note:
        out["note"] = "the reason, in words"
    if report and expected.valid:
        out["report"] = validate(request, PROFILES["VNM"], in_force, AT)
    return out


def _possible_named(error: TransitionError) -> set[str]:
    listed = str(error).rsplit(": ", 1)[1]
    return set() if listed == "none" else set(listed.split(", "))


def _check_forbidden(status: Status, action: Action) -> None:
    side = EXPECTED[action].side
    request = _copy(side, status)
    with pytest.raises(TransitionError) as caught:
        apply(request, action, _local(side, *ACTING_ROLES), AT, **_carry(action, request))  # type: ignore[arg-type]
    assert caught.value.exit_code == 1
    assert _possible_named(caught.value) == {
        a.value for a in STEPS if status in EXPECTED[a].sources
    }


def _check_allowed(status: Status, action: Action) -> None:
    expected = EXPECTED[action]
    side = expected.side
    request = _copy(side, status)
    actor = _local(side, *ACTING_ROLES)
    done = apply(request, action, actor, AT, **_carry(action, request)).request  # type: ignore[arg-type]
    assert done.status is (expected.target or status)
    assert (done.history[-1].action, done.history[-1].from_status) == (action, status)
    assert done.history[-1].to_status is done.status

    # What it must carry: without it the step is refused, with a message that says what.
    if expected.payload_required:
        with pytest.raises(InputError, match=rf"^'{action.value}' needs its details \("):
            apply(request, action, actor, AT, **_carry(action, request, payload=False))  # type: ignore[arg-type]
    elif expected.payload:
        left_out = apply(request, action, actor, AT, **_carry(action, request, payload=False))  # type: ignore[arg-type]
        assert left_out.request.status is done.status
    else:
        with pytest.raises(InputError, match=rf"^'{action.value}' does not take RequestEdit"):
            apply(
                request,
                action,
                actor,
                AT,
                payload=RequestEdit(urgent=True),
                **_carry(action, request),
            )  # type: ignore[arg-type]
    if expected.note:
        with pytest.raises(InputError, match=rf"^'{action.value}' needs a note saying why$"):
            apply(request, action, actor, AT, **_carry(action, request, note=False))  # type: ignore[arg-type]
        with pytest.raises(InputError, match="needs a note"):
            apply(request, action, actor, AT, note="   ", **_carry(action, request, note=False))  # type: ignore[arg-type]
    if expected.valid:
        with pytest.raises(RuleViolationError, match="needs the request validated first"):
            apply(request, action, actor, AT, **_carry(action, request, report=False))  # type: ignore[arg-type]
        older = replace(request, version=request.version - 1)
        stale = validate(older, PROFILES["VNM"], in_force, AT)
        with pytest.raises(RuleViolationError):  # a report with errors does not do either
            apply(
                request,
                action,
                actor,
                AT,
                report=replace(stale, version=request.version, errors=(Problem("a finding"),)),
                **_carry(action, request, report=False),
            )  # type: ignore[arg-type]
        with pytest.raises(ConflictError, match="another version"):
            apply(request, action, actor, AT, report=stale, **_carry(action, request, report=False))  # type: ignore[arg-type]

    # Who may take it: each acting role alone.
    for role in ACTING_ROLES:
        one = _local(side, role, name=f"only-{role.value}")
        carry = _carry(action, request)
        if role in expected.roles:
            assert apply(request, action, one, AT, **carry).request.status is done.status  # type: ignore[arg-type]
        else:
            with pytest.raises(PermissionDeniedError):
                apply(request, action, one, AT, **carry)  # type: ignore[arg-type]

    # The other side's users cannot take it on this copy; its counterpart records it on its own.
    other = _local(side.other, *ACTING_ROLES)
    with pytest.raises(HanoixError):
        apply(request, action, other, AT, **_carry(action, request))  # type: ignore[arg-type]
    mirrored = _copy(side.other, status)
    if side.other is REQUESTED and status in (S.DRAFT, S.AWAITING_APPROVAL, S.APPROVED, S.SENT):
        return  # the requested State's copy exists only from registration on
    party = mirrored.party(side)
    counterpart = Counterpart(party.state, party.authority)
    recorded = apply(mirrored, action, counterpart, AT, **_carry(action, mirrored)).request  # type: ignore[arg-type]
    assert recorded.status is done.status


@pytest.mark.parametrize(("status", "action"), FORBIDDEN, ids=_cell_id)
def test_a_step_the_matrix_forbids_is_refused_naming_the_possible_ones(
    status: Status, action: Action
) -> None:
    _check_forbidden(status, action)


@pytest.mark.parametrize(("status", "action"), ALLOWED, ids=_cell_id)
def test_a_step_the_matrix_allows_leads_where_it_says_for_whom_it_says_with_what_it_says(
    status: Status, action: Action
) -> None:
    _check_allowed(status, action)


def test_four_eyes_the_drafter_never_approves() -> None:
    request = _copy(REQUESTING, S.AWAITING_APPROVAL)
    author = request.history[0].actor
    assert author == AUT_DRAFTER.id
    drafter_approver = user(author, AUT_CA, Role.DRAFTER, Role.APPROVER)
    with pytest.raises(PermissionDeniedError):
        apply(request, A.APPROVE, drafter_approver, AT, **_carry(A.APPROVE, request))  # type: ignore[arg-type]
    approved = apply(request, A.APPROVE, AUT_APPROVER, AT, **_carry(A.APPROVE, request))  # type: ignore[arg-type]
    assert approved.request.status is S.APPROVED


# --- hand-made changes to the table: each must make the behaviour checks fail ----------------


def _behaviour_disagreements() -> Iterator[str]:
    """Run the behaviour checks of every cell; yield the cells that disagree."""
    for status, action in CELLS:
        check = _check_allowed if status in EXPECTED[action].sources else _check_forbidden
        try:
            check(status, action)
        # Any failure counts: a changed table can also crash the engine (a step without the
        # payload its effect reads), which fails the suite just the same.
        except (Exception, pytest.fail.Exception) as exc:  # noqa: BLE001
            yield f"{status.value} x {action.value}: {str(exc).splitlines()[0][:120]}"
            return  # one disagreement is enough to fail the suite


def _change(action: Action, **changes: object) -> Callable[[], dict[Action, table.Transition]]:
    def changed() -> dict[Action, table.Transition]:
        original = table.TRANSITIONS_BY_ACTION[action]
        return {action: replace(original, **changes)}  # type: ignore[arg-type]

    return changed


def _sources(
    action: Action, add: tuple[Status, ...] = (), drop: tuple[Status, ...] = ()
) -> Callable[[], dict[Action, table.Transition]]:
    def changed() -> dict[Action, table.Transition]:
        original = table.TRANSITIONS_BY_ACTION[action]
        sources = (original.sources | set(add)) - set(drop)
        return {action: replace(original, sources=frozenset(sources))}

    return changed


def _without_postponed_open() -> dict[Action, table.Transition]:
    # What dropping POSTPONED from the open states does to every step that reads them.
    out = {}
    for action in (A.REFUSE, A.WITHDRAW, A.LINK_FOLLOW_UP):
        original = table.TRANSITIONS_BY_ACTION[action]
        out[action] = replace(original, sources=original.sources - {S.POSTPONED})
    return out


TABLE_CHANGES: dict[str, Callable[[], dict[Action, table.Transition]]] = {
    "send before approval (skips four-eyes)": _sources(A.SEND, add=(S.AWAITING_APPROVAL,)),
    "send straight from the draft": _sources(A.SEND, add=(S.DRAFT,)),
    "approve from the draft": _sources(A.APPROVE, add=(S.DRAFT,)),
    "approve again once approved": _sources(A.APPROVE, add=(S.APPROVED,)),
    "start execution before acknowledgement": _sources(A.START_EXECUTION, add=(S.RECEIVED,)),
    "start execution while more information is awaited": _sources(
        A.START_EXECUTION, add=(S.MORE_INFORMATION_REQUESTED,)
    ),
    "execute from acknowledged": _sources(A.EXECUTE, add=(S.ACKNOWLEDGED,)),
    "execute while postponed": _sources(A.EXECUTE, add=(S.POSTPONED,)),
    "approve without a valid report": _change(A.APPROVE, needs_valid=False),
    "send without a valid report": _change(A.SEND, needs_valid=False),
    "submit without a valid report": _change(A.SUBMIT, needs_valid=False),
    "postpone without its payload": _change(A.POSTPONE, payload_required=False),
    "refuse without grounds and reasons": _change(A.REFUSE, payload_required=False),
    "extend without saying by how much": _change(A.EXTEND_PRESERVATION, payload_required=False),
    "return to draft without a note": _change(A.RETURN_TO_DRAFT, needs_note=False),
    "ask for more information without a note": _change(
        A.REQUEST_MORE_INFORMATION, needs_note=False
    ),
    "supply information without a note": _change(A.SUPPLY_INFORMATION, needs_note=False),
    "withdraw without a note": _change(A.WITHDRAW, needs_note=False),
    "resume from in execution": _sources(A.RESUME, add=(S.IN_EXECUTION,)),
    "resume from acknowledged": _sources(A.RESUME, add=(S.ACKNOWLEDGED,)),
    "resume from postponed no more": _sources(A.RESUME, drop=(S.POSTPONED,)),
    "postponed is no longer open": _without_postponed_open,
    "refuse after execution": _sources(A.REFUSE, add=(S.EXECUTED,)),
    "withdraw after refusal": _sources(A.WITHDRAW, add=(S.REFUSED,)),
    "close a request still open": _sources(A.CLOSE, add=(S.IN_EXECUTION,)),
    "close no longer after partial execution": _sources(A.CLOSE, drop=(S.PARTIALLY_EXECUTED,)),
    "consent before execution": _sources(A.CONSENT_TO_USE, add=(S.ACKNOWLEDGED,)),
    "edit after submission": _sources(A.EDIT, add=(S.AWAITING_APPROVAL,)),
    "refuse by any case handler": _change(A.REFUSE, roles=CASE_HANDLERS),
    "postpone by an examiner": _change(A.POSTPONE, roles=EXECUTORS),
    "approve by a drafter": _change(A.APPROVE, roles=CASE_HANDLERS),
    "attach conditions by a clerk": _change(A.ATTACH_CONDITIONS, roles=CASE_HANDLERS),
    "execute no longer by an examiner": _change(A.EXECUTE, roles=CASE_HANDLERS),
    "supply information taken by the requested side": _change(A.SUPPLY_INFORMATION, side=REQUESTED),
    "withdraw taken by the requested side": _change(A.WITHDRAW, side=REQUESTED),
    "supply information leads back to received": _change(A.SUPPLY_INFORMATION, target=S.RECEIVED),
    "partial execution ends the request": _change(A.EXECUTE_PARTIALLY, target=S.EXECUTED),
    "resume leads to acknowledged": _change(A.RESUME, target=S.ACKNOWLEDGED),
    "extension changes the state": _change(A.EXTEND_PRESERVATION, target=S.EXECUTED),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(TABLE_CHANGES), ids=_cell_id)
def test_each_hand_made_change_to_the_table_is_caught_by_the_behaviour_checks(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = TABLE_CHANGES[name]()
    for action, transition in changed.items():
        monkeypatch.setitem(table.TRANSITIONS_BY_ACTION, action, transition)
    monkeypatch.setattr(
        table,
        "TRANSITIONS",
        tuple(changed.get(t.action, t) for t in table.TRANSITIONS),
    )
    assert list(_behaviour_disagreements()), f"the change '{name}' went unnoticed"


def test_the_unchanged_table_has_no_disagreement() -> None:
    assert list(_behaviour_disagreements()) == []
