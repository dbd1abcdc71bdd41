"""Art. 65 arithmetic: the fortieth instrument, ninety days, thirty days for later parties."""

from __future__ import annotations

from datetime import date, timedelta

from hanoix.convention.final_provisions import denunciation_effective
from hanoix.treaty.actions import ActionKind, SourceBasis, TreatyAction
from hanoix.treaty.status import Standing, TreatyStatus
from tests.treaty.builders import (
    EU_MEMBERS,
    OTHERS,
    accede,
    denounce,
    ratify,
    sign,
    signed_and_ratified,
)

FORTIETH = date(2027, 3, 2)
EIF = date(2027, 5, 31)  # 2 March + 90 days: 29 days left in March, 30 in April, 31 in May


def thirty_nine_then_fortieth(fortieth: date = FORTIETH) -> list[TreatyAction]:
    """Thirty-nine States ratify on 1 Feb 2027; a fortieth accedes on ``fortieth``."""
    return [*signed_and_ratified(OTHERS[:39], date(2027, 2, 1)), accede(OTHERS[39], fortieth)]


def test_thirty_nine_instruments_do_not_bring_the_convention_into_force() -> None:
    status = TreatyStatus(signed_and_ratified(OTHERS[:39], date(2027, 2, 1)))
    assert status.entry_into_force is None
    summary = status.summary(date(2030, 1, 1))
    assert summary.instruments_counted == 39
    assert summary.instruments_needed == 40
    assert summary.instruments_remaining == 1
    assert summary.entry_into_force is None
    assert summary.in_force is False


def test_the_fortieth_instrument_sets_entry_into_force_ninety_days_later() -> None:
    status = TreatyStatus(thirty_nine_then_fortieth())
    eif = status.entry_into_force
    assert eif is not None
    assert eif.fortieth_deposit == FORTIETH
    assert eif.date == EIF
    assert (eif.date - eif.fortieth_deposit).days == 90


def test_in_force_from_the_ninetieth_day_not_the_day_before() -> None:
    status = TreatyStatus(thirty_nine_then_fortieth())
    assert status.in_force(EIF) is True
    assert status.in_force(EIF - timedelta(days=1)) is False
    before = status.summary(EIF - timedelta(days=1))
    assert before.entry_into_force == EIF  # known once the fortieth is deposited
    assert before.in_force is False


def test_entry_into_force_is_unknown_before_the_fortieth_deposit() -> None:
    summary = TreatyStatus(thirty_nine_then_fortieth()).summary(FORTIETH - timedelta(days=1))
    assert summary.instruments_counted == 39
    assert summary.entry_into_force is None


def test_several_deposits_on_one_day_cross_the_threshold_that_day() -> None:
    actions = [
        *signed_and_ratified(OTHERS[:38], date(2027, 1, 10)),
        *signed_and_ratified(OTHERS[38:41], FORTIETH),
    ]
    status = TreatyStatus(actions)
    assert status.entry_into_force is not None
    assert status.entry_into_force.fortieth_deposit == FORTIETH
    assert status.summary(FORTIETH).instruments_counted == 41


def test_a_regional_organisations_instrument_is_not_counted_toward_forty() -> None:
    # 38 other States + 1 EU member State + the EU itself = 40 instruments deposited, 39 counted.
    member = EU_MEMBERS[0]
    actions = [
        *signed_and_ratified([*OTHERS[:38], member], date(2027, 2, 1)),
        sign("EUU"),
        TreatyAction("EUU", ActionKind.APPROVAL, date(2027, 2, 15)),
    ]
    status = TreatyStatus(actions)
    summary = status.summary(date(2027, 12, 31))
    assert summary.instruments_counted == 39
    assert summary.parties == 40  # the EU is a party by its instrument, just not counted
    assert status.entry_into_force is None

    # The next State's instrument is the fortieth.
    status = TreatyStatus([*actions, accede(OTHERS[38], FORTIETH)])
    assert status.entry_into_force is not None
    assert status.entry_into_force.fortieth_deposit == FORTIETH
    assert status.entry_into_force.date == EIF


def test_a_regional_organisation_becomes_bound_like_any_participant() -> None:
    member = EU_MEMBERS[0]
    actions = [
        *thirty_nine_then_fortieth(),
        sign(member),
        ratify(member, date(2027, 1, 5)),
        sign("EUU"),
        TreatyAction("EUU", ActionKind.APPROVAL, date(2027, 7, 1)),
    ]
    status = TreatyStatus(actions)
    # The member's instrument came before the 39 others': it is one of the first forty.
    assert status.entry_into_force is not None
    assert status.entry_into_force.fortieth_deposit == date(2027, 2, 1)
    eu = status.participant("EUU", date(2027, 8, 1))
    assert eu.in_force_from == date(2027, 7, 31)
    assert eu.standing is Standing.PARTY


def test_a_state_depositing_after_entry_into_force_is_bound_thirty_days_later() -> None:
    late = OTHERS[45]
    deposit = EIF + timedelta(days=10)
    status = TreatyStatus([*thirty_nine_then_fortieth(), accede(late, deposit)])
    record = status.participant(late, date(2028, 1, 1))
    assert record.in_force_from == deposit + timedelta(days=30)
    assert status.participant(late, deposit + timedelta(days=29)).standing is Standing.CONTRACTING
    assert status.participant(late, deposit + timedelta(days=30)).standing is Standing.PARTY


def test_a_state_depositing_the_day_before_entry_into_force_waits_its_thirty_days() -> None:
    late = OTHERS[45]
    deposit = EIF - timedelta(days=1)
    status = TreatyStatus([*thirty_nine_then_fortieth(), accede(late, deposit)])
    assert status.participant(late, EIF).in_force_from == EIF + timedelta(days=29)
    assert status.participant(late, EIF).standing is Standing.CONTRACTING


