"""Personal data (Art. 36): marked fields, a loggable view without them, transfers with their
legal basis."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from hanoix.convention import RequestKind
from hanoix.convention.refs import Art
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
from hanoix.requests.personal import WITHHELD, is_personal, personal_field
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


# --- the marks themselves, on a record declared inside the test (a mark made at import time is
# made before any test runs, so no test would notice it gone) ----------------------------------


def test_a_field_declared_personal_is_marked_and_keeps_what_else_it_was_given() -> None:
    @dataclasses.dataclass(frozen=True)
    class Note:
        author: str
        text: str = personal_field(default="", metadata={"source": "clerk"})
        tags: tuple[str, ...] = personal_field(default=())
        count: int = personal_field(default=0)

    by_name = {f.name: f for f in dataclasses.fields(Note)}
    assert is_personal(by_name["text"]) and is_personal(by_name["tags"])
    assert not is_personal(by_name["author"])
    assert by_name["text"].metadata["source"] == "clerk"
    assert (by_name["text"].default, by_name["tags"].default) == ("", ())
    assert personal_field_names(Note) == {"text", "tags", "count"}
    # Withheld when it holds something, None when empty; a number is never "empty".
    assert loggable(Note("anna", "met the suspect", (), 0)) == {
        "author": "anna",
        "text": WITHHELD,
        "tags": None,
        "count": WITHHELD,
    }
    assert loggable(Note("anna", "", ("x",), 3)) == {
        "author": "anna",
        "text": None,
        "tags": WITHHELD,
        "count": WITHHELD,
    }


def test_empty_collections_of_every_kind_are_logged_as_none_when_personal() -> None:
    @dataclasses.dataclass(frozen=True)
    class Holder:
        value: object = personal_field(default=None)

    empties: tuple[object, ...] = (None, "", (), [], {}, frozenset(), set())
    for empty in empties:
        assert loggable(Holder(empty)) == {"value": None}
    for full in ("a", ("a",), ["a"], {"a": 1}, frozenset({"a"}), {"a"}, 0, False):
        assert loggable(Holder(full)) == {"value": WITHHELD}


def test_a_loggable_copy_makes_every_kind_of_value_json_ready() -> None:
    value = {
        "set": {3, 1, 2},
        7: date(2026, 1, 2),
        "when": datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        "zone": ZoneInfo("Europe/Vienna"),
        "wait": timedelta(seconds=90),
        "article": Art(40, 25),
        "kind": RequestKind.MLA,
        "list": [None, True, 1.5, "text"],
        "nested": {"inner": (1, 2)},
    }
    assert loggable(value) == {
        "set": [1, 2, 3],
        "7": "2026-01-02",
        "when": "2026-01-02T03:04:00+00:00",
        "zone": "Europe/Vienna",
        "wait": 90.0,
        "article": "Art. 40(25)",
        "kind": "mla",
        "list": [None, True, 1.5, "text"],
        "nested": {"inner": [1, 2]},
    }
    json.dumps(loggable(value))
