"""Treaty actions and declarations as records: their written form, the case of codes, dates and
action names refused in words (FACTS.md: Azerbaijan signed on 25 Oct 2025 with reservations
under Arts 7(2), 9(2), 11(3) and 63(3), and approved the Convention by law in Feb 2026)."""

from __future__ import annotations

from datetime import date

import pytest

from hanoix.convention.notifications import NotificationForm, NotificationKind
from hanoix.convention.refs import Art
from hanoix.errors import InputError
from hanoix.treaty.actions import (
    ActionKind,
    Declaration,
    SourceBasis,
    TreatyAction,
    parse_date,
    parse_kind,
)

SIGNED = date(2025, 10, 25)
DUTCH = "verdragen.nl 013891"


def test_an_action_is_written_with_its_basis_and_source() -> None:
    action = TreatyAction("AZE", ActionKind.SIGNATURE, SIGNED, SourceBasis.VERIFIED, "UNTC")
    assert action.as_dict() == {
        "participant": "AZE",
        "action": "signature",
        "date": "2025-10-25",
        "basis": "verified",
        "source": "UNTC",
    }
    approval = TreatyAction("AZE", ActionKind.DOMESTIC_APPROVAL, date(2026, 2, 23))
    assert approval.as_dict() == {
        "participant": "AZE",
        "action": "domestic-approval",
        "date": "2026-02-23",
        "basis": None,
        "source": None,
    }


def test_a_declaration_is_written_as_lodged_with_what_it_does() -> None:
    harm = Declaration(
        "AZE",
        NotificationKind.OPTIONAL_ELEMENT,
        SIGNED,
        "serious harm",
        SourceBasis.VERIFIED,
        DUTCH,
        form=NotificationForm.RESERVATION,
        art=Art(9, 2),
    )
    assert harm.as_dict() == {
        "participant": "AZE",
        "kind": "optional-element",
        "form": "reservation",
        "article": "Art. 9(2)",
        "date": "2025-10-25",
        "text": "serious harm",
        "basis": "verified",
        "source": DUTCH,
    }
    # Named by its code alone: the notification's own form and article, no basis or source.
    authority = Declaration(
        "AZE", NotificationKind.EXTRADITION_AUTHORITY, date(2026, 2, 23), "Ministry of Justice"
    )
    assert authority.as_dict() == {
        "participant": "AZE",
        "kind": "extradition-authority",
        "form": "notification",
        "article": "Art. 37",
        "date": "2026-02-23",
        "text": "Ministry of Justice",
        "basis": None,
        "source": None,
    }


def test_a_lower_case_code_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"^participant codes are upper case: 'aze'$"):
        TreatyAction("aze", ActionKind.SIGNATURE, SIGNED)
    with pytest.raises(ValueError, match=r"^participant codes are upper case: 'Aze'$"):
        Declaration("Aze", NotificationKind.LANGUAGES, SIGNED, "English")


def test_a_treaty_action_is_not_a_declaration() -> None:
    with pytest.raises(ValueError, match=r"^denunciation is a treaty action, not a declaration$"):
        Declaration("AZE", NotificationKind("denunciation"), SIGNED)


def test_a_date_is_read_only_as_yyyy_mm_dd() -> None:
    assert parse_date("2025-10-25") == SIGNED
    assert parse_date(" 2025-10-25\n") == SIGNED
    for text in ("25/10/2025", "2025-10-5", "20251025", "2025-02-30", "2025-10-25T00:00"):
        with pytest.raises(InputError) as caught:
            parse_date(text)
        assert caught.value.message == f"date: {text} is not a date; write YYYY-MM-DD"
    with pytest.raises(InputError) as caught:
        parse_date("2026-13-01", "--on")
    assert caught.value.message == "--on: 2026-13-01 is not a date; write YYYY-MM-DD"


def test_an_action_or_notification_is_read_by_its_code() -> None:
    assert parse_kind("signature") is ActionKind.SIGNATURE
    assert parse_kind(" withdrawal-of-reservation ") is ActionKind.WITHDRAWAL_OF_RESERVATION
    assert parse_kind("domestic-approval") is ActionKind.DOMESTIC_APPROVAL
    # Denunciation is both; the treaty action wins.
    assert parse_kind("denunciation") is ActionKind.DENUNCIATION
    assert parse_kind("central-authority") is NotificationKind.CENTRAL_AUTHORITY
    assert parse_kind("languages") is NotificationKind.LANGUAGES


def test_an_unknown_action_is_refused_naming_the_closest_and_every_known_one() -> None:
    with pytest.raises(InputError) as caught:
        parse_kind("Ratifiction")
    message = caught.value.message
    assert message.startswith(
        "unknown action 'Ratifiction': did you mean 'ratification'? known actions: "
    )
    known = message.split("known actions: ", 1)[1].split(", ")
    assert known == sorted(known)
    assert {"signature", "ratification", "accession", "central-authority", "languages"} <= set(
        known
    )
    assert known.count("denunciation") == 1  # listed once, as the treaty action


def test_an_action_like_no_known_one_is_refused_without_a_guess() -> None:
    with pytest.raises(InputError) as caught:
        parse_kind("zzz")
    assert caught.value.message.startswith(
        "unknown action 'zzz': known actions: acceptance, accession, "
    )
