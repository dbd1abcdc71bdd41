from __future__ import annotations

import re

import pytest

from hanoix.convention import Art, Basis


def test_a_reference_covers_what_lies_inside_it() -> None:
    assert Art(40, 15).covers(Art(40, 15, "c"))
    assert Art(40, 15).covers(Art(40, 15))
    assert Art(40).covers(Art(40, 3, "m"))
    assert Art(2).covers(Art(2, None, "h"))


def test_a_reference_does_not_cover_its_neighbours_or_parent() -> None:
    assert not Art(40, 15).covers(Art(40))
    assert not Art(40, 15).covers(Art(40, 16))
    assert not Art(40, 15, "c").covers(Art(40, 15, "d"))
    assert not Art(4).covers(Art(40))


def test_basis_labels_match_the_facts_file() -> None:
    assert [b.label for b in Basis] == ["[V]", "[V-2]", "[R]", "[INFERRED]"]
    assert not Basis.VERIFIED.needs_review
    assert all(b.needs_review for b in Basis if b is not Basis.VERIFIED)


def test_a_reference_prints_down_to_the_sub_point() -> None:
    # FACTS.md §9.2: the reservation of Art. 11(3) keeps trade in the items of 1(a)(ii).
    assert str(Art(11, 1, "a", "ii")) == "Art. 11(1)(a)(ii)"
    assert str(Art(40, 15, "c")) == "Art. 40(15)(c)"
    assert str(Art(2)) == "Art. 2"


def test_a_reference_is_parsed_down_to_the_sub_point() -> None:
    assert Art.parse("Art. 11(1)(a)(ii)") == Art(11, 1, "a", "ii")
    assert Art.parse("article 42") == Art(42)
    assert Art.parse("40(15)(c)") == Art(40, 15, "c")


def test_a_text_that_is_no_reference_is_refused_with_a_hint() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape("not an article reference: 'Art. forty' (write it like 'Art. 40(15)(c)')"),
    ):
        Art.parse("Art. forty")


def test_impossible_references_are_refused_with_their_reason() -> None:
    with pytest.raises(ValueError, match=re.escape("article numbers start at 1, got 0")):
        Art(0)
    with pytest.raises(ValueError, match=re.escape("paragraph numbers start at 1, got 0")):
        Art(40, 0)
    with pytest.raises(ValueError, match=re.escape("a point needs a paragraph, except in Art. 2")):
        Art(40, None, "c")
    with pytest.raises(ValueError, match=re.escape("a sub-point needs a point")):
        Art(11, 1, None, "ii")
