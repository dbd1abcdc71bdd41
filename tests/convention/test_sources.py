"""The source table, and the walk that keeps every "verified" label honest (issue 12)."""

from __future__ import annotations

import pytest

from hanoix.convention import ARTICLES, Art, Basis, all_citations, article, notification, sources
from hanoix.convention import final_provisions as fp
from hanoix.convention.sources import (
    SOURCE_FACTS,
    FactKind,
    SourceFact,
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


def test_each_article_of_the_arabic_text_gives_its_number_title_and_paragraphs() -> None:
    # FACTS.md §3 and corrections of 2026-12-03: the Arabic text of Arts 1-15 was read in full.
    # _arabic builds the table at import, where mutation testing cannot see it: called here.
    arabic = "official Arabic text of Arts 1-15 (FACTS.md §3)"
    assert sources._arabic(7) == (
        SourceFact(FactKind.NUMBER, Art(7), Basis.VERIFIED, arabic),
        SourceFact(FactKind.TITLE, Art(7), Basis.VERIFIED, arabic),
        SourceFact(
            FactKind.PARAGRAPH, Art(7), Basis.VERIFIED, arabic, "the whole article was read"
        ),
    )


def test_a_source_fact_reads_as_a_plain_dict() -> None:
    fact = source_fact(FactKind.PARAGRAPH, Art(65, 1))
    assert fact is not None
    assert fact.as_dict() == {
        "kind": "paragraph",
        "article": "Art. 65(1)",
        "basis": "verified",
        "source": "UN Treaty Collection status page, chapter XVIII-16 (quotes its text)",
        "note": "",
    }


def test_the_most_specific_fact_wins_over_the_whole_article(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A table built here: a recalled fact on all of Art. 63 and a [V-2] one on 63(3).
    whole = SourceFact(FactKind.PARAGRAPH, Art(63), Basis.RECALLED, "recalled")
    third = SourceFact(FactKind.PARAGRAPH, Art(63, 3), Basis.SECONDARY, "Dutch database")
    monkeypatch.setattr(sources, "SOURCE_FACTS", (whole, third))
    assert source_fact(FactKind.PARAGRAPH, Art(63, 3, "a")) is third
    monkeypatch.setattr(sources, "SOURCE_FACTS", (third, whole))
    assert source_fact(FactKind.PARAGRAPH, Art(63, 3)) is third
    assert source_fact(FactKind.PARAGRAPH, Art(63, 2)) is whole
    assert source_fact(FactKind.TITLE, Art(63, 3)) is None
