from __future__ import annotations

import pytest

from hanoix.convention import Art, Basis, NotificationKind, notification
from hanoix.convention.notifications import NOTIFICATIONS, NotificationForm, Timing, ValueType
from hanoix.errors import NotFoundError

CODES = {
    "central-authority",
    "languages",
    "contact-24-7",
    "extradition-legal-basis",
    "reservation-misuse-of-devices",
    "reservation-real-time-traffic",
    "reservation-preservation-dual-criminality",
    "reservation-dispute-settlement",
    "withdrawal-of-reservation",
    "reio-competence",
    "amendment-proposal",
    "amendment-acceptance",
    "denunciation",
    "confiscation-laws",
    "prevention-authority",
}


def test_the_codes_are_exactly_the_agreed_ones() -> None:
    assert {kind.value for kind in NotificationKind} == CODES
    assert len(NotificationKind) == 15


def test_every_kind_has_exactly_one_spec() -> None:
    assert [spec.kind for spec in NOTIFICATIONS] == list(NotificationKind)


def test_deposit_notifications_of_chapter_v() -> None:
    central = notification("central-authority")
    assert (central.art, central.timing) == (Art(40, 13), Timing.AT_DEPOSIT)
    assert [f.name for f in central.fields] == ["authority", "contact", "territory"]
    languages = notification(NotificationKind.LANGUAGES)
    assert languages.art == Art(40, 14)
    assert languages.fields[0].type is ValueType.LANGUAGE_CODES
    assert notification("contact-24-7").art == Art(41, 2)
    assert notification("extradition-legal-basis").fields[0].type is ValueType.BOOLEAN


def test_reservations_and_their_articles() -> None:
    reservations = {
        spec.code: (spec.art, spec.basis)
        for spec in NOTIFICATIONS
        if spec.form is NotificationForm.RESERVATION
    }
    assert reservations == {
        "reservation-misuse-of-devices": (Art(11, 3), Basis.VERIFIED),
        "reservation-real-time-traffic": (Art(23, 3), Basis.RECALLED),
        "reservation-preservation-dual-criminality": (Art(42, 5), Basis.RECALLED),
        "reservation-dispute-settlement": (Art(63, 3), Basis.RECALLED),
    }


def test_inferred_notifications_are_labelled_inferred() -> None:
    assert notification("confiscation-laws").basis is Basis.INFERRED
    assert notification("confiscation-laws").art == Art(50)
    assert notification("prevention-authority").basis is Basis.INFERRED
    assert notification("prevention-authority").art == Art(53)


def test_lifecycle_notifications() -> None:
    assert notification("amendment-proposal").timing is Timing.AFTER_FIVE_YEARS_IN_FORCE
    assert notification("amendment-acceptance").form is NotificationForm.INSTRUMENT
    assert notification("denunciation").art == Art(67, 1)
    assert notification("reio-competence").form is NotificationForm.DECLARATION


def test_unknown_notification_lists_the_codes() -> None:
    with pytest.raises(NotFoundError, match="unknown notification 'langs'; valid codes: "):
        notification("langs")
