"""The rules of removal notices: their checks, states, transitions and deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hanoix.content.cases import CaseArticle
from hanoix.content.notices import (
    OPEN_STATES,
    TRANSITIONS,
    NoticeState,
    RecipientKind,
    RemovalNotice,
    answer,
    legal_basis,
    new_notice,
    notice_number,
    notice_reference,
    parse_deadline,
    reopened_deadline,
    transition,
)
from hanoix.errors import InputError, TransitionError

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _notice(state: NoticeState, deadline: datetime = NOW + timedelta(hours=48)) -> RemovalNotice:
    return RemovalNotice(
        reference="RN-000001",
        case="RC-000001",
        authority="AUT-CA",
        recipient="ExampleTube",
        recipient_kind=RecipientKind.PROVIDER,
        legal_basis=legal_basis(CaseArticle.NON_CONSENSUAL_INTIMATE_IMAGES),
        content=("ab" * 32,),
        state=state,
        sent_at=NOW,
        sent_by="drafter",
        deadline=deadline,
        updated_at=NOW,
    )


def test_a_notice_cites_its_article_and_art_34_with_its_basis() -> None:
    basis = legal_basis(CaseArticle.CHILD_SEXUAL_ABUSE_MATERIAL)
    assert basis.startswith("Art. 14 content") and "Art. 34" in basis and "recalled" in basis


def test_a_notice_names_a_recipient_a_state_by_its_code_and_a_deadline_ahead() -> None:
    checked = new_notice(" ExampleTube ", "provider", NOW + timedelta(days=2), NOW)
    assert checked.recipient == "ExampleTube" and checked.recipient_kind is RecipientKind.PROVIDER
    assert new_notice("vnm", "state", NOW + timedelta(days=2), NOW).recipient == "VNM"
    with pytest.raises(InputError) as refused:
        new_notice("Viet Nam", "state", NOW - timedelta(hours=1), NOW)
    assert {p.field for p in refused.value.problems} == {"to", "deadline"}
    with pytest.raises(InputError):
        new_notice("", "provider", NOW + timedelta(days=400), NOW)
    with pytest.raises(InputError):
        new_notice("x", "mailbox", NOW + timedelta(days=1), NOW)


def test_removed_needs_a_confirmation_and_refused_a_reason() -> None:
    with pytest.raises(InputError):
        answer("removed")
    with pytest.raises(InputError):
        answer("refused", reason="  ")
    assert answer("removed", confirmation=" TKT-77 ").confirmation == "TKT-77"
    assert answer("refused", reason="not illegal here").reason == "not illegal here"
    assert answer("acknowledged").state is NoticeState.ACKNOWLEDGED
    with pytest.raises(InputError):
        answer("reuploaded")  # only a match reopens a notice


@pytest.mark.parametrize("state", list(NoticeState))
def test_each_state_takes_exactly_its_transitions(state: NoticeState) -> None:
    notice = _notice(state)
    for to in NoticeState:
        if to in TRANSITIONS[state]:
            transition(notice, to)
        else:
            with pytest.raises(TransitionError):
                transition(notice, to)


def test_a_refused_notice_is_final_and_a_removed_one_may_only_be_reopened() -> None:
    assert TRANSITIONS[NoticeState.REFUSED] == frozenset()
    assert TRANSITIONS[NoticeState.REMOVED] == {NoticeState.REUPLOADED}


def test_only_a_notice_waiting_on_its_recipient_is_overdue() -> None:
    late = NOW + timedelta(days=3)
    for state in NoticeState:
        assert _notice(state).overdue(late) is (state in OPEN_STATES)
        assert _notice(state).overdue(NOW) is False


def test_a_reopened_notice_gets_its_first_period_again() -> None:
    notice = _notice(NoticeState.REMOVED, NOW + timedelta(hours=48))
    later = NOW + timedelta(days=10)
    assert reopened_deadline(notice, later) == later + timedelta(hours=48)


def test_deadlines_are_read_as_periods_days_or_times() -> None:
    assert parse_deadline("48h", NOW) == NOW + timedelta(hours=48)
    assert parse_deadline("7d", NOW) == NOW + timedelta(days=7)
    assert parse_deadline("2026-12-10", NOW) == datetime(2026, 12, 11, tzinfo=UTC)
    assert parse_deadline("2026-12-10T12:00:00Z", NOW) == datetime(2026, 12, 10, 12, tzinfo=UTC)
    assert parse_deadline("2026-12-10T12:00", NOW) == datetime(2026, 12, 10, 12, tzinfo=UTC)
    with pytest.raises(InputError, match="48h"):
        parse_deadline("next week", NOW)


def test_notice_references_round_trip() -> None:
    assert notice_number(notice_reference(42)) == 42
    with pytest.raises(InputError):
        notice_number("RC-000042")
