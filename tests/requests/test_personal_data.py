"""Personal data (Art. 36): marked fields, a loggable view without them, transfers with their
legal basis."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from hanoix.convention import RequestKind
from hanoix.requests import (
    Action,
    ConditionsAttachment,
    CooperationRequest,
    ExecutionReport,
    HistoryEntry,
    Postponement,
    PreservationExtension,
    Refusal,
    UseAction,
    UseConsent,
    UseOnlyForProceeding,
    apply,
    loggable,
    personal_field_names,
)
from hanoix.requests.personal import WITHHELD
from tests.requests.builders import (
    FROM_VNM,
    T0,
    VNM_APPROVER,
    VNM_CLERK,
    complete_contents,
    received,
    sent,
    step,
)

SECRET = "Jane-Roe-1984"


def _full_of_personal_data(secret: str) -> CooperationRequest:
    """A preservation taken through every step that records free text, all of it ``secret``."""
    request = received(
        sent(
            RequestKind.PRESERVATION,
            proceeding=f"case of {secret}",
            contents={
                **complete_contents(RequestKind.PRESERVATION),
                "summary_of_facts": f"{secret} hacked",
                "custodian_or_location": secret,
            },
        )
    )
    request = step(request, Action.REQUEST_MORE_INFORMATION, VNM_CLERK, note=f"who is {secret}?")
    request = step(request, Action.REFUSE, VNM_APPROVER, payload=Refusal(("persecution",), secret))
    return request


def test_the_model_marks_its_personal_fields() -> None:
    assert personal_field_names(CooperationRequest) == {"terms.proceeding", "terms.contents"}
    assert personal_field_names(HistoryEntry) == {"note"}
    assert personal_field_names(Refusal) == {"reasons"}
    assert personal_field_names(UseOnlyForProceeding) == {"proceeding"}


def test_the_loggable_view_holds_no_personal_data() -> None:
    request = _full_of_personal_data(SECRET)
    text = json.dumps(request.loggable())
    assert SECRET not in text
    view = request.loggable()
    assert view["contents"] == WITHHELD
    assert view["proceeding"] == WITHHELD
    assert view["contents_present"] == sorted(complete_contents(RequestKind.PRESERVATION))
    assert view["reference"] == str(request.reference)
    assert view["refusal"]["grounds"] == ["persecution"]
    assert view["history"][-1]["action"] == "refuse"


def test_every_step_that_records_free_text_is_withheld() -> None:
    request = received(sent(RequestKind.PRESERVATION))
    for action in (Action.ACKNOWLEDGE, Action.START_EXECUTION):
        request = step(request, action, VNM_CLERK)
    request = step(request, Action.EXECUTE, VNM_CLERK, payload=ExecutionReport(summary=SECRET))
    request = step(
        request,
        Action.EXTEND_PRESERVATION,
        VNM_APPROVER,
        payload=PreservationExtension(days=10, reason=SECRET),
    )
    request = step(
        request,
        Action.ATTACH_CONDITIONS,
        VNM_APPROVER,
        payload=ConditionsAttachment((UseOnlyForProceeding(proceeding=SECRET),)),
    )
    request = step(
        request,
        Action.CONSENT_TO_USE,
        VNM_APPROVER,
        payload=UseConsent(
            action=UseAction.USE_IN_PROCEEDING,
            granted_by="VNM-CA",
            granted_at=T0,
            proceeding=SECRET,
        ),
    )
    postponed = replace(request, postponement=Postponement(until=date(2026, 3, 1), reason=SECRET))
    assert SECRET not in json.dumps(postponed.loggable())


@settings(max_examples=60, deadline=None)
@given(secret=st.text(min_size=6, max_size=30).map(lambda t: f"§{t}§"))
def test_no_personal_text_ever_reaches_the_loggable_view(secret: str) -> None:
    assert secret not in json.dumps(_full_of_personal_data(secret).loggable())


def test_events_and_custody_events_carry_no_personal_data() -> None:
    request = received(sent(contents={**complete_contents(RequestKind.MLA), "purpose": SECRET}))
    outcome = apply(request, Action.REQUEST_MORE_INFORMATION, VNM_CLERK, T0, note=SECRET)
    assert SECRET not in json.dumps(outcome.event.custody_event().as_dict())
    assert SECRET not in json.dumps(loggable(outcome.event))


def test_transfers_record_their_legal_basis() -> None:
    request = sent()
    [transfer] = request.transfers
    assert (transfer.from_state, transfer.to_state, transfer.what) == ("AUT", "VNM", "send")
    assert transfer.legal_basis == "UN Convention against Cybercrime, Art. 40"
    assert str(transfer.article) == "Art. 36(1)(a)"
    other = sent(legal_basis_other="AUT-VNM treaty on MLA (2019)", sequence=2)
    assert other.transfers[-1].legal_basis == "AUT-VNM treaty on MLA (2019)"
    received_results = step(
        step(
            step(step(request, Action.RECEIVE, FROM_VNM), Action.ACKNOWLEDGE, FROM_VNM),
            Action.START_EXECUTION,
            FROM_VNM,
        ),
        Action.EXECUTE,
        FROM_VNM,
    )
    assert received_results.transfers[-1].from_state == "VNM"
