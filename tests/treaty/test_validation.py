"""Validation of a set of treaty actions before anything is stored."""

from __future__ import annotations

from datetime import date

import pytest

from hanoix.convention.notifications import NotificationKind
from hanoix.errors import ConflictError, InputError
from hanoix.treaty.actions import ActionKind, Declaration, TreatyAction
from hanoix.treaty.status import validate
from tests.treaty.builders import EU_MEMBERS, OTHERS, accede, denounce, ratify, sign

STATE = OTHERS[0]


def test_a_consistent_history_passes() -> None:
    validate(
        [
            sign(STATE),
            ratify(STATE, date(2026, 6, 1)),
            accede(OTHERS[1], date(2027, 6, 1)),
            denounce(STATE, date(2030, 1, 1)),
        ]
    )


def test_a_second_ratification_is_a_conflict() -> None:
    with pytest.raises(ConflictError, match="duplicate ratification") as caught:
        validate([sign(STATE), ratify(STATE, date(2026, 6, 1)), ratify(STATE, date(2026, 9, 1))])
    assert "already deposited its instrument of ratification on 2026-06-01" in caught.value.message


def test_the_same_row_twice_is_a_conflict_naming_both_lines() -> None:
    first = TreatyAction(STATE, ActionKind.SIGNATURE, date(2025, 10, 25), origin="f.csv line 2")
    again = TreatyAction(STATE, ActionKind.SIGNATURE, date(2025, 10, 25), origin="f.csv line 9")
    with pytest.raises(ConflictError) as caught:
        validate([first, again])
    assert "f.csv line 9" in caught.value.message
    assert "line 2" in caught.value.message


def test_a_second_signature_is_a_conflict() -> None:
    with pytest.raises(ConflictError, match="duplicate signature"):
        validate([sign(STATE), sign(STATE, date(2026, 1, 5))])


def test_ratification_without_signature_is_refused_and_points_to_accession() -> None:
    action = TreatyAction(STATE, ActionKind.RATIFICATION, date(2026, 6, 1), origin="x.csv line 4")
    with pytest.raises(InputError) as caught:
        validate([action])
    assert not isinstance(caught.value, ConflictError)
    assert "x.csv line 4" in caught.value.message
    assert "accession" in caught.value.message
    assert caught.value.problems[0].article == "Art. 64(4)"


@pytest.mark.parametrize("kind", [ActionKind.ACCEPTANCE, ActionKind.APPROVAL])
def test_acceptance_and_approval_also_need_a_signature(kind: ActionKind) -> None:
    with pytest.raises(InputError, match="without a prior signature"):
        validate([TreatyAction(STATE, kind, date(2026, 6, 1))])


def test_a_signature_after_the_ratification_does_not_count_as_prior() -> None:
    with pytest.raises(InputError, match="without a prior signature"):
        validate([ratify(STATE, date(2026, 6, 1)), sign(STATE, date(2026, 7, 1))])


def test_signature_and_ratification_on_the_same_day_pass() -> None:
    validate([ratify(STATE, date(2026, 6, 1)), sign(STATE, date(2026, 6, 1))])


def test_accession_needs_no_signature() -> None:
    validate([accede(STATE, date(2027, 6, 1))])


def test_signature_after_the_window_closes_is_refused() -> None:
    validate([sign(STATE, date(2026, 12, 31))])
    with pytest.raises(InputError, match="outside the signature period") as caught:
        validate([sign(STATE, date(2027, 1, 1))])
    # The depositary says "article 64"; the paragraph is recalled (issue 12, item 2).
    assert caught.value.problems[0].article == "Art. 64"


def test_signature_before_the_opening_is_refused() -> None:
    with pytest.raises(InputError, match="outside the signature period"):
        validate([sign(STATE, date(2025, 10, 24))])


def test_the_eu_may_sign_only_once_a_member_state_has() -> None:
    with pytest.raises(InputError, match="before any of its member States"):
        validate([sign("EUU"), sign(OTHERS[0])])
    validate([sign("EUU"), sign(EU_MEMBERS[0])])


def test_the_eu_may_deposit_only_once_a_member_state_has() -> None:
    eu_approval = TreatyAction("EUU", ActionKind.APPROVAL, date(2027, 1, 1))
    member = EU_MEMBERS[3]
    with pytest.raises(InputError, match="deposited its instrument on 2027-01-01 before"):
        validate([sign("EUU"), sign(member), eu_approval, ratify(member, date(2027, 2, 1))])
    validate([sign("EUU"), sign(member), eu_approval, ratify(member, date(2026, 12, 1))])


def test_denunciation_by_a_non_party_is_refused() -> None:
    with pytest.raises(InputError, match="not a party"):
        validate([sign(STATE), denounce(STATE, date(2027, 1, 1))])


def test_rejoining_after_a_denunciation_has_taken_effect_is_allowed() -> None:
    validate(
        [
            accede(STATE, date(2027, 1, 1)),
            denounce(STATE, date(2028, 1, 1)),
            accede(STATE, date(2029, 6, 1)),
        ]
    )
    with pytest.raises(ConflictError):
        validate(
            [
                accede(STATE, date(2027, 1, 1)),
                denounce(STATE, date(2028, 1, 1)),
                accede(STATE, date(2028, 6, 1)),  # still a party until 2029-01-01
            ]
        )


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InputError) as caught:
        validate([ratify(OTHERS[0], date(2026, 6, 1)), ratify(OTHERS[1], date(2026, 6, 1))])
    assert len(caught.value.problems) == 2
    assert "2 problems" in caught.value.message


def test_the_same_declaration_twice_is_a_conflict() -> None:
    note = Declaration(STATE, NotificationKind.LANGUAGES, date(2027, 1, 1), "English")
    with pytest.raises(ConflictError, match="duplicate declaration"):
        validate([accede(STATE, date(2027, 1, 1))], [note, note])


def test_a_declaration_cannot_carry_a_treaty_action() -> None:
    with pytest.raises(ValueError, match="treaty action"):
        Declaration(STATE, NotificationKind.DENUNCIATION, date(2027, 1, 1))
