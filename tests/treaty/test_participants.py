"""Participants: ISO alpha-3 codes, the EU as an REIO, UN names and close-match suggestions."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from pathlib import Path

import pytest

from hanoix.errors import UnknownStateError
from hanoix.treaty.participants import (
    Participant,
    ParticipantKind,
    _zone_tables,
    _zones_by_country,
    all_participants,
    is_known,
    lookup,
    lookup_name,
    reio_members,
    reios_of,
    state_zone,
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


# --- what the tests above left open (mutation run of participants.py, issue 20) ---------------

ADVICE = "use an ISO 3166-1 alpha-3 code (e.g. VNM) or EUU for the European Union"


def test_a_participant_is_written_as_its_code_name_and_kind() -> None:
    assert lookup("VNM").as_dict() == {"code": "VNM", "name": "Viet Nam", "kind": "state"}
    assert lookup("EUU").as_dict() == {"code": "EUU", "name": "European Union", "kind": "reio"}


def test_a_left_single_quote_reads_as_an_apostrophe() -> None:
    assert lookup_name("Côte d‘Ivoire").code == "CIV"
    assert lookup_name("Democratic People‘s Republic of Korea").code == "PRK"


MAP_HINT = "if it is a participant, say which with --map"


@pytest.mark.parametrize(
    ("find", "text", "message"),
    [
        # Nothing close: no suggestion at all.
        (lookup, "Q", f"unknown State code 'Q': {ADVICE}"),
        (lookup_name, "Q 7", f"unknown participant name 'Q': {ADVICE}; {MAP_HINT} 'Q=ISO3'"),
        # "Ira": the names Iraq, Iran and Israel, then the codes VIR, RWA, KIR; four are shown.
        (
            lookup,
            "Ira",
            f"unknown State code 'Ira': {ADVICE}; did you mean IRQ (Iraq), "
            "IRN (Iran (Islamic Republic of)), ISR (Israel), VIR (Virgin Islands, U.S.)?",
        ),
        # "Ukr": Ukraine by name and by code, then only the next two codes (not a fourth, SUR).
        (
            lookup_name,
            "Ukr",
            f"unknown participant name 'Ukr': {ADVICE}; did you mean UKR (Ukraine), "
            f"URY (Uruguay), TUR (Türkiye)?; {MAP_HINT} 'Ukr=ISO3'",
        ),
    ],
)
def test_an_unknown_participant_is_refused_with_the_closest_three_names_then_codes_four_at_most(
    find: Callable[[str], Participant], text: str, message: str
) -> None:
    with pytest.raises(UnknownStateError) as caught:
        find(text)
    assert caught.value.message == message


def test_the_eu_has_its_27_member_states_and_a_state_has_none() -> None:
    members = reio_members("EUU")
    assert len(members) == 27
    assert {"AUT", "DEU", "FRA", "HRV", "SWE"} <= members
    assert "GBR" not in members  # left on 31 January 2020
    assert reio_members("VNM") == frozenset()
    assert reio_members("XXX") == frozenset()


def test_known_participants_are_iso_states_and_the_eu() -> None:
    assert is_known("EUU")
    assert is_known("VNM")
    assert not is_known("XXX")
    assert not is_known("vnm")  # codes as stored are upper case


@pytest.mark.skipif(
    not any((Path(base) / "zone.tab").is_file() for base in zoneinfo.TZPATH),
    reason="no tz database zone.tab on this machine",
)
def test_a_states_zone_is_the_first_the_tz_database_lists_for_it() -> None:
    # zone.tab: "VN ... Asia/Ho_Chi_Minh", "AT ... Europe/Vienna", the first US line New York.
    assert state_zone("VNM") == "Asia/Ho_Chi_Minh"
    assert state_zone("AUT") == "Europe/Vienna"
    assert state_zone("USA") == "America/New_York"
    # Bouvet Island has an ISO code but no line in zone.tab; XXX is no country at all.
    assert state_zone("BVT") == "UTC"
    assert state_zone("XXX") == "UTC"


@pytest.mark.skipif(
    not any((Path(base) / "zone.tab").is_file() for base in zoneinfo.TZPATH),
    reason="no tz database zone.tab on this machine",
)
def test_the_zone_table_is_read_afresh_from_the_tz_database_path() -> None:
    # The table is computed once and cached; read it here without the cache.
    tables = _zone_tables()
    assert [t.name for t in tables] == ["zone.tab"] * len(zoneinfo.TZPATH)
    assert [str(t.parent) for t in tables] == list(zoneinfo.TZPATH)
    zones = _zones_by_country.__wrapped__()
    assert (zones["VN"], zones["AT"], zones["US"]) == (
        "Asia/Ho_Chi_Minh",
        "Europe/Vienna",
        "America/New_York",
    )
    assert "BV" not in zones
