"""Authorisation: roles × actions as a table, sides, authorities, States, four-eyes."""

from __future__ import annotations

import pytest

from hanoix.errors import NotFoundError, PermissionDeniedError
from hanoix.requests import (
    Action,
    CooperationRequest,
    Role,
    Side,
    amend,
    authorise,
    not_found,
)
from hanoix.requests.roles import READ_ACTIONS
from tests.requests.builders import (
    AUT_CA,
    AUT_DRAFTER,
    AUT_POC,
    VNM_CA,
    drafted,
    received,
    sent,
    user,
)

D, A, OFF, E, AU = (
    Role.DRAFTER,
    Role.APPROVER,
    Role.OFFICER_24_7,
    Role.EXAMINER,
    Role.AUDITOR,
)
REQUESTING, REQUESTED = Side.REQUESTING, Side.REQUESTED

# The expected matrix, written out by hand: for each action, the side whose node may take it
# (None: either side) and the roles allowed there. Administrators appear nowhere.
EXPECTED: dict[Action, tuple[Side | None, set[Role]]] = {
    Action.VIEW: (None, {D, A, OFF, E, AU}),
    Action.READ_CONTENT: (None, {D, A, OFF, E, AU}),
    Action.READ_HISTORY: (None, {D, A, OFF, E, AU}),
    Action.CREATE: (REQUESTING, {D, OFF}),
    Action.REGISTER: (REQUESTED, {D, OFF}),
    Action.EDIT: (REQUESTING, {D, OFF}),
    Action.SUBMIT: (REQUESTING, {D, OFF}),
    Action.RETURN_TO_DRAFT: (REQUESTING, {D, A, OFF}),
    Action.APPROVE: (REQUESTING, {A}),
    Action.SEND: (REQUESTING, {D, A, OFF}),
    Action.RECEIVE: (REQUESTED, {D, OFF}),
    Action.ACKNOWLEDGE: (REQUESTED, {D, A, OFF}),
    Action.REQUEST_MORE_INFORMATION: (REQUESTED, {D, A, OFF, E}),
    Action.SUPPLY_INFORMATION: (REQUESTING, {D, A, OFF}),
    Action.START_EXECUTION: (REQUESTED, {D, A, OFF, E}),
    Action.POSTPONE: (REQUESTED, {A}),
    Action.RESUME: (REQUESTED, {D, A, OFF, E}),
    Action.EXECUTE_PARTIALLY: (REQUESTED, {D, A, OFF, E}),
    Action.EXECUTE: (REQUESTED, {D, A, OFF, E}),
    Action.REFUSE: (REQUESTED, {A}),
    Action.WITHDRAW: (REQUESTING, {D, A, OFF}),
    Action.CLOSE: (REQUESTING, {D, A, OFF}),
    Action.EXTEND_PRESERVATION: (REQUESTED, {D, A, OFF}),
    Action.ATTACH_CONDITIONS: (REQUESTED, {A}),
    Action.CONSENT_TO_USE: (REQUESTED, {A}),
    Action.LINK_FOLLOW_UP: (REQUESTING, {D, A, OFF}),
    Action.SEND_EVIDENCE: (REQUESTED, {D, A, OFF, E}),
    Action.OPEN_EVIDENCE: (None, {D, A, OFF, E}),
    Action.EXPORT_EVIDENCE: (None, {A, E}),
    Action.FORWARD_EVIDENCE: (None, {A}),
    Action.USE_IN_PROCEEDING: (None, {D, A, E}),
}


def test_the_expected_matrix_covers_every_action() -> None:
    assert set(EXPECTED) == set(Action)


def _copy(side: Side) -> CooperationRequest:
    return drafted() if side is REQUESTING else received(sent())


COPIES = {REQUESTING: _copy(REQUESTING), REQUESTED: _copy(REQUESTED)}
CASES = [(side, role, action) for side in Side for role in Role for action in Action]


@pytest.mark.parametrize(("side", "role", "action"), CASES, ids=lambda v: str(v))
def test_authorisation_matrix(side: Side, role: Role, action: Action) -> None:
    request = COPIES[side]
    authority = AUT_CA if side is REQUESTING else VNM_CA
    who = user(f"matrix-{role}", authority, role)
    step_side, roles = EXPECTED[action]
    allowed = role in roles and (step_side is None or step_side is side)
    if allowed:
        authorise(who, action, request)
    else:
        with pytest.raises(PermissionDeniedError):
            authorise(who, action, request)


def test_administrators_see_no_case_content() -> None:
    admin = user("aut.admin", AUT_CA, Role.ADMINISTRATOR)
    for action in READ_ACTIONS:
        with pytest.raises(PermissionDeniedError, match="administrators"):
            authorise(admin, action, COPIES[REQUESTING])


def test_a_user_without_authority_cannot_know_the_request_exists() -> None:
    with pytest.raises(NotFoundError):
        authorise(user("root", None, Role.ADMINISTRATOR), Action.VIEW, COPIES[REQUESTING])


def test_requests_of_another_state_answer_like_missing_ones() -> None:
    request = COPIES[REQUESTING]  # AUT's copy
    vnm_reader = user("vnm.auditor", VNM_CA, Role.AUDITOR)
    with pytest.raises(NotFoundError) as caught:
        authorise(vnm_reader, Action.VIEW, request)
    assert caught.value.as_dict() == not_found(request.reference).as_dict()


def test_restricted_requests_of_another_authority_answer_like_missing_ones() -> None:
    restricted = amend(COPIES[REQUESTING], restricted=True)
    officer = user("aut.officer", AUT_POC, Role.OFFICER_24_7, Role.AUDITOR)
    for action in (Action.VIEW, Action.READ_CONTENT, Action.EDIT):
        with pytest.raises(NotFoundError) as caught:
            authorise(officer, action, restricted)
        assert caught.value.as_dict() == not_found(restricted.reference).as_dict()
    authorise(AUT_DRAFTER, Action.READ_CONTENT, restricted)


def test_another_authority_of_the_same_state_may_read_but_not_act() -> None:
    request = COPIES[REQUESTING]
    officer = user("aut.officer", AUT_POC, Role.OFFICER_24_7)
    authorise(officer, Action.READ_CONTENT, request)
    with pytest.raises(PermissionDeniedError, match="handled by AUT-CA"):
        authorise(officer, Action.EDIT, request)


def test_auditors_only_read() -> None:
    auditor = user("aut.auditor", AUT_CA, Role.AUDITOR)
    for action in Action:
        if action in READ_ACTIONS:
            authorise(auditor, action, COPIES[REQUESTING])
        else:
            with pytest.raises(PermissionDeniedError):
                authorise(auditor, action, COPIES[REQUESTING])


def test_four_eyes_in_authorise() -> None:
    request = COPIES[REQUESTING]
    both = user("aut.drafter", AUT_CA, Role.DRAFTER, Role.APPROVER)  # the drafter's id
    with pytest.raises(PermissionDeniedError, match="four-eyes"):
        authorise(both, Action.APPROVE, request)
    authorise(user("aut.other", AUT_CA, Role.APPROVER), Action.APPROVE, request)


def test_denials_name_the_roles_needed() -> None:
    with pytest.raises(PermissionDeniedError, match="approver"):
        authorise(user("x", AUT_CA, Role.DRAFTER), Action.APPROVE, COPIES[REQUESTING])
