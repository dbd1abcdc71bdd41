from __future__ import annotations

import itertools

import pytest

from hanoix.convention import ARTICLES, CHAPTERS, Basis, article, articles, chapter
from hanoix.convention.articles import _chapter_of
from hanoix.errors import NotFoundError


def test_every_article_from_1_to_68_is_present_exactly_once() -> None:
    numbers = [item.number for item in ARTICLES]
    assert numbers == list(range(1, 69))


def test_chapters_cover_the_articles_contiguously() -> None:
    assert [c.number for c in CHAPTERS] == list(range(1, 10))
    assert CHAPTERS[0].first_article == 1
    assert CHAPTERS[-1].last_article == 68
    for before, after in itertools.pairwise(CHAPTERS):
        assert after.first_article == before.last_article + 1
    sizes = [len(c.article_numbers) for c in CHAPTERS]
    assert sizes == [6, 15, 1, 12, 18, 1, 3, 2, 10]  # FACTS.md §2 total


def test_each_article_sits_in_the_chapter_that_spans_it() -> None:
    for item in ARTICLES:
        assert item.number in chapter(item.chapter).article_numbers


def test_chapter_titles_and_boundaries_from_the_facts() -> None:
    assert chapter(2).title == "Criminalization"
    assert chapter(2).first_article == 7  # verified against the Arabic text
    assert chapter(5).title == "International cooperation"
    assert (chapter(5).first_article, chapter(5).last_article) == (35, 52)
    assert chapter(9).roman == "IX"


def test_article_lookup_gives_title_chapter_and_bases() -> None:
    preservation = article(42)
    assert preservation.title.startswith("International cooperation for the purpose of expedited")
    assert preservation.chapter == 5
    assert preservation.basis is Basis.RECALLED
    laundering = article(17)
    assert laundering.basis is Basis.VERIFIED  # number confirmed by Art. 2(m)
    assert laundering.title_basis is Basis.RECALLED
    assert article(65).basis is Basis.VERIFIED
    assert article(16).basis is Basis.SECONDARY


@pytest.mark.parametrize("number", [0, 69, 70, -3])
def test_article_outside_the_convention_is_not_found(number: int) -> None:
    with pytest.raises(NotFoundError) as caught:
        article(number)
    assert caught.value.message == f"the Convention has articles 1 to 68; got {number}"
    assert caught.value.exit_code == 2


def test_articles_of_one_chapter() -> None:
    assert [a.number for a in articles(chapter=5)] == list(range(35, 53))
    assert [a.number for a in articles(3)] == [22]
    assert articles() == ARTICLES


def test_unknown_chapter_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="chapters 1 to 9; got 10"):
        articles(chapter=10)


def test_a_chapter_reads_as_a_plain_dict() -> None:
    # FACTS.md §2 and §6: Chapter V, International cooperation, Arts 35-52; structure [V-2].
    assert chapter(5).as_dict() == {
        "number": 5,
        "roman": "V",
        "title": "International cooperation",
        "first_article": 35,
        "last_article": 52,
        "basis": "secondary",
    }


def test_the_chapter_of_an_article_is_found_from_the_boundaries() -> None:
    # _chapter_of places the articles at import, where mutation testing cannot see it.
    assert _chapter_of(1) == 1
    assert _chapter_of(22) == 3  # FACTS.md §2: Chapter III is Art. 22 alone
    assert _chapter_of(53) == 6
    assert _chapter_of(68) == 9
    with pytest.raises(ValueError, match=r"^article 69 lies in no chapter$"):
        _chapter_of(69)
