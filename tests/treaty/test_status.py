"""The treaty status with known answers: the summary's counts, one participant's report, the
REIO rule of Art. 67, the projection's rate and the boundaries of a membership."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hanoix.convention.final_provisions import denunciation_effective
from hanoix.convention.notifications import NotificationKind
from hanoix.errors import ConflictError, InputError
from hanoix.treaty.actions import ActionKind, Declaration, TreatyAction
from hanoix.treaty.status import (
    REIO_CEASES_WITH_MEMBERS,
    Reason,
    Standing,
    TreatyStatus,
    validate,
)
from tests.treaty.builders import (
    EU_MEMBERS,
    OPENING,
    OTHERS,
    accede,
    denounce,
    ratify,
    sign,
    signed_and_ratified,
)

ON = date(2026, 6, 30)


def _world_of_five() -> TreatyStatus:
    """Five participants in five standings on 30 June 2026 (the Convention not yet in force)."""
    return TreatyStatus(
        [
            sign(OTHERS[0]),  # signed only
            sign(OTHERS[1]),
            ratify(OTHERS[1], date(2026, 3, 1)),  # signed and ratified
            accede(OTHERS[2], date(2026, 4, 1)),  # acceded, never signed
            sign(OTHERS[3], ON + timedelta(days=1)),  # signs the day after
            sign(OTHERS[4]),
            ratify(OTHERS[4], date(2026, 1, 5)),
            denounce(OTHERS[4], date(2026, 2, 1)),  # effective 2027-02-01: still counted
        ]
    )


def test_the_summary_counts_signatures_by_the_date_not_instruments() -> None:
    summary = _world_of_five().summary(ON)
    # OTHERS[0], [1] and [4] signed by 30 June; the accession is no signature and OTHERS[3]
    # signs the next day.
    assert summary.signatories == 3
    assert summary.parties == 3  # [1], [2] and [4], whose denunciation has not taken effect
    assert summary.as_dict() == {
        "on": "2026-06-30",
        "signatories": 3,
        "parties": 3,
        "instruments_counted": 3,
        "instruments_needed": 40,
        "instruments_remaining": 37,
        "entry_into_force": None,
        "in_force": False,
    }
    assert _world_of_five().summary(ON + timedelta(days=1)).signatories == 4
    assert _world_of_five().summary(OPENING - timedelta(days=1)).signatories == 0


def test_a_denounced_participant_is_neither_party_nor_counted_from_the_day_it_takes_effect() -> (
    None
):
    status = _world_of_five()
    effective = denunciation_effective(date(2026, 2, 1))
    assert effective == date(2027, 2, 1)
    before, on_the_day = effective - timedelta(days=1), effective
    assert (status.summary(before).parties, status.summary(before).instruments_counted) == (3, 3)
    assert (status.summary(on_the_day).parties, status.summary(on_the_day).instruments_counted) == (
        2,
        2,
    )
    assert status.participant(OTHERS[4], before).standing is Standing.CONTRACTING
    assert status.participant(OTHERS[4], on_the_day).standing is Standing.DENOUNCED


def test_an_instrument_counts_from_the_day_of_its_deposit() -> None:
    status = _world_of_five()
    deposit = date(2026, 4, 1)
    assert status.summary(deposit).instruments_counted == 3
    assert status.summary(deposit - timedelta(days=1)).instruments_counted == 2
    assert status.participant(OTHERS[2], deposit).standing is Standing.CONTRACTING
    assert status.participant(OTHERS[2], deposit - timedelta(days=1)).standing is (
        Standing.NOT_SIGNED
    )


def test_the_participant_report_keeps_the_signature_up_to_the_date_asked() -> None:
    status = _world_of_five()
    signed = status.participant(OTHERS[1], ON)
    assert signed.signature == OPENING
    assert signed.as_dict()["signature"] == "2025-10-25"
    assert signed.instrument == TreatyAction(OTHERS[1], ActionKind.RATIFICATION, date(2026, 3, 1))
    assert [a.kind for a in signed.actions] == [ActionKind.SIGNATURE, ActionKind.RATIFICATION]
    later = status.participant(OTHERS[3], ON)
    assert (later.signature, later.standing) == (None, Standing.NOT_SIGNED)
    assert later.actions == (TreatyAction(OTHERS[3], ActionKind.SIGNATURE, ON + timedelta(1)),)
    assert status.participant(OTHERS[3], ON + timedelta(days=1)).signature == ON + timedelta(1)
    acceded = status.participant(OTHERS[2], ON)
    assert acceded.signature is None
    assert acceded.as_dict()["signature"] is None


@pytest.mark.parametrize(
    ("index", "standing", "reason", "article", "message"),
    [
        (
            0,
            Standing.SIGNED,
            Reason.SIGNED_NOT_RATIFIED,
            "Art. 64",
            "signed the Convention but had not deposited an instrument of ratification, "
            "acceptance or approval by 2026-06-30",
        ),
        (
            3,
            Standing.NOT_SIGNED,
            Reason.NOT_SIGNED,
            "Art. 64",
            "has neither signed nor joined the Convention by 2026-06-30",
        ),
        (
            2,
            Standing.CONTRACTING,
            Reason.NOT_YET_IN_FORCE_FOR_IT,
            "Art. 65(1)",
            "(accession deposited on 2026-04-01) is not yet bound on 2026-06-30: it enters "
            "into force for it when the Convention enters into force",
        ),
    ],
)
def test_each_standing_gives_its_reason_and_article(
    index: int, standing: Standing, reason: Reason, article: str, message: str
) -> None:
    record = _world_of_five().participant(OTHERS[index], ON)
    assert record.standing is standing
    assert (record.finding.reason, record.finding.article) == (reason, article)
    assert record.finding.participant == OTHERS[index]
    assert record.finding.message.endswith(message)
    assert record.as_dict()["standing"] == standing.value


# --- the REIO rule (Art. 67, recalled): the EU ends with its last member ----------------------

EU_APPROVAL = date(2027, 7, 1)


def _eu_world(*denunciations: TreatyAction) -> TreatyStatus:
    return TreatyStatus(
        [
            *signed_and_ratified(OTHERS[:39], date(2027, 2, 1)),
            *signed_and_ratified(EU_MEMBERS, date(2027, 3, 2)),
            sign("EUU"),
            TreatyAction("EUU", ActionKind.APPROVAL, EU_APPROVAL),
            *denunciations,
        ]
    )


def _every_member_denounces(last_notice: date) -> list[TreatyAction]:
    """Each EU member denounces, one a day, the last on ``last_notice``."""
    count = len(EU_MEMBERS)
    return [
        denounce(code, last_notice - timedelta(days=count - 1 - i))
        for i, code in enumerate(EU_MEMBERS)
    ]


def test_the_eu_ceases_to_be_a_party_when_its_last_member_states_denunciation_takes_effect() -> (
    None
):
    assert REIO_CEASES_WITH_MEMBERS.value is True
    last_notice = date(2030, 6, 1)
    ends = denunciation_effective(last_notice)  # 2031-06-01
    status = _eu_world(*_every_member_denounces(last_notice))
    before = status.participant("EUU", ends - timedelta(days=1))
    assert before.standing is Standing.PARTY
    assert before.bound_until == ends - timedelta(days=1)
    assert before.finding.message.endswith(
        "(approval deposited on 2027-07-01); its denunciation takes effect on 2031-06-01"
    )
    after = status.participant("EUU", ends)
    assert after.standing is Standing.DENOUNCED
    assert after.finding.reason is Reason.DENOUNCED
    assert after.finding.article == "Art. 67(1)"
    assert after.finding.message == (
        "European Union ceased to be a party when all its member States had denounced; "
        "no longer bound from 2031-06-01"
    )
    # The day before, the last member and the EU are still parties; the other members are not.
    assert status.summary(ends - timedelta(days=1)).parties == 39 + 1 + 1
    assert status.summary(ends).parties == 39


def test_the_eu_stays_a_party_while_one_member_state_has_not_denounced() -> None:
    denunciations = _every_member_denounces(date(2030, 6, 1))[1:]
    status = _eu_world(*denunciations)
    record = status.participant("EUU", date(2040, 1, 1))
    assert record.standing is Standing.PARTY
    assert record.bound_until is None


def test_the_eus_own_earlier_denunciation_keeps_its_own_date() -> None:
    own = denounce("EUU", date(2029, 1, 10))  # effective 2030-01-10, before the members'
    status = _eu_world(*_every_member_denounces(date(2030, 6, 1)), own)
    assert status.participant("EUU", date(2030, 1, 9)).standing is Standing.PARTY
    record = status.participant("EUU", date(2030, 1, 10))
    assert record.standing is Standing.DENOUNCED
    assert record.finding.message.startswith(
        "European Union denounced the Convention on 2029-01-10; no longer bound from 2030-01-10"
    )


def test_the_eus_own_later_denunciation_gives_way_to_its_last_members() -> None:
    own = denounce("EUU", date(2031, 1, 10))  # effective 2032-01-10, after the members'
    status = _eu_world(*_every_member_denounces(date(2030, 6, 1)), own)
    assert status.participant("EUU", date(2031, 5, 31)).standing is Standing.PARTY
    assert status.participant("EUU", date(2031, 6, 1)).standing is Standing.DENOUNCED
    assert status.participant("EUU", date(2031, 5, 31)).bound_until == date(2031, 5, 31)


# --- the projection ---------------------------------------------------------------------------


def test_the_projection_gives_the_rate_per_year_and_rounds_the_days_up() -> None:
    actions = [
        *signed_and_ratified([OTHERS[0]], date(2026, 1, 1)),
        *signed_and_ratified([OTHERS[1]], date(2026, 1, 4)),
        *signed_and_ratified([OTHERS[2]], date(2026, 1, 8)),
        *signed_and_ratified([OTHERS[3]], date(2026, 3, 1)),  # after the date asked: ignored
    ]
    projection = TreatyStatus(actions).projection(date(2026, 2, 1))
    assert projection is not None
    # Two more instruments in seven days: 2/7 a day, 104.36 a year; 37 missing take
    # 37 / (2/7) = 129.5 days, rounded up to 130.
    assert projection.rate_per_year == pytest.approx(2 / 7 * 365.25)
    assert round(projection.rate_per_year, 2) == 104.36
    assert projection.fortieth_deposit == date(2026, 1, 8) + timedelta(days=130)
    assert projection.entry_into_force == date(2026, 5, 18) + timedelta(days=90)


def test_the_projection_needs_deposits_on_two_different_days() -> None:
    same_day = signed_and_ratified(OTHERS[:3], date(2026, 1, 1))
    assert TreatyStatus(same_day).projection(date(2026, 2, 1)) is None
    two_days = [*same_day, *signed_and_ratified([OTHERS[3]], date(2026, 1, 2))]
    projection = TreatyStatus(two_days).projection(date(2026, 2, 1))
    assert projection is not None
    # Three more in one day; 36 missing take 12 days.
    assert projection.rate_per_year == pytest.approx(3 * 365.25)
    assert projection.fortieth_deposit == date(2026, 1, 14)


def test_the_projection_counts_only_instruments_that_still_stand() -> None:
    actions = [
        *signed_and_ratified([OTHERS[0]], date(2026, 1, 1)),
        *signed_and_ratified([OTHERS[1]], date(2026, 1, 11)),
        denounce(OTHERS[0], date(2026, 1, 20)),  # effective 2027-01-20
    ]
    before = TreatyStatus(actions).projection(date(2027, 1, 19))
    after = TreatyStatus(actions).projection(date(2027, 1, 20))
    assert before is not None and after is not None
    assert before.fortieth_deposit == date(2026, 1, 11) + timedelta(days=380)
    assert after.fortieth_deposit == date(2026, 1, 11) + timedelta(days=390)


def test_entry_into_force_is_known_from_the_day_of_the_fortieth_deposit() -> None:
    fortieth = date(2027, 3, 2)
    status = TreatyStatus(
        [*signed_and_ratified(OTHERS[:39], date(2027, 2, 1)), accede(OTHERS[39], fortieth)]
    )
    assert status.summary(fortieth).entry_into_force == date(2027, 5, 31)
    assert status.summary(fortieth - timedelta(days=1)).entry_into_force is None
    assert status.projection(fortieth) is None


# --- validation: the exact problem list (field, article, message) ----------------------------


def _problems(
    actions: list[TreatyAction], error: type[Exception] = InputError
) -> list[tuple[str | None, str | None, str]]:
    with pytest.raises(error) as caught:
        validate(actions)
    assert type(caught.value) is error  # a ConflictError is an InputError: name the exact one
    return [(p.field, p.article, p.message) for p in caught.value.problems]


def test_a_withdrawal_of_reservation_needs_a_signature_or_an_instrument_before_it() -> None:
    state = OTHERS[0]
    withdrawal = TreatyAction(state, ActionKind.WITHDRAWAL_OF_RESERVATION, date(2026, 3, 1))
    assert _problems([withdrawal]) == [
        (
            state,
            None,
            f"withdrawal of a reservation by {state} on 2026-03-01, which had neither signed "
            "nor deposited an instrument then",
        )
    ]
    validate([sign(state), withdrawal])
    validate([accede(state, date(2026, 2, 1)), withdrawal])


def test_a_second_denunciation_is_a_conflict_naming_the_participant() -> None:
    state = OTHERS[0]
    actions = [
        accede(state, date(2026, 2, 1)),
        denounce(state, date(2027, 1, 1)),
        denounce(state, date(2027, 6, 1)),
    ]
    assert _problems(actions, ConflictError) == [
        (state, None, f"duplicate denunciation by {state} on 2027-06-01")
    ]


def test_a_denunciation_by_a_non_party_cites_article_67() -> None:
    state = OTHERS[0]
    assert _problems([sign(state), denounce(state, date(2027, 1, 1))]) == [
        (state, "Art. 67(1)", f"denunciation by {state} on 2027-01-01, which is not a party then")
    ]


def test_a_new_instrument_is_allowed_from_the_day_the_denunciation_takes_effect() -> None:
    state = OTHERS[0]
    history = [accede(state, date(2026, 2, 1)), denounce(state, date(2027, 1, 1))]
    validate([*history, accede(state, date(2028, 1, 1))])  # effective 2028-01-01
    assert _problems([*history, accede(state, date(2027, 12, 31))], ConflictError) == [
        (
            state,
            None,
            f"duplicate accession by {state} on 2027-12-31: it already deposited its "
            "instrument of accession on 2026-02-01",
        )
    ]


def test_every_later_problem_of_a_participant_is_still_found_after_a_duplicate() -> None:
    state = OTHERS[0]
    actions = [
        sign(state),
        sign(state, date(2026, 1, 5)),
        ratify(state, date(2026, 3, 1)),
        ratify(state, date(2026, 4, 1)),
        denounce(OTHERS[1], date(2026, 5, 1)),
    ]
    problems = _problems(actions, ConflictError)
    assert [(field, article) for field, article, _ in problems] == [
        (state, None),
        (state, None),
        (OTHERS[1], "Art. 67(1)"),
    ]


def test_the_eu_before_its_members_is_named_with_the_recalled_rule() -> None:
    problems = _problems([sign("EUU"), TreatyAction("EUU", ActionKind.APPROVAL, date(2026, 1, 5))])
    assert [(field, article) for field, article, _ in problems] == [
        ("EUU", "Art. 64(2)"),
        ("EUU", "Art. 64(2)"),
    ]
    assert problems[0][2].startswith("EUU signed on 2025-10-25 before any of its member States")
    assert problems[1][2].startswith(
        "EUU deposited its instrument on 2026-01-05 before any of its member States"
    )
    assert all("recalled, not verified" in message for _, _, message in problems)
    member = EU_MEMBERS[0]
    validate(
        [
            sign(member),
            sign("EUU"),
            ratify(member, date(2026, 1, 5)),
            TreatyAction("EUU", ActionKind.APPROVAL, date(2026, 1, 5)),
        ]
    )


def test_a_duplicate_row_names_the_participant_and_both_origins() -> None:
    state = OTHERS[0]
    first = TreatyAction(state, ActionKind.SIGNATURE, OPENING, origin="f.csv line 2")
    again = TreatyAction(state, ActionKind.SIGNATURE, OPENING, origin="f.csv line 9")
    problems = _problems([first, again], ConflictError)
    assert problems == [
        (
            state,
            None,
            f"f.csv line 9: duplicate signature by {state} on 2025-10-25 (also f.csv line 2)",
        )
    ]
    without_origin = _problems([sign(state), sign(state)], ConflictError)
    assert without_origin == [(state, None, f"duplicate signature by {state} on 2025-10-25")]
    with pytest.raises(ConflictError, match=r"^the treaty data is not consistent \(1 problem\): "):
        validate([sign(state), sign(state)])
    with pytest.raises(
        InputError, match=r"^the treaty data is not consistent \(2 problems\): "
    ) as two:
        validate([denounce(state, date(2027, 1, 1)), denounce(OTHERS[1], date(2027, 1, 1))])
    assert type(two.value) is InputError


def test_the_answers_as_json_carry_every_field() -> None:
    fortieth = date(2027, 3, 2)
    status = TreatyStatus(
        [*signed_and_ratified(OTHERS[:39], date(2027, 2, 1)), accede(OTHERS[39], fortieth)]
    )
    assert status.entry_into_force is not None
    assert status.entry_into_force.as_dict() == {
        "fortieth_deposit": "2027-03-02",
        "date": "2027-05-31",
    }
    answer = status.applies(OTHERS[0], OTHERS[50], date(2027, 6, 1))
    as_dict = answer.as_dict()
    assert (as_dict["a"], as_dict["b"], as_dict["on"], as_dict["applies"]) == (
        OTHERS[0],
        OTHERS[50],
        "2027-06-01",
        False,
    )
    assert as_dict["reasons"] == [
        {
            "reason": "in-force",
            "participant": OTHERS[0],
            "article": "Art. 65(1)",
            "message": answer.reasons[0].message,
        },
        {
            "reason": "not-signed",
            "participant": OTHERS[50],
            "article": "Art. 64",
            "message": answer.reasons[1].message,
        },
    ]
    record = status.participant(OTHERS[39], date(2027, 6, 1)).as_dict()
    assert (record["standing"], record["in_force_from"], record["bound_until"]) == (
        "party",
        "2027-05-31",
        None,
    )
    assert record["instrument"] == accede(OTHERS[39], fortieth).as_dict()
    assert record["actions"] == [accede(OTHERS[39], fortieth).as_dict()]
    assert record["declarations"] == []
    assert record["on"] == "2027-06-01"


def test_distinct_declarations_pass_and_a_repeated_one_is_named_once() -> None:
    state = OTHERS[0]
    english = Declaration(state, NotificationKind.LANGUAGES, date(2027, 1, 1), "English")
    french = Declaration(state, NotificationKind.LANGUAGES, date(2027, 2, 1), "French")
    joined = [accede(state, date(2027, 1, 1))]
    validate(joined, [english, french])
    with pytest.raises(ConflictError) as caught:
        validate(joined, [english, french, english])
    assert type(caught.value) is ConflictError
    assert [(p.field, p.message) for p in caught.value.problems] == [
        (state, f"duplicate declaration languages by {state} on 2027-01-01")
    ]


def test_the_in_force_finding_cites_65_1_for_the_first_forty_and_65_2_after() -> None:
    late = OTHERS[45]
    status = TreatyStatus(
        [
            *signed_and_ratified(OTHERS[:39], date(2027, 2, 1)),
            accede(OTHERS[39], date(2027, 3, 2)),
            accede(late, date(2027, 7, 1)),
        ]
    )
    early = status.participant(OTHERS[0], date(2027, 8, 1)).finding
    assert (early.reason, early.article) == (Reason.IN_FORCE, "Art. 65(1)")
    assert early.message.endswith("since 2027-05-31 (ratification deposited on 2027-02-01)")
    later = status.participant(late, date(2027, 8, 1)).finding
    assert (later.reason, later.article) == (Reason.IN_FORCE, "Art. 65(2)")
    assert later.message.endswith("since 2027-07-31 (accession deposited on 2027-07-01)")
    waiting = status.participant(late, date(2027, 7, 2)).finding
    assert (waiting.reason, waiting.article) == (Reason.NOT_YET_IN_FORCE_FOR_IT, "Art. 65(2)")
    assert waiting.message.endswith("it enters into force for it on 2027-07-31")
