from __future__ import annotations

from dataclasses import replace

import pytest

from hanoix.convention import (
    Art,
    Basis,
    Bound,
    Citation,
    DualCriminality,
    DualCriminalityRule,
    KindSpec,
    Period,
    Provision,
    RefusalGround,
    RelatedKind,
    Relation,
    RequestKind,
    RequiredContent,
    TimeUnit,
    all_citations,
    article_detail,
    citing,
    kind_spec,
    parse_reference,
)
from hanoix.convention.citations import _kind, _walk
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
    # A reference given as an Art is taken as it is, not read again as text.
    assert article_detail(Art(40, 15, "c")) == detail


def test_an_article_no_rule_cites_has_an_empty_list() -> None:
    assert article_detail(20).rules == ()


def test_unreadable_reference_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not an article reference: 'forty'"):
        parse_reference("forty")
    with pytest.raises(NotFoundError, match="got 69"):
        article_detail("69")
    with pytest.raises(NotFoundError, match="got 0"):
        article_detail(0)


# all_citations() is cached: computed once per test process, it cannot see a change made after.
# These walk the data afresh (_walk, _kind), on specs built in the test where it matters.


def _preservation_in_brief() -> KindSpec:
    # FACTS.md §6.7 (Art. 42), §6.5 (h) (reasons, UNTOC 18(23) shifted to 40(24)), with one item
    # of each list so that every line the walk writes is seen.
    r = Basis.RECALLED
    return replace(
        kind_spec("preservation"),
        contents=(
            RequiredContent("necessity", "necessity of the preservation", Art(42, 3, "e"), r),
        ),
        refusal_grounds=(RefusalGround("persecution", "persecution", Art(42, 6), r),),
        excluded_grounds=(
            RefusalGround("political-offence", "the political nature", Art(40, 21), r),
        ),
        refusal_reasons=Provision("reasons-required", "reasons for any refusal", Art(40, 24), r),
        periods=(
            Period("minimum", "preserved for", 60, TimeUnit.DAYS, Bound.MINIMUM, Art(42, 8), r),
        ),
        dual_criminality=DualCriminality(DualCriminalityRule.NOT_REQUIRED, Art(42, 4), r),
        related=(RelatedKind(RequestKind.STORED_DATA_ACCESS, Relation.FOLLOW_UP, Art(42, 1), r),),
    )


def test_a_kind_is_cited_line_by_line() -> None:
    r = Basis.RECALLED
    title = "Expedited preservation of stored electronic data"
    assert list(_kind(_preservation_in_brief())) == [
        Citation(Art(42), r, "kind preservation: legal basis", title),
        Citation(Art(25), r, "kind preservation: legal basis", title),
        Citation(Art(41, 3, "b"), r, "kind preservation: channel", "channel: either"),
        Citation(
            Art(42, 3, "e"),
            r,
            "kind preservation: content necessity",
            "necessity of the preservation (mandatory)",
        ),
        Citation(Art(42, 6), r, "kind preservation: refusal ground persecution", "persecution"),
        Citation(
            Art(40, 21),
            r,
            "kind preservation: not a ground political-offence",
            "the political nature is not a ground of refusal",
        ),
        Citation(Art(40, 24), r, "kind preservation: reasons-required", "reasons for any refusal"),
        Citation(
            Art(42, 8), r, "kind preservation: period minimum", "preserved for: at least 60 days"
        ),
        Citation(
            Art(42, 4), r, "kind preservation: dual criminality", "dual criminality not required"
        ),
        Citation(
            Art(42, 1),
            r,
            "kind preservation: related stored-data-access",
            "follow up: stored-data-access",
        ),
    ]


def test_a_kind_that_cannot_be_refused_cites_no_reasons_rule() -> None:
    spec = replace(
        _preservation_in_brief(), refusal_grounds=(), excluded_grounds=(), refusal_reasons=None
    )
    sources = [c.source for c in _kind(spec)]
    assert "kind preservation: reasons-required" not in sources
    assert len(sources) == 7


def test_the_fresh_walk_finds_the_rules_of_every_part() -> None:
    walked = tuple(_walk())
    assert walked == all_citations()
    found = {(c.source, c.art): c for c in walked}
    # FACTS.md §4 and §9.2: 11(3) allows a reservation to misuse of devices [V].
    assert found["offence misuse-of-devices: reservation", Art(11, 3)] == Citation(
        Art(11, 3),
        Basis.VERIFIED,
        "offence misuse-of-devices: reservation",
        "a reservation to misuse of devices is permitted",
    )
    # FACTS.md §4: 7(2) may require breach of a security measure [V].
    assert found["offence illegal-access: optional element", Art(7, 2)].basis is Basis.VERIFIED
    assert found["offence illegal-access", Art(7)].basis is Basis.VERIFIED
    # FACTS.md §5: real-time collection of traffic data may be limited by reservation (23(3)).
    assert found["power real-time-traffic-collection: reservation", Art(23, 3)].text == (
        "a reservation may limit real-time collection of traffic data"
    )
    # FACTS.md §3: a serious crime is one punishable by at least four years, Art. 2(h) [V].
    serious = found["threshold: period serious-crime", Art(2, None, "h")]
    assert serious.basis is Basis.VERIFIED
    assert serious.text.endswith(": at least 4 years")
    # FACTS.md §9.3: the central authority is notified under Art. 40(13).
    assert found["notification central-authority", Art(40, 13)].basis is Basis.RECALLED
    # FACTS.md §9.1: a two-thirds majority for amendments; signature until 31 December 2026.
    assert ("final provisions: amendment-majority", Art(66, 2)) in found
    assert found["mla purpose: take-evidence", Art(40, 3, "a")].text == (
        "taking evidence or statements from persons"
    )
    assert found["24/7 assistance: technical-advice", Art(41, 3, "a")].text == (
        "providing technical advice"
    )
    assert ("kind mla: legal basis", Art(40)) in found
