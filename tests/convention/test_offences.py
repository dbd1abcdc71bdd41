from __future__ import annotations

import pytest

from hanoix.convention import Art, Basis, TimeUnit
from hanoix.convention.offences import (
    EXTRADITION_THRESHOLD,
    OFFENCES,
    SERIOUS_CRIME_THRESHOLD,
    OffenceRole,
    is_serious_crime,
    meets_extradition_threshold,
    offence,
)
from hanoix.errors import NotFoundError


def test_the_catalogue_runs_from_article_7_to_19() -> None:
    assert [item.art.article for item in OFFENCES] == list(range(7, 20))
    assert offence(18).role is OffenceRole.LIABILITY
    assert offence(19).role is OffenceRole.PARTICIPATION
    assert {item.role for item in OFFENCES if item.art.article <= 17} == {OffenceRole.OFFENCE}


def test_only_misuse_of_devices_admits_a_reservation() -> None:
    reservable = [item for item in OFFENCES if item.reservation_permitted]
    assert [item.code for item in reservable] == ["misuse-of-devices"]
    assert reservable[0].reservation == Art(11, 3)
    assert reservable[0].basis is Basis.VERIFIED


def test_optional_elements_carry_their_paragraphs() -> None:
    assert [e.art for e in offence(7).optional_elements] == [Art(7, 2)]
    assert [e.art for e in offence(14).optional_elements] == [Art(14, 2), Art(14, 3), Art(14, 4)]
    assert [e.art for e in offence(15).optional_elements] == [Art(15, 2), Art(15, 3), Art(15, 4)]
    assert offence(10).optional_elements == ()
    assert offence(13).optional_elements == ()


def test_bases_follow_the_facts_file() -> None:
    assert all(offence(n).basis is Basis.VERIFIED for n in range(7, 16))
    assert all(offence(n).basis is Basis.RECALLED for n in (16, 17, 18, 19))


def test_unknown_offence_article_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="7 to 19; got 20"):
        offence(20)


def test_serious_crime_is_four_years_verified() -> None:
    assert (SERIOUS_CRIME_THRESHOLD.amount, SERIOUS_CRIME_THRESHOLD.unit) == (4, TimeUnit.YEARS)
    assert SERIOUS_CRIME_THRESHOLD.art == Art(2, None, "h")
    assert SERIOUS_CRIME_THRESHOLD.basis is Basis.VERIFIED
    assert is_serious_crime(48)
    assert not is_serious_crime(47)
    assert is_serious_crime(None)  # life imprisonment: "a more serious penalty"


def test_extradition_threshold_is_one_year_in_both_states() -> None:
    assert (EXTRADITION_THRESHOLD.amount, EXTRADITION_THRESHOLD.art) == (1, Art(37, 1))
    assert EXTRADITION_THRESHOLD.basis is Basis.RECALLED
    assert meets_extradition_threshold(12, 24)
    assert not meets_extradition_threshold(12, 11)
    assert not meets_extradition_threshold(6, None)


def test_an_offence_reads_as_a_plain_dict_with_its_optional_elements() -> None:
    # FACTS.md §4, Art. 9 [V] (Arabic): 9(2) may require serious harm; no reservation.
    assert offence(9).as_dict() == {
        "code": "data-interference",
        "article": "Art. 9",
        "title": "Interference with electronic data",
        "description": "Intentional damaging, deletion, deterioration, alteration or suppression "
        "of electronic data without right.",
        "role": "offence",
        "basis": "verified",
        "optional_elements": [
            {
                "article": "Art. 9(2)",
                "description": "that the conduct results in serious harm",
                "basis": "verified",
            }
        ],
        "reservation_permitted": False,
        "reservation": None,
        "note": "",
    }


def test_the_reservation_of_article_11_shows_in_the_plain_dict() -> None:
    # FACTS.md §4 and §9.2: 11(3) allows a reservation, except for trade in the 1(a)(ii) items.
    shown = offence(11).as_dict()
    assert (shown["reservation_permitted"], shown["reservation"]) == (True, "Art. 11(3)")
    assert shown["optional_elements"] == []
    assert shown["note"].startswith("Art. 11(2): no liability for authorized testing")
    assert "11(1)(a)(ii)" in shown["note"]
