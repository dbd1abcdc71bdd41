"""The source table, and the walk that keeps every "verified" label honest (issue 12)."""

from __future__ import annotations

import pytest

from hanoix.convention import ARTICLES, Art, Basis, all_citations, article, notification
from hanoix.convention import final_provisions as fp
from hanoix.convention.sources import (
    SOURCE_FACTS,
    FactKind,
    fact_basis,
    reference_basis,
    source_fact,
)


def test_no_rule_is_labelled_verified_on_a_reference_the_sources_do_not_verify() -> None:
    wrong = [
        f"{c.source} cites {c.art} ({c.reference_basis.value})"
        for c in all_citations()
        if c.basis is Basis.VERIFIED and c.reference_basis is not Basis.VERIFIED
    ]
    assert wrong == []


@pytest.mark.parametrize("item", ARTICLES, ids=lambda a: f"art{a.number}")
def test_article_number_and_title_labels_are_those_of_the_source_table(item: object) -> None:
    assert hasattr(item, "number")
    art = Art(item.number)  # type: ignore[attr-defined]
    assert item.basis is fact_basis(FactKind.NUMBER, art)  # type: ignore[attr-defined]
    assert item.title_basis is fact_basis(FactKind.TITLE, art)  # type: ignore[attr-defined]


@pytest.mark.parametrize("number", [23, 35, 64, 65])
def test_numbers_cited_by_a_source_are_verified_their_titles_recalled(number: int) -> None:
    assert article(number).basis is Basis.VERIFIED
    assert article(number).title_basis is Basis.RECALLED


def test_article_64_is_verified_but_not_its_paragraph_1() -> None:
    assert reference_basis(Art(64)) is Basis.VERIFIED
    assert reference_basis(Art(64, 1)) is Basis.RECALLED
    assert reference_basis(Art(65, 1)) is Basis.VERIFIED


def test_a_whole_article_read_in_full_covers_its_points() -> None:
    assert reference_basis(Art(11, 1, "a", "ii")) is Basis.VERIFIED
    assert reference_basis(Art(2, None, "h")) is Basis.VERIFIED
    assert reference_basis(Art(16, 1)) is Basis.RECALLED


def test_article_63_paragraph_3_rests_on_the_dutch_treaty_database() -> None:
    fact = source_fact(FactKind.PARAGRAPH, Art(63, 3))
    assert fact is not None
    assert fact.basis is Basis.SECONDARY
    assert "013891" in fact.source
    # 63(2) gains only indirect support: still recalled, with the reason noted.
    assert reference_basis(Art(63, 2)) is Basis.RECALLED
    assert "indirect support" in fp.ARBITRATION_WAIT.note.lower()
    assert notification("reservation-dispute-settlement").basis is Basis.SECONDARY


def test_every_fact_names_its_source_and_facts_are_not_listed_twice() -> None:
    keys = [(fact.kind, fact.art) for fact in SOURCE_FACTS]
    assert len(keys) == len(set(keys))
    assert all(fact.source.strip() for fact in SOURCE_FACTS)


def test_citations_show_how_sure_the_reference_is() -> None:
    shown = next(c for c in all_citations() if c.art == Art(42, 8)).as_dict()
    assert shown["reference_basis"] == "recalled"
