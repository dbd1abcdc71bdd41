from __future__ import annotations

import pytest

from hanoix.convention import Art, Basis, NotificationKind, notification
from hanoix.convention.notifications import (
    NOTIFICATIONS,
    NotificationForm,
    Timing,
    ValueType,
    _authority,
    kind_invoked,
)
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
    "extradition-authority",
    "optional-element",
}


def test_the_codes_are_exactly_the_agreed_ones() -> None:
    assert {kind.value for kind in NotificationKind} == CODES
    assert len(NotificationKind) == 17


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
        # Azerbaijan lodged a reservation "under Article 63(3)" (Dutch treaty database 013891).
        "reservation-dispute-settlement": (Art(63, 3), Basis.SECONDARY),
        # Lodged as reservations by Azerbaijan; each statement cites its own paragraph.
        "optional-element": (Art(7, 2), Basis.SECONDARY),
    }


def test_inferred_notifications_are_labelled_inferred() -> None:
    assert notification("confiscation-laws").basis is Basis.INFERRED
    assert notification("confiscation-laws").art == Art(50)


def test_prevention_authority_exists_on_a_secondary_source_with_no_paragraph() -> None:
    # Azerbaijan's approval law designates one (issue 12, item 4): existence [V-2], no paragraph.
    spec = notification("prevention-authority")
    assert spec.basis is Basis.SECONDARY
    assert spec.art == Art(53)
    assert "paragraph is not known" in spec.note


def test_extradition_authority_is_a_designation_of_its_own() -> None:
    # Azerbaijan's law designates its Ministry of Justice (issue 12, item 5).
    spec = notification(NotificationKind.EXTRADITION_AUTHORITY)
    assert spec.form is NotificationForm.NOTIFICATION
    assert (spec.art, spec.basis) == (Art(37), Basis.SECONDARY)
    assert [f.name for f in spec.fields] == ["authority", "contact"]
    assert "Article and paragraph recalled" in spec.note


@pytest.mark.parametrize(
    ("art", "kind"),
    [
        (Art(7, 2), NotificationKind.OPTIONAL_ELEMENT),
        (Art(9, 2), NotificationKind.OPTIONAL_ELEMENT),
        (Art(15, 4), NotificationKind.OPTIONAL_ELEMENT),
        (Art(11, 3), NotificationKind.RESERVATION_MISUSE_OF_DEVICES),
        (Art(63, 3), NotificationKind.RESERVATION_DISPUTE_SETTLEMENT),
        (Art(42, 5), NotificationKind.RESERVATION_PRESERVATION_DUAL_CRIMINALITY),
        (Art(40, 14), NotificationKind.LANGUAGES),
        (Art(37), None),  # legal basis or authority: the article alone cannot tell
        (Art(10, 2), None),
    ],
)
def test_what_a_statement_does_is_read_from_the_paragraph_it_invokes(
    art: Art, kind: NotificationKind | None
) -> None:
    assert kind_invoked(art) is kind


def test_lifecycle_notifications() -> None:
    assert notification("amendment-proposal").timing is Timing.AFTER_FIVE_YEARS_IN_FORCE
    assert notification("amendment-acceptance").form is NotificationForm.INSTRUMENT
    assert notification("denunciation").art == Art(67, 1)
    assert notification("reio-competence").form is NotificationForm.DECLARATION


def test_unknown_notification_lists_the_codes() -> None:
    with pytest.raises(NotFoundError, match="unknown notification 'langs'; valid codes: "):
        notification("langs")


def test_an_unknown_notification_lists_every_valid_code_in_order() -> None:
    with pytest.raises(NotFoundError) as caught:
        notification("langs")
    assert str(caught.value) == (
        "unknown notification 'langs'; valid codes: central-authority, languages, contact-24-7, "
        "extradition-legal-basis, reservation-misuse-of-devices, reservation-real-time-traffic, "
        "reservation-preservation-dual-criminality, reservation-dispute-settlement, "
        "withdrawal-of-reservation, reio-competence, amendment-proposal, amendment-acceptance, "
        "denunciation, confiscation-laws, prevention-authority, extradition-authority, "
        "optional-element"
    )


def test_a_designated_authority_is_notified_by_name_and_contact() -> None:
    # FACTS.md §9.3 row 1: the central authority for MLA is notified at deposit (Art. 40(13)).
    # _authority builds the specs at import, where mutation testing cannot see it: called here.
    assert [field.as_dict() for field in _authority("central authority")] == [
        {
            "name": "authority",
            "description": "name of the central authority",
            "type": "text",
            "required": True,
        },
        {
            "name": "contact",
            "description": "how to reach the central authority",
            "type": "contact",
            "required": True,
        },
    ]
