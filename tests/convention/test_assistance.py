from __future__ import annotations

import re

import pytest

from hanoix.convention import Art, Basis
from hanoix.convention.assistance import MLA_PURPOSES, MlaPurpose, _purpose, mla_paragraph


def test_paragraphs_after_the_persecution_clause_move_down_by_one() -> None:
    # FACTS.md §6.5: a persecution clause recalled at 40(22) shifts the paragraphs modelled on
    # UNTOC 18(22) onwards: fiscal matters (UNTOC 18(22)) land at 40(23), costs (18(28)) at 40(29).
    assert mla_paragraph(22) == Art(40, 23)
    assert mla_paragraph(28) == Art(40, 29)
    assert mla_paragraph(23, "a") == Art(40, 24, "a")


def test_paragraphs_before_the_shift_are_refused() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape("paragraphs before UNTOC 18(22) are not shifted; cite Art(40, n)"),
    ):
        mla_paragraph(21)


def test_the_thirteen_purposes_of_mla_carry_their_letters_of_article_40_3() -> None:
    # FACTS.md §6.5 (a): 13 purposes, a) to m), recalled; order, letters and count unverified.
    assert [p.art for p in MLA_PURPOSES] == [Art(40, 3, letter) for letter in "abcdefghijklm"]
    assert [p.code for p in MLA_PURPOSES] == [purpose.value for purpose in MlaPurpose]
    assert {p.basis for p in MLA_PURPOSES} == {Basis.RECALLED}
    assert all(p.note.endswith("recalled, not verified.") for p in MLA_PURPOSES)
    served = MLA_PURPOSES[1]
    assert (served.code, served.description) == (
        "serve-judicial-documents",
        "serving judicial documents",
    )


def test_a_purpose_keeps_its_own_note_before_the_shared_doubt() -> None:
    # _purpose builds the list at import, where mutation testing cannot see it: called here.
    item = _purpose(MlaPurpose.RECOVER_PROCEEDS, "l", "recovering proceeds of crime", "Art. 49.")
    assert item.as_dict() == {
        "code": "recover-proceeds",
        "description": "recovering proceeds of crime",
        "article": "Art. 40(3)(l)",
        "basis": "recalled",
        "note": "Art. 49. Order, letters and count (13) recalled, not verified.",
    }
    bare = _purpose(MlaPurpose.OTHER, "m", "any other assistance")
    assert bare.note == "Order, letters and count (13) recalled, not verified."