def test_a_state_depositing_the_day_before_the_fortieth_is_bound_on_the_general_date() -> None:
    early = OTHERS[45]
    status = TreatyStatus(
        [*thirty_nine_then_fortieth(), accede(early, FORTIETH - timedelta(days=1))]
    )
    # It is now the fortieth itself: the threshold moved one day earlier.
    assert status.entry_into_force is not None
    assert status.entry_into_force.fortieth_deposit == FORTIETH - timedelta(days=1)
    record = status.participant(early, date(2028, 1, 1))
    assert record.in_force_from == status.entry_into_force.date


def test_later_deposits_take_the_later_of_thirty_days_and_the_general_date() -> None:
    first, second = OTHERS[45], OTHERS[46]
    exactly = EIF - timedelta(days=30)  # deposit + 30 falls on the general date
    one_more = EIF - timedelta(days=29)  # deposit + 30 falls the day after
    status = TreatyStatus(
        [*thirty_nine_then_fortieth(), accede(first, exactly), accede(second, one_more)]
    )
    assert status.participant(first, EIF).in_force_from == EIF
    assert status.participant(second, EIF).in_force_from == EIF + timedelta(days=1)


def test_the_fortieth_depositor_itself_is_bound_on_the_general_date() -> None:
    status = TreatyStatus(thirty_nine_then_fortieth())
    assert status.participant(OTHERS[39], EIF).in_force_from == EIF
    assert status.participant(OTHERS[0], EIF).in_force_from == EIF


def test_a_denunciation_takes_effect_one_year_after_its_receipt() -> None:
    state = OTHERS[0]
    notified = date(2028, 3, 15)
    status = TreatyStatus([*thirty_nine_then_fortieth(), denounce(state, notified)])
    assert denunciation_effective(notified) == date(2029, 3, 15)
    assert status.participant(state, date(2029, 3, 14)).standing is Standing.PARTY
    assert status.participant(state, date(2029, 3, 14)).bound_until == date(2029, 3, 14)
    assert status.participant(state, date(2029, 3, 15)).standing is Standing.DENOUNCED


def test_a_denunciation_received_on_29_february_takes_effect_on_28_february() -> None:
    assert denunciation_effective(date(2028, 2, 29)) == date(2029, 2, 28)


def test_denounced_instruments_no_longer_count_once_the_denunciation_takes_effect() -> None:
    state = OTHERS[0]
    status = TreatyStatus([*thirty_nine_then_fortieth(), denounce(state, date(2028, 1, 10))])
    assert status.summary(date(2029, 1, 9)).instruments_counted == 40
    assert status.summary(date(2029, 1, 10)).instruments_counted == 39
    # Entry into force, once reached, is not undone.
    assert status.in_force(date(2029, 1, 10)) is True


def test_a_denunciation_taking_effect_before_the_fortieth_delays_entry_into_force() -> None:
    quitter = OTHERS[0]
    actions = [
        *signed_and_ratified(OTHERS[:39], date(2027, 2, 1)),
        denounce(quitter, date(2027, 3, 1)),  # effective 2028-03-01
        accede(OTHERS[39], date(2028, 6, 1)),  # the 40th deposited, but only 39 stand
        accede(OTHERS[40], date(2028, 7, 1)),
    ]
    status = TreatyStatus(actions)
    assert status.entry_into_force is not None
    assert status.entry_into_force.fortieth_deposit == date(2028, 7, 1)


def test_the_projection_uses_the_observed_rate_and_is_none_once_reached() -> None:
    actions = [
        sign(OTHERS[0]),
        ratify(OTHERS[0], date(2026, 1, 1)),
        sign(OTHERS[1]),
        ratify(OTHERS[1], date(2026, 1, 11)),
    ]
    projection = TreatyStatus(actions).projection(date(2026, 2, 1))
    assert projection is not None
    # One more instrument every 10 days; 38 missing after 11 January.
    assert projection.fortieth_deposit == date(2026, 1, 11) + timedelta(days=380)
    assert projection.entry_into_force == projection.fortieth_deposit + timedelta(days=90)
    assert TreatyStatus(actions[:2]).projection(date(2026, 2, 1)) is None  # one deposit: no rate
    assert TreatyStatus(thirty_nine_then_fortieth()).projection(EIF) is None


def test_a_domestic_approval_is_shown_as_reported_and_never_counted() -> None:
    # Issue 12: Azerbaijan's approval law (23 Feb 2026) is a domestic act, not a deposit.
    approval = TreatyAction(
        "AZE",
        ActionKind.DOMESTIC_APPROVAL,
        date(2026, 2, 23),
        SourceBasis.REPORTED,
        "Trend 4156490",
    )
    thirty_nine = signed_and_ratified(OTHERS[:39], date(2027, 2, 1))
    status = TreatyStatus([*thirty_nine, sign("AZE"), approval])
    assert status.entry_into_force is None
    assert status.summary(date(2030, 1, 1)).instruments_counted == 39
    azerbaijan = status.participant("AZE", date(2026, 12, 3))
    assert azerbaijan.standing is Standing.SIGNED
    assert azerbaijan.instrument is None and azerbaijan.in_force_from is None
    message = azerbaijan.finding.message
    assert "approval in its own law on 2026-02-23 (reported: Trend 4156490)" in message
    assert "not a deposit" in message and "does not count toward the 40" in message
    assert azerbaijan.finding.article == "Art. 64"
