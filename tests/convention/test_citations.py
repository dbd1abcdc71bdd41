from __future__ import annotations

import pytest

from hanoix.convention import (
    Art,
    Basis,
    Citation,
    all_citations,
    article_detail,
    citing,
    parse_reference,
)
from hanoix.errors import InputError, NotFoundError

# Paragraph counts that are plausible for the articles the data cites by paragraph (from
# FACTS.md and the model clauses); other articles are short.
MAX_PARAGRAPH = {37: 18, 40: 31, 41: 6, 42: 9, 63: 4, 64: 4, 65: 2, 66: 5, 67: 3}
DEFAULT_MAX_PARAGRAPH = 5
# Last point of the lists the data cites by point.
LAST_POINT = {
    (2, None): "o",
    (23, 2): "c",
    (35, 1): "c",
    (40, 3): "m",
    (40, 15): "f",
    (40, 21): "d",
    (41, 3): "e",
    (42, 3): "g",
}

CITATIONS = all_citations()


def test_the_walk_reaches_every_part_of_the_data() -> None:
    sources = {c.source.split(":")[0].split(" ")[0] for c in CITATIONS}
    assert {
        "threshold",
        "offence",
        "power",
        "procedural",
        "safeguard",
        "cooperation",
        "mla",
        "24/7",
        "kind",
        "notification",
        "final",
    } <= sources
    assert len(CITATIONS) > 300


@pytest.mark.parametrize("citation", CITATIONS, ids=lambda c: f"{c.source}@{c.art}")
def test_every_reference_cites_an_existing_article_and_a_plausible_paragraph(
    citation: Citation,
) -> None:
    art = citation.art
    assert 1 <= art.article <= 68
    if art.paragraph is not None:
        assert art.paragraph <= MAX_PARAGRAPH.get(art.article, DEFAULT_MAX_PARAGRAPH)
    if art.point is not None:
        last = LAST_POINT[(art.article, art.paragraph)]
        assert "a" <= art.point <= last
    assert isinstance(citation.basis, Basis)


def test_citing_a_paragraph_finds_the_rules_inside_it() -> None:
    rules = citing(Art(42, 8))
    assert [r.source for r in rules] == ["kind preservation: period preservation-minimum"]
    assert rules[0].basis is Basis.RECALLED


def test_article_detail_lists_rules_of_the_whole_article() -> None:
    detail = article_detail(11)
    assert detail.article.title == "Misuse of devices"
    assert detail.chapter.roman == "II"
    sources = [r.source for r in detail.rules]
    assert "offence misuse-of-devices: reservation" in sources
    assert "notification reservation-misuse-of-devices" in sources


def test_article_detail_narrows_to_a_paragraph() -> None:
    detail = article_detail("Art. 40(15)(c)")
    assert detail.reference == Art(40, 15, "c")
    assert detail.rules
    assert all(r.art == Art(40, 15, "c") for r in detail.rules)
    assert detail.as_dict()["reference"] == "Art. 40(15)(c)"


def test_an_article_no_rule_cites_has_an_empty_list() -> None:
    assert article_detail(20).rules == ()


def test_unreadable_reference_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not an article reference: 'forty'"):
        parse_reference("forty")
    with pytest.raises(NotFoundError, match="got 69"):
        article_detail("69")
    with pytest.raises(NotFoundError, match="got 0"):
        article_detail(0)
