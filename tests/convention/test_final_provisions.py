from __future__ import annotations

from datetime import date
from fractions import Fraction

from hanoix.convention import Art, Basis, Bound, TimeUnit
from hanoix.convention import final_provisions as fp


def test_entry_into_force_rule_is_verified() -> None:
    assert fp.ENTRY_INTO_FORCE_INSTRUMENTS.value == 40
    assert fp.ENTRY_INTO_FORCE_DELAY.amount == 90
    assert fp.ENTRY_INTO_FORCE_DELAY.unit is TimeUnit.DAYS
    for rule in (
        fp.ENTRY_INTO_FORCE_INSTRUMENTS,
        fp.ENTRY_INTO_FORCE_DELAY,
        fp.REIO_INSTRUMENT_COUNTED,
    ):
        assert rule.art == Art(65, 1)
        assert rule.basis is Basis.VERIFIED
    assert fp.REIO_INSTRUMENT_COUNTED.value is False


def test_entry_into_force_is_the_ninetieth_day_after_the_fortieth_deposit() -> None:
    assert fp.entry_into_force_date(date(2026, 3, 2)) == date(2026, 5, 31)


def test_later_parties_thirtieth_day_or_the_general_date() -> None:
    assert fp.LATER_PARTY_DAYS == 30
    assert fp.LATER_PARTY_DELAY.amount == fp.LATER_PARTY_DAYS
    assert fp.LATER_PARTY_DELAY.art == Art(65, 2)
    assert fp.LATER_PARTY_DELAY.basis is Basis.RECALLED
    general = date(2026, 5, 31)
    assert fp.entry_into_force_for(date(2026, 1, 10), general) == general
    assert fp.entry_into_force_for(date(2026, 5, 20), general) == date(2026, 6, 19)
    assert fp.entry_into_force_for(date(2026, 9, 1), general) == date(2026, 10, 1)


def test_signature_window() -> None:
    assert fp.SIGNATURE_HANOI_FROM.value == date(2025, 10, 25)
    assert fp.SIGNATURE_HANOI_UNTIL.value == date(2025, 10, 26)
    assert fp.SIGNATURE_NEW_YORK_UNTIL.value == date(2026, 12, 31)
    assert fp.SIGNATURE_NEW_YORK_UNTIL.basis is Basis.VERIFIED
    # The depositary says "article 64", without a paragraph (issue 12, item 2).
    for rule in (fp.SIGNATURE_HANOI_FROM, fp.SIGNATURE_HANOI_UNTIL, fp.SIGNATURE_NEW_YORK_UNTIL):
        assert (rule.art, rule.basis) == (Art(64), Basis.VERIFIED)
        assert "paragraph 1 is recalled" in rule.note
    assert not fp.signature_open(date(2025, 10, 24))
    assert fp.signature_open(date(2025, 10, 25))
    assert fp.signature_open(date(2026, 12, 31))
    assert not fp.signature_open(date(2027, 1, 1))


def test_denunciation_takes_effect_one_year_after_receipt() -> None:
    assert fp.DENUNCIATION_DELAY.art == Art(67, 1)
    assert fp.DENUNCIATION_DELAY.basis is Basis.RECALLED
    assert fp.denunciation_effective(date(2030, 6, 15)) == date(2031, 6, 15)
    assert fp.denunciation_effective(date(2032, 2, 29)) == date(2033, 2, 28)


def test_amendments_protocols_and_the_conference() -> None:
    assert fp.amendments_open_from(date(2027, 3, 1)) == date(2032, 3, 1)
    assert fp.AMENDMENT_MAJORITY.value == Fraction(2, 3)
    assert fp.AMENDMENT_IN_FORCE_DELAY.amount == 90
    assert fp.PROTOCOL_MINIMUM_PARTIES.value == 60
    assert fp.PROTOCOL_MINIMUM_PARTIES.art == Art(62)
    assert fp.COSP_FIRST_SESSION.bound is Bound.MAXIMUM
    assert fp.cosp_first_session_due(date(2027, 3, 1)) == date(2028, 3, 1)
    assert fp.AUTHENTIC_LANGUAGES.value == ("ar", "zh", "en", "fr", "ru", "es")


def test_constants_serialise_for_json() -> None:
    assert fp.AMENDMENT_MAJORITY.as_dict()["value"] == "2/3"
    assert fp.SIGNATURE_NEW_YORK_UNTIL.as_dict()["value"] == "2026-12-31"
    assert fp.AUTHENTIC_LANGUAGES.as_dict()["value"] == ["ar", "zh", "en", "fr", "ru", "es"]
    assert fp.LATER_PARTY_DELAY.as_dict()["article"] == "Art. 65(2)"
