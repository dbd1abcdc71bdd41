"""Participants: ISO alpha-3 codes, the EU as an REIO, UN names and close-match suggestions."""

from __future__ import annotations

import pytest

from hanoix.errors import UnknownStateError
from hanoix.treaty.participants import (
    ParticipantKind,
    all_participants,
    lookup,
    lookup_name,
    reios_of,
    strip_footnote_marks,
)


def test_a_state_by_code_has_the_un_name() -> None:
    assert lookup("VNM").name == "Viet Nam"
    assert lookup("IRN").name == "Iran (Islamic Republic of)"
    assert lookup("CZE").name == "Czech Republic"
    assert lookup("GBR").name == "United Kingdom of Great Britain and Northern Ireland"
    assert lookup("TUR").name == "Türkiye"
    assert lookup("VNM").kind is ParticipantKind.STATE


def test_the_european_union_is_a_regional_organisation() -> None:
    eu = lookup("EUU")
    assert eu.name == "European Union"
    assert eu.is_reio
    assert lookup("euu") == eu
    assert reios_of("AUT") == ["EUU"]
    assert reios_of("VNM") == []


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Iran (Islamic Republic of)", "IRN"),
        ("Côte d'Ivoire", "CIV"),
        ("Côte d’Ivoire", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("Democratic People's Republic of Korea", "PRK"),
        ("Republic of Korea", "KOR"),
        ("Czech Republic", "CZE"),
        ("Czechia", "CZE"),
        ("Venezuela (Bolivarian Republic of)", "VEN"),
        ("Bolivia (Plurinational State of)", "BOL"),
        ("United Kingdom of Great Britain and Northern Ireland", "GBR"),
        ("Viet Nam", "VNM"),
        ("Russian Federation", "RUS"),
        ("Türkiye", "TUR"),
        ("Turkey", "TUR"),
        ("United Republic of Tanzania", "TZA"),
        ("Republic of Moldova", "MDA"),
        ("State of Palestine", "PSE"),
        ("Lao People's Democratic Republic", "LAO"),
        ("Micronesia (Federated States of)", "FSM"),
        ("Netherlands (Kingdom of the)", "NLD"),
        ("Syrian Arab Republic", "SYR"),
        ("Democratic Republic of the Congo", "COD"),
        ("Congo", "COG"),
        ("Guinea-Bissau", "GNB"),
        ("Brunei Darussalam", "BRN"),
        ("United States of America", "USA"),
        ("European Union", "EUU"),
        ("Belgium3", "BEL"),
        ("Belgium 3, 4", "BEL"),
    ],
)
def test_un_names_map_to_codes(name: str, code: str) -> None:
    assert lookup_name(name).code == code


def test_footnote_marks_are_stripped() -> None:
    assert strip_footnote_marks("France 12") == "France"
    assert strip_footnote_marks("  Guinea-Bissau*  ") == "Guinea-Bissau"


def test_an_unknown_code_suggests_the_closest() -> None:
    with pytest.raises(UnknownStateError) as caught:
        lookup("VNN")
    assert "VNM (Viet Nam)" in caught.value.message
    assert caught.value.exit_code == 2


def test_a_name_given_as_a_code_suggests_the_state() -> None:
    with pytest.raises(UnknownStateError, match="FRA"):
        lookup("France")


def test_an_unknown_name_is_refused_with_suggestions() -> None:
    with pytest.raises(UnknownStateError, match="AUT"):
        lookup_name("Austriia")
    with pytest.raises(UnknownStateError):
        lookup_name("Narnia")


def test_every_iso_state_and_the_eu_are_known() -> None:
    codes = [p.code for p in all_participants()]
    assert codes[0] == "EUU"
    assert len(codes) == len(set(codes)) == 250
    assert {"VNM", "USA", "PSE", "VAT", "COK", "NIU"} <= set(codes)
