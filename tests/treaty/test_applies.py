"""Whether the Convention binds two participants on a date, with every reason in words."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hanoix.errors import UnknownStateError
from hanoix.treaty.status import Finding, Reason, TreatyStatus
from tests.treaty.builders import OTHERS, accede, denounce, sign, signed_and_ratified

FORTIETH = date(2027, 3, 2)
EIF = date(2027, 5, 31)
A, B = OTHERS[0], OTHERS[1]  # both among the first forty
SIGNED_ONLY = OTHERS[50]
NOBODY = OTHERS[51]
LATE = OTHERS[52]
QUITTER = OTHERS[2]


def world() -> TreatyStatus:
    return TreatyStatus(
        [
            *signed_and_ratified(OTHERS[:39], date(2027, 2, 1)),
            accede(OTHERS[39], FORTIETH),
            sign(SIGNED_ONLY),
            accede(LATE, EIF + timedelta(days=100)),
            denounce(QUITTER, date(2028, 1, 1)),  # effective 2029-01-01
        ]
    )


def reasons(answer_reasons: tuple[Finding, ...]) -> list[tuple[str, str | None]]:
    return [(r.reason.value, r.participant) for r in answer_reasons]


def test_applies_between_two_parties_once_in_force() -> None:
    answer = world().applies(A, B, EIF)
    assert answer.applies is True
    assert reasons(answer.reasons) == [("in-force", A), ("in-force", B)]
    assert f"since {EIF.isoformat()}" in answer.reasons[0].message


def test_not_yet_in_force_for_anyone_before_the_general_date() -> None:
    answer = world().applies(A, B, EIF - timedelta(days=1))
    assert answer.applies is False
    assert answer.reasons[0].reason is Reason.CONVENTION_NOT_IN_FORCE
    assert answer.reasons[0].participant is None
    assert EIF.isoformat() in answer.reasons[0].message
    assert answer.reasons[0].article == "Art. 65(1)"


def test_convention_not_in_force_says_how_many_instruments_are_missing() -> None:
    answer = world().applies(A, B, date(2027, 2, 15))
    assert answer.reasons[0].reason is Reason.CONVENTION_NOT_IN_FORCE
    assert "39 of the 40" in answer.reasons[0].message


def test_a_signatory_that_has_not_ratified_is_not_bound() -> None:
    answer = world().applies(A, SIGNED_ONLY, date(2028, 1, 1))
    assert answer.applies is False
    assert reasons(answer.reasons) == [("in-force", A), ("signed-not-ratified", SIGNED_ONLY)]
    assert "signed" in answer.reasons[1].message


def test_a_state_that_never_signed_is_not_bound() -> None:
    answer = world().applies(NOBODY, A, date(2028, 1, 1))
    assert answer.applies is False
    assert answer.reasons[0].reason is Reason.NOT_SIGNED
    assert "neither signed nor joined" in answer.reasons[0].message


def test_a_late_party_is_not_bound_until_its_thirtieth_day() -> None:
    deposit = EIF + timedelta(days=100)
    answer = world().applies(A, LATE, deposit + timedelta(days=29))
    assert answer.applies is False
    assert answer.reasons[1].reason is Reason.NOT_YET_IN_FORCE_FOR_IT
    assert (deposit + timedelta(days=30)).isoformat() in answer.reasons[1].message
    assert answer.reasons[1].article == "Art. 65(2)"
    assert world().applies(A, LATE, deposit + timedelta(days=30)).applies is True


def test_a_denouncing_state_is_bound_until_its_denunciation_takes_effect() -> None:
    status = world()
    pending = status.applies(A, QUITTER, date(2028, 12, 31))
    assert pending.applies is True
    assert "takes effect on 2029-01-01" in pending.reasons[1].message
    gone = status.applies(A, QUITTER, date(2029, 1, 1))
    assert gone.applies is False
    assert gone.reasons[1].reason is Reason.DENOUNCED
    assert gone.reasons[1].article == "Art. 67(1)"


def test_a_participant_with_itself_gives_one_reason() -> None:
    answer = world().applies(A, A, EIF)
    assert answer.applies is True
    assert len(answer.reasons) == 1


def test_codes_are_case_insensitive_and_unknown_codes_are_refused() -> None:
    assert world().applies(A.lower(), B, EIF).a == A
    with pytest.raises(UnknownStateError, match="VNM"):
        world().applies("VNN", A, EIF)


def test_actions_after_the_date_are_ignored() -> None:
    # On the day before its accession the fortieth acceding State is not even a signatory.
    answer = world().applies(OTHERS[39], A, FORTIETH - timedelta(days=1))
    assert answer.reasons[1].reason is Reason.NOT_SIGNED
