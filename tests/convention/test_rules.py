from __future__ import annotations

from datetime import date
from fractions import Fraction

from hanoix.convention import Art, Basis, Provision, Rule


def test_a_provision_reads_as_a_plain_dict() -> None:
    # FACTS.md §6.6: locating suspects is a task of the 24/7 point of contact, Art. 41(3)(d) [R].
    task = Provision("locating-suspects", "locating suspects", Art(41, 3, "d"), Basis.RECALLED)
    assert task.as_dict() == {
        "code": "locating-suspects",
        "description": "locating suspects",
        "article": "Art. 41(3)(d)",
        "basis": "recalled",
        "note": "",
    }


def test_a_rule_reads_as_a_plain_dict_with_its_value_made_plain() -> None:
    # FACTS.md §9.1: a two-thirds majority of States Parties present and voting [R].
    majority = Rule(
        "protocol-majority",
        Fraction(2, 3),
        "majority of States Parties present and voting",
        Art(62),
        Basis.RECALLED,
        "consensus is sought first",
    )
    assert majority.as_dict() == {
        "name": "protocol-majority",
        "value": "2/3",
        "description": "majority of States Parties present and voting",
        "article": "Art. 62",
        "basis": "recalled",
        "note": "consensus is sought first",
    }


def test_dates_and_tuples_in_a_rule_value_are_made_plain() -> None:
    # FACTS.md §9.1: open at UN Headquarters until 31 December 2026, Art. 64(1) [V].
    until = Rule(
        "signature-until", (date(2026, 12, 31),), "open for signature", Art(64, 1), Basis.VERIFIED
    )
    assert until.as_dict()["value"] == ["2026-12-31"]
    assert until.as_dict()["basis"] == "verified"
