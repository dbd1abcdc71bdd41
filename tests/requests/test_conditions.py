"""Conditions on use: every use outside them is refused, naming the condition and article;
a recorded consent then allows exactly the use it names."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hanoix.errors import InputError, PermissionDeniedError
from hanoix.requests.conditions import (
    ConditionSet,
    DeleteBy,
    IntendedUse,
    KeepConfidential,
    NoOnwardTransfer,
    RetentionConsent,
    UseAction,
    UseConsent,
    UseDeniedError,
    UseOnlyForProceeding,
    check_use,
    statutory_conditions,
)

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
CASE = "AUT-StA-Wien-123/26"
OTHER_CASE = "AUT-StA-Graz-9/26"


def _consent(action: UseAction, **kwargs: object) -> UseConsent:
    return UseConsent(action=action, granted_by="VNM-MPS", granted_at=NOW, **kwargs)  # type: ignore[arg-type]


def test_statutory_conditions_limit_use_and_onward_transfer() -> None:
    conditions = ConditionSet(conditions=statutory_conditions(CASE))
    check_use(conditions, IntendedUse(UseAction.OPEN), NOW)
    check_use(conditions, IntendedUse(UseAction.USE_IN_PROCEEDING, proceeding=CASE), NOW)
    check_use(conditions, IntendedUse(UseAction.EXPORT, proceeding=CASE), NOW)
    with pytest.raises(UseDeniedError) as caught:
        check_use(conditions, IntendedUse(UseAction.USE_IN_PROCEEDING, proceeding=OTHER_CASE), NOW)
    assert [p.article for p in caught.value.problems] == ["Art. 40(19)"]
    assert "use-only-for-proceeding" in str(caught.value)


def test_forwarding_breaks_both_statutory_conditions_and_both_are_named() -> None:
    conditions = ConditionSet(conditions=statutory_conditions(CASE))
    with pytest.raises(UseDeniedError) as caught:
        check_use(conditions, IntendedUse(UseAction.FORWARD, recipient="DEU"), NOW)
    assert {p.field: p.article for p in caught.value.problems} == {
        "use-only-for-proceeding": "Art. 40(19)",
        "no-onward-transfer": "Art. 36(3)",
    }
    assert isinstance(caught.value, PermissionDeniedError)
    assert caught.value.exit_code == 1


@pytest.mark.parametrize(
    ("condition", "use", "article"),
    [
        (
            UseOnlyForProceeding(proceeding=CASE),
            IntendedUse(UseAction.USE_IN_PROCEEDING, proceeding=OTHER_CASE),
            "Art. 40(19)",
        ),
        (
            UseOnlyForProceeding(proceeding=CASE),
            IntendedUse(UseAction.EXPORT, proceeding=OTHER_CASE),
            "Art. 40(19)",
        ),
        (NoOnwardTransfer(), IntendedUse(UseAction.FORWARD, recipient="DEU"), "Art. 36(3)"),
        (KeepConfidential(), IntendedUse(UseAction.EXPORT), "Art. 40(20)"),
        (KeepConfidential(), IntendedUse(UseAction.FORWARD, recipient="DEU"), "Art. 40(20)"),
        (DeleteBy(on=date(2026, 5, 31)), IntendedUse(UseAction.OPEN), "Art. 36(1)(b)"),
    ],
)
def test_each_condition_refuses_a_use_outside_it(
    condition: object, use: IntendedUse, article: str
) -> None:
    conditions = ConditionSet(conditions=(condition,))  # type: ignore[arg-type]
    with pytest.raises(UseDeniedError) as caught:
        check_use(conditions, use, NOW)
    assert [p.article for p in caught.value.problems] == [article]
    assert article in str(caught.value)


@pytest.mark.parametrize(
    ("condition", "use"),
    [
        (UseOnlyForProceeding(proceeding=CASE), IntendedUse(UseAction.OPEN)),
        (NoOnwardTransfer(), IntendedUse(UseAction.EXPORT)),
        (KeepConfidential(), IntendedUse(UseAction.OPEN)),
        (KeepConfidential(), IntendedUse(UseAction.USE_IN_PROCEEDING, proceeding=CASE)),
        (DeleteBy(on=date(2026, 6, 1)), IntendedUse(UseAction.EXPORT)),
    ],
)
def test_uses_inside_the_conditions_pass(condition: object, use: IntendedUse) -> None:
    check_use(ConditionSet(conditions=(condition,)), use, NOW)  # type: ignore[arg-type]


def test_an_exculpatory_disclosure_is_the_exception_to_the_use_limitation_only() -> None:
    # Art. 40(19): exculpatory material may be disclosed in any of the requesting State's
    # proceedings, even one the request did not state, without the requested State's consent.
    disclosure = IntendedUse(UseAction.DISCLOSE_EXCULPATORY, proceeding=OTHER_CASE)
    check_use(ConditionSet(conditions=statutory_conditions(CASE)), disclosure, NOW)
    # Not an exception to confidentiality, nor to a deletion date.
    for condition, article in (
        (KeepConfidential(), "Art. 40(20)"),
        (DeleteBy(on=date(2026, 5, 31)), "Art. 36(1)(b)"),
    ):
        with pytest.raises(UseDeniedError) as caught:
            check_use(ConditionSet(conditions=(condition,)), disclosure, NOW)  # type: ignore[arg-type]
        assert [p.article for p in caught.value.problems] == [article]
    # Confidentiality gives way to a consent to that disclosure.
    consented = ConditionSet(
        conditions=(KeepConfidential(),),
        consents=(_consent(UseAction.DISCLOSE_EXCULPATORY, proceeding=OTHER_CASE),),
    )
    check_use(consented, disclosure, NOW)
    with pytest.raises(InputError, match="in which proceeding"):
        IntendedUse(UseAction.DISCLOSE_EXCULPATORY)


def test_consent_allows_exactly_the_use_it_names() -> None:
    conditions = ConditionSet(conditions=statutory_conditions(CASE))
    other = IntendedUse(UseAction.USE_IN_PROCEEDING, proceeding=OTHER_CASE)
    with pytest.raises(UseDeniedError):
        check_use(conditions, other, NOW)
    widened = conditions.consent(_consent(UseAction.USE_IN_PROCEEDING, proceeding=OTHER_CASE))
    check_use(widened, other, NOW)
    with pytest.raises(UseDeniedError):
        check_use(widened, IntendedUse(UseAction.USE_IN_PROCEEDING, proceeding="third case"), NOW)


def test_forwarding_needs_consent_for_that_recipient() -> None:
    conditions = ConditionSet(conditions=statutory_conditions(CASE)).consent(
        _consent(UseAction.FORWARD, recipient="DEU")
    )
    check_use(conditions, IntendedUse(UseAction.FORWARD, recipient="DEU"), NOW)
    with pytest.raises(UseDeniedError):
        check_use(conditions, IntendedUse(UseAction.FORWARD, recipient="FRA"), NOW)


def test_written_authorisation_demanded_is_not_met_by_an_oral_consent() -> None:
    conditions = ConditionSet(conditions=(NoOnwardTransfer(written=True),))
    forward = IntendedUse(UseAction.FORWARD, recipient="DEU")
    with pytest.raises(UseDeniedError, match="in writing"):
        check_use(conditions.consent(_consent(UseAction.FORWARD, recipient="DEU")), forward, NOW)
    written = _consent(UseAction.FORWARD, recipient="DEU", written=True, letter="VNM/2026/77")
    check_use(conditions.consent(written), forward, NOW)


def test_deletion_date_is_read_in_the_earlier_calendar() -> None:
    # 31 May ends at 17:00 UTC in Ho Chi Minh City, at 22:00 UTC in Vienna (CEST).
    condition = DeleteBy(on=date(2026, 5, 31), zones=("Europe/Vienna", "Asia/Ho_Chi_Minh"))
    assert condition.deadline() == datetime(2026, 5, 31, 17, 0, tzinfo=UTC)
    conditions = ConditionSet(conditions=(condition,))
    check_use(conditions, IntendedUse(UseAction.OPEN), datetime(2026, 5, 31, 16, 59, tzinfo=UTC))
    with pytest.raises(UseDeniedError, match="deleted by 2026-05-31"):
        check_use(conditions, IntendedUse(UseAction.OPEN), datetime(2026, 5, 31, 17, tzinfo=UTC))


def test_retention_consent_moves_the_deletion_date() -> None:
    conditions = ConditionSet(conditions=(DeleteBy(on=date(2026, 5, 31)),))
    with pytest.raises(UseDeniedError):
        check_use(conditions, IntendedUse(UseAction.OPEN), NOW)
    kept = conditions.consent(
        RetentionConsent(until=date(2026, 12, 31), granted_by="VNM-MPS", granted_at=NOW)
    )
    check_use(kept, IntendedUse(UseAction.OPEN), NOW)


def test_attaching_the_same_condition_twice_keeps_one() -> None:
    conditions = ConditionSet().attach((KeepConfidential(),)).attach((KeepConfidential(),))
    assert conditions.conditions == (KeepConfidential(),)


@pytest.mark.parametrize(
    "build",
    [
        lambda: IntendedUse(UseAction.USE_IN_PROCEEDING),
        lambda: IntendedUse(UseAction.FORWARD),
        lambda: _consent(UseAction.FORWARD),
        lambda: _consent(UseAction.USE_IN_PROCEEDING),
    ],
)
def test_uses_and_consents_must_say_where(build: object) -> None:
    with pytest.raises(InputError):
        build()  # type: ignore[operator]


def test_a_deletion_date_still_ahead_does_not_stop_the_other_conditions_being_checked() -> None:
    # A "delete by" condition is checked on its own and the loop goes on: stopping there would
    # let every condition after it through (fail open).
    conditions = ConditionSet(
        conditions=(DeleteBy(date(2026, 12, 31)), *statutory_conditions(CASE))
    )
    check_use(conditions, IntendedUse(UseAction.USE_IN_PROCEEDING, proceeding=CASE), NOW)
    with pytest.raises(UseDeniedError) as caught:
        check_use(conditions, IntendedUse(UseAction.FORWARD, recipient="DEU"), NOW)
    assert caught.value.message == (
        "use not permitted: condition 'use-only-for-proceeding' (Art. 40(19)): use only for the "
        "proceeding stated in the request; 'forward' needs the requested State's prior consent, "
        "recorded as a consent step (and 1 more)"
    )
    assert [(p.field, p.article) for p in caught.value.problems] == [
        ("use-only-for-proceeding", "Art. 40(19)"),
        ("no-onward-transfer", "Art. 36(3)"),
    ]


def test_one_broken_condition_is_named_alone_with_the_action_in_words() -> None:
    conditions = ConditionSet(conditions=statutory_conditions(CASE))
    use = IntendedUse(UseAction.USE_IN_PROCEEDING, proceeding=OTHER_CASE)
    with pytest.raises(UseDeniedError) as caught:
        check_use(conditions, use, NOW)
    assert caught.value.message == (
        "use not permitted: condition 'use-only-for-proceeding' (Art. 40(19)): use only for the "
        "proceeding stated in the request; 'use in proceeding' needs the requested State's "
        "prior consent, recorded as a consent step"
    )


def test_past_its_deletion_date_the_material_may_not_be_used_at_all() -> None:
    conditions = ConditionSet(conditions=(DeleteBy(date(2026, 5, 31)),))
    with pytest.raises(UseDeniedError) as caught:
        check_use(conditions, IntendedUse(UseAction.OPEN), NOW)
    assert [(p.field, p.article) for p in caught.value.problems] == [("delete-by", "Art. 36(1)(b)")]
    assert caught.value.message == (
        "use not permitted: condition 'delete-by' (Art. 36(1)(b)): the material had to be "
        "deleted by 2026-05-31; no use is allowed after that without the sender's consent to "
        "keep it"
    )


def test_the_time_of_use_must_be_aware() -> None:
    with pytest.raises(InputError, match=r"^the time of use must be timezone-aware"):
        check_use(ConditionSet(conditions=()), IntendedUse(UseAction.OPEN), datetime(2026, 6, 1))
