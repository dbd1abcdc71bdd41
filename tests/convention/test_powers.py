from __future__ import annotations

import re

import pytest

from hanoix.convention import Art, Basis
from hanoix.convention.powers import power
from hanoix.errors import NotFoundError


def test_expedited_preservation_reads_as_a_plain_dict_with_its_90_days() -> None:
    # FACTS.md §5, Art. 25 [R]: up to a maximum of 90 days, renewable; the custodian keeps it
    # confidential; Budapest twin Art. 16.
    shown = power(25).as_dict()
    assert shown["code"] == "expedited-preservation"
    assert shown["article"] == "Art. 25"
    assert shown["title"] == "Expedited preservation of stored electronic data"
    assert shown["basis"] == "recalled"
    assert shown["confidentiality"] is True
    assert shown["reservation"] is None
    assert shown["budapest"] == "Art. 16"
    assert [(p["amount"], p["unit"], p["bound"], p["renewable"]) for p in shown["limits"]] == [
        (90, "days", "maximum", True)
    ]
    assert shown["description"].startswith("Ordering the quick preservation")
    assert shown["note"] == ""


def test_real_time_collection_of_traffic_data_admits_the_reservation_of_23_3() -> None:
    # FACTS.md §5: Art. 29, providers keep it confidential; 23(3) reservations; Budapest Art. 20.
    shown = power(29).as_dict()
    assert shown["reservation"] == "Art. 23(3)"
    assert shown["confidentiality"] is True
    assert shown["budapest"] == "Art. 20"
    assert shown["limits"] == []
    assert power(29).basis is Basis.RECALLED


def test_every_article_of_the_procedural_powers_has_its_power() -> None:
    # FACTS.md §5: the powers are Arts 25 to 34.
    assert [power(number).art for number in range(25, 35)] == [Art(n) for n in range(25, 35)]
    assert (
        power(34).note == "The content-removal paragraph is recalled as about Art. 34(6); verify."
    )


@pytest.mark.parametrize("number", [24, 35])
def test_an_article_outside_25_to_34_has_no_power(number: int) -> None:
    with pytest.raises(
        NotFoundError,
        match=re.escape(f"procedural powers are in articles 25 to 34; got {number}"),
    ):
        power(number)
