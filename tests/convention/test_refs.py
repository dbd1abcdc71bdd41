from __future__ import annotations

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
