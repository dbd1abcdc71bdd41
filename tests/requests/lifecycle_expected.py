"""The request lifecycle written out by hand, from the Convention's procedure (Arts 36, 40, 42)
and the prose of docs/requests.md, never from :data:`hanoix.requests.transitions.TRANSITIONS`.

``test_lifecycle_matrix.py`` holds the table to it cell by cell; ``test_lifecycle.py`` takes its
illegal steps and its random walk's expectations from it, so that neither test can agree with a
wrong table merely because the table says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from hanoix.requests import (
    Action,
    ConditionsAttachment,
    ExecutionReport,
    FollowUpLink,
    Postponement,
    PreservationExtension,
    Refusal,
    RequestEdit,
    Role,
    Side,
    Status,
    UseConsent,
)
from hanoix.requests.conditions import RetentionConsent

S = Status
A = Action
REQUESTING, REQUESTED = Side.REQUESTING, Side.REQUESTED

# Who may take a step on the side that takes it (docs/requests.md, "Who uses it" in DESIGN):
# clerks draft, send and register; case handlers (clerks and approvers) carry a case; executors
# (case handlers and forensic examiners) execute; only approvers decide for the State (four-eyes
# approval, refusal, postponement, conditions and consents). Auditors and administrators never
# take a step.
CLERKS = frozenset({Role.DRAFTER, Role.OFFICER_24_7})
CASE_HANDLERS = frozenset({Role.DRAFTER, Role.APPROVER, Role.OFFICER_24_7})
EXECUTORS = frozenset({Role.DRAFTER, Role.APPROVER, Role.OFFICER_24_7, Role.EXAMINER})
APPROVERS = frozenset({Role.APPROVER})


@dataclass(frozen=True)
class Expect:
    """One row of the hand-written lifecycle: a step and every cell of it."""

    sources: frozenset[Status]
    target: Status | None  # None: a recorded step that keeps the state
    side: Side
    roles: frozenset[Role]
    payload: tuple[type[object], ...] = ()
    payload_required: bool = False
    note: bool = False
    valid: bool = False  # a validation report of the current version, without errors
    automatic: bool = False


def _states(*states: Status) -> frozenset[Status]:
    return frozenset(states)


EXPECTED: dict[Action, Expect] = {
    # The requesting State prepares its request: a draft is edited, submitted, approved by a
    # second person (four-eyes) and only then sent, in writing (Art. 40(14)); each of these
    # three steps needs the request valid in its current version.
    A.EDIT: Expect(
        _states(S.DRAFT), None, REQUESTING, CLERKS, (RequestEdit,), payload_required=True
    ),
    A.SUBMIT: Expect(_states(S.DRAFT), S.AWAITING_APPROVAL, REQUESTING, CLERKS, valid=True),
    A.RETURN_TO_DRAFT: Expect(
        _states(S.AWAITING_APPROVAL, S.APPROVED), S.DRAFT, REQUESTING, CASE_HANDLERS, note=True
    ),
    A.APPROVE: Expect(_states(S.AWAITING_APPROVAL), S.APPROVED, REQUESTING, APPROVERS, valid=True),
    A.SEND: Expect(_states(S.APPROVED), S.SENT, REQUESTING, CASE_HANDLERS, valid=True),
    # The requested State confirms receipt (its node may do so itself), acknowledges, may ask
    # for more information (Art. 40(16), with what it needs in words), which the requesting
    # State supplies, and executes under its own law (Art. 40(17)) once acknowledged.
    A.RECEIVE: Expect(_states(S.SENT), S.RECEIVED, REQUESTED, CLERKS, automatic=True),
    A.ACKNOWLEDGE: Expect(_states(S.RECEIVED), S.ACKNOWLEDGED, REQUESTED, CASE_HANDLERS),
    A.REQUEST_MORE_INFORMATION: Expect(
        _states(S.RECEIVED, S.ACKNOWLEDGED, S.IN_EXECUTION),
        S.MORE_INFORMATION_REQUESTED,
        REQUESTED,
        EXECUTORS,
        note=True,
    ),
    A.SUPPLY_INFORMATION: Expect(
        _states(S.MORE_INFORMATION_REQUESTED),
        S.ACKNOWLEDGED,
        REQUESTING,
        CASE_HANDLERS,
        note=True,
    ),
    A.START_EXECUTION: Expect(_states(S.ACKNOWLEDGED), S.IN_EXECUTION, REQUESTED, EXECUTORS),
    # Postponement (Art. 40(26)) only where execution would interfere with proceedings: a
    # decision of the State, with its reasons and date; execution resumes from it only.
    A.POSTPONE: Expect(
        _states(S.ACKNOWLEDGED, S.IN_EXECUTION),
        S.POSTPONED,
        REQUESTED,
        APPROVERS,
        (Postponement,),
        payload_required=True,
    ),
    A.RESUME: Expect(_states(S.POSTPONED), S.IN_EXECUTION, REQUESTED, EXECUTORS),
    A.EXECUTE_PARTIALLY: Expect(
        _states(S.IN_EXECUTION, S.PARTIALLY_EXECUTED),
        S.PARTIALLY_EXECUTED,
        REQUESTED,
        EXECUTORS,
        (ExecutionReport,),
    ),
    A.EXECUTE: Expect(
        _states(S.IN_EXECUTION, S.PARTIALLY_EXECUTED),
        S.EXECUTED,
        REQUESTED,
        EXECUTORS,
        (ExecutionReport,),
    ),
    # Refusal (Art. 40(21)) with grounds and reasons, at any point while the request is open
    # with the requested State, postponed included.
    A.REFUSE: Expect(
        _states(
            S.RECEIVED,
            S.ACKNOWLEDGED,
            S.MORE_INFORMATION_REQUESTED,
            S.IN_EXECUTION,
            S.PARTIALLY_EXECUTED,
            S.POSTPONED,
        ),
        S.REFUSED,
        REQUESTED,
        APPROVERS,
        (Refusal,),
        payload_required=True,
    ),
    # The requesting State says promptly when assistance is no longer needed (Art. 40(25)):
    # a withdrawal, with its reason, from any state before a decision.
    A.WITHDRAW: Expect(
        _states(
            S.DRAFT,
            S.AWAITING_APPROVAL,
            S.APPROVED,
            S.SENT,
            S.RECEIVED,
            S.ACKNOWLEDGED,
            S.MORE_INFORMATION_REQUESTED,
            S.IN_EXECUTION,
            S.PARTIALLY_EXECUTED,
            S.POSTPONED,
        ),
        S.WITHDRAWN,
        REQUESTING,
        CASE_HANDLERS,
        note=True,
    ),
    A.CLOSE: Expect(
        _states(S.PARTIALLY_EXECUTED, S.EXECUTED, S.REFUSED, S.WITHDRAWN),
        S.CLOSED,
        REQUESTING,
        CASE_HANDLERS,
    ),
    # Recorded steps that keep the state.
    A.EXTEND_PRESERVATION: Expect(  # Art. 42(9): once the data is preserved
        _states(S.PARTIALLY_EXECUTED, S.EXECUTED),
        None,
        REQUESTED,
        CASE_HANDLERS,
        (PreservationExtension,),
        payload_required=True,
    ),
    A.ATTACH_CONDITIONS: Expect(  # Art. 36(1)(b), from acknowledgement to what was provided
        _states(S.ACKNOWLEDGED, S.IN_EXECUTION, S.PARTIALLY_EXECUTED, S.EXECUTED, S.POSTPONED),
        None,
        REQUESTED,
        APPROVERS,
        (ConditionsAttachment,),
        payload_required=True,
    ),
    A.CONSENT_TO_USE: Expect(  # Art. 40(19): consent to another use, even after closure
        _states(S.IN_EXECUTION, S.PARTIALLY_EXECUTED, S.EXECUTED, S.CLOSED),
        None,
        REQUESTED,
        APPROVERS,
        (UseConsent, RetentionConsent),
        payload_required=True,
    ),
    A.LINK_FOLLOW_UP: Expect(  # Art. 42(8): the MLA request that follows a preservation up
        _states(
            S.SENT,
            S.RECEIVED,
            S.ACKNOWLEDGED,
            S.MORE_INFORMATION_REQUESTED,
            S.IN_EXECUTION,
            S.PARTIALLY_EXECUTED,
            S.EXECUTED,
            S.POSTPONED,
        ),
        None,
        REQUESTING,
        CASE_HANDLERS,
        (FollowUpLink,),
        payload_required=True,
    ),
}
