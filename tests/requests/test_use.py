"""Conditions on use through the lifecycle: the requested State attaches them, the requesting
State's node enforces them, and a recorded consent widens them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hanoix.errors import PermissionDeniedError
from hanoix.requests import (
    Action,
    ConditionsAttachment,
    CooperationRequest,
    DeleteBy,
    IntendedUse,
    KeepConfidential,
    NoOnwardTransfer,
    UseAction,
    UseConsent,
    UseDeniedError,
    apply,
    check_use,
)
from tests.requests.builders import (
    AUT_APPROVER,
    FROM_VNM,
    PROCEEDING,
    T0,
    VNM_APPROVER,
    VNM_CLERK,
    received,
    sent,
    step,
)

LATER = T0 + timedelta(days=3)


def _delivered_with(*conditions: object) -> CooperationRequest:
    """AUT's copy of a request VNM executed after attaching ``conditions``."""
    request = sent()
    for action in (Action.RECEIVE, Action.ACKNOWLEDGE, Action.START_EXECUTION):
        request = step(request, action, FROM_VNM)
    if conditions:
        request = step(
            request,
            Action.ATTACH_CONDITIONS,
            FROM_VNM,
            payload=ConditionsAttachment(tuple(conditions)),  # type: ignore[arg-type]
        )
    return step(request, Action.EXECUTE, FROM_VNM)


def test_the_limits_of_art_40_19_and_36_3_apply_without_being_attached() -> None:
    request = _delivered_with()
    check_use(request.conditions, IntendedUse(UseAction.OPEN), LATER)
    check_use(
        request.conditions, IntendedUse(UseAction.USE_IN_PROCEEDING, proceeding=PROCEEDING), LATER
    )
    with pytest.raises(UseDeniedError, match=r"Art\. 40\(19\)"):
        check_use(
            request.conditions,
            IntendedUse(UseAction.USE_IN_PROCEEDING, proceeding="another case"),
            LATER,
        )
    with pytest.raises(UseDeniedError) as caught:
        check_use(request.conditions, IntendedUse(UseAction.FORWARD, recipient="DEU"), LATER)
    assert {p.article for p in caught.value.problems} == {"Art. 40(19)", "Art. 36(3)"}


def test_attached_confidentiality_blocks_export_until_consent_is_recorded() -> None:
    request = _delivered_with(KeepConfidential())
    export = IntendedUse(UseAction.EXPORT, proceeding=PROCEEDING)
    with pytest.raises(UseDeniedError, match="keep-confidential") as caught:
        check_use(request.conditions, export, LATER)
    assert caught.value.problems[0].article == "Art. 40(20)"

    consent = UseConsent(
        action=UseAction.EXPORT, granted_by="VNM-CA", granted_at=LATER, letter="VNM/2026/12"
    )
    outcome = apply(request, Action.CONSENT_TO_USE, FROM_VNM, LATER, payload=consent)
    assert outcome.request.history[-1].action is Action.CONSENT_TO_USE
    assert outcome.event.details == {"written": "false", "use": "export"}
    check_use(outcome.request.conditions, export, LATER)
    # The consent names export; forwarding is still outside the conditions.
    with pytest.raises(UseDeniedError):
        check_use(
            outcome.request.conditions, IntendedUse(UseAction.FORWARD, recipient="DEU"), LATER
        )


def test_consent_to_forward_in_writing_where_writing_was_demanded() -> None:
    request = _delivered_with(NoOnwardTransfer(written=True))
    forward = IntendedUse(UseAction.FORWARD, recipient="DEU")
    for written in (False, True):
        consent = UseConsent(
            action=UseAction.FORWARD,
            granted_by="VNM-CA",
            granted_at=LATER,
            recipient="DEU",
            written=written,
        )
        consent_also_40_19 = UseConsent(
            action=UseAction.FORWARD, granted_by="VNM-CA", granted_at=LATER, recipient="DEU"
        )
        widened = step(request, Action.CONSENT_TO_USE, FROM_VNM, payload=consent)
        widened = step(widened, Action.CONSENT_TO_USE, FROM_VNM, payload=consent_also_40_19)
        if written:
            check_use(widened.conditions, forward, LATER)
        else:
            with pytest.raises(UseDeniedError, match="in writing"):
                check_use(widened.conditions, forward, LATER)


def test_deletion_dates_are_read_in_both_parties_calendars() -> None:
    request = _delivered_with(DeleteBy(on=date(2026, 6, 30)))
    [condition] = [c for c in request.conditions.conditions if isinstance(c, DeleteBy)]
    assert set(condition.zones) == {"Europe/Vienna", "Asia/Ho_Chi_Minh"}


def test_only_the_requested_state_attaches_conditions_and_consents() -> None:
    request = _delivered_with()
    with pytest.raises(PermissionDeniedError, match="requested State"):
        apply(
            request,
            Action.CONSENT_TO_USE,
            AUT_APPROVER,
            LATER,
            payload=UseConsent(action=UseAction.EXPORT, granted_by="AUT-CA", granted_at=LATER),
        )


def test_the_requested_node_records_its_own_conditions() -> None:
    copy = received(sent())
    copy = step(copy, Action.ACKNOWLEDGE, VNM_CLERK)
    copy = step(
        copy,
        Action.ATTACH_CONDITIONS,
        VNM_APPROVER,
        payload=ConditionsAttachment((KeepConfidential(),)),
    )
    assert KeepConfidential() in copy.conditions.conditions
