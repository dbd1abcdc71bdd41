"""The builders of cooperation.py, called here: the declarations they make are built when the
module is imported, where mutation testing cannot see them."""

from __future__ import annotations

from hanoix.convention import Art, Basis, Predicate, Requirement
from hanoix.convention.cooperation import (
    PRESERVATION_GROUNDS_CONTESTED,
    _inferred,
    _own_reasons,
    _preservation_grounds,
    _real_time_contents,
    _requesting_authority,
    _summary_of_facts,
    general_contents,
)

R, INF = Basis.RECALLED, Basis.INFERRED


def test_the_contents_of_article_40_15_one_field_per_item() -> None:
    # FACTS.md §6.5 (c): 40(15)(a)-(f) [R], as UNTOC 18(15).
    contents = general_contents(service_exception=True)
    assert [(c.name, c.art, c.basis, c.requirement) for c in contents] == [
        ("requesting_authority", Art(40, 15, "a"), R, Requirement.MANDATORY),
        ("subject_and_nature", Art(40, 15, "b"), R, Requirement.MANDATORY),
        ("conducting_authority", Art(40, 15, "b"), R, Requirement.MANDATORY),
        ("summary_of_facts", Art(40, 15, "c"), R, Requirement.CONDITIONAL),
        ("assistance_sought", Art(40, 15, "d"), R, Requirement.MANDATORY),
        ("particular_procedure", Art(40, 15, "d"), R, Requirement.IF_APPLICABLE),
        ("persons_concerned", Art(40, 15, "e"), R, Requirement.WHERE_POSSIBLE),
        ("purpose", Art(40, 15, "f"), R, Requirement.MANDATORY),
    ]
    summary = contents[3]
    assert summary.description == "summary of the relevant facts"
    # (c): except for requests to serve judicial documents.
    assert summary.condition is not None
    assert summary.condition.predicate is Predicate.NOT_ONLY_SERVICE_OF_DOCUMENTS
    assert contents[0].description == "identity of the authority making the request"
    assert contents[6].note == "The UN text may add items or accounts; verify."


def test_without_the_service_exception_the_summary_of_facts_is_always_due() -> None:
    summary = general_contents(service_exception=False)[3]
    assert (summary.name, summary.requirement, summary.condition) == (
        "summary_of_facts",
        Requirement.MANDATORY,
        None,
    )


def test_an_inferred_content_is_mandatory_and_says_where_it_comes_from() -> None:
    item = _inferred("purpose", "purpose of the request", Art(47), "Art. 40(15)(f)")
    assert (item.basis, item.note) == (INF, "Inferred from Art. 40(15)(f).")
    bare = _inferred("purpose", "purpose of the request", Art(47))
    assert (bare.name, bare.description, bare.art, bare.basis) == (
        "purpose",
        "purpose of the request",
        Art(47),
        INF,
    )
    assert (bare.requirement, bare.note) == (Requirement.MANDATORY, "Inferred.")


def test_the_authority_and_the_facts_are_inferred_from_article_40_15() -> None:
    authority = _requesting_authority(Art(48))
    assert (authority.name, authority.description, authority.art, authority.basis) == (
        "requesting_authority",
        "identity of the authority making the request",
        Art(48),
        INF,
    )
    assert authority.note == "Inferred from Art. 40(15)(a)."
    facts = _summary_of_facts(Art(48))
    assert (facts.name, facts.description, facts.art, facts.basis, facts.note) == (
        "summary_of_facts",
        "summary of the relevant facts",
        Art(48),
        INF,
        "Inferred from Art. 40(15)(c).",
    )


def test_the_limited_grounds_of_preservation_with_the_legal_system_contested() -> None:
    # FACTS.md, corrections of 2026-12-03: sovereignty, domestic bar and persecution agreed;
    # the legal-system ground inferred and contested.
    grounds = _preservation_grounds(Art(42, 6))
    assert [(g.code, g.art, g.basis, g.contested) for g in grounds] == [
        ("sovereignty-security-ordre-public", Art(42, 6), R, False),
        ("domestic-law-bar", Art(42, 6), R, False),
        ("contrary-to-legal-system", Art(42, 6), INF, True),
        ("persecution", Art(42, 6), R, False),
    ]
    assert grounds[0].note == (
        "Art. 42(6) allows refusal only on limited grounds; the cross-reference to Art. 40(21) "
        "and the persecution clause is recalled. Verify."
    )
    assert grounds[2].note == PRESERVATION_GROUNDS_CONTESTED
    assert grounds[1].description == (
        "domestic law would forbid the action requested for a similar domestic offence"
    )


def test_a_kind_s_own_reasons_rule_is_inferred_unless_told() -> None:
    # FACTS.md §6.5 (h): reasons for any refusal, UNTOC 18(23), at 40(24) after the shift.
    reasons = _own_reasons(Art(48))
    assert (reasons.code, reasons.art, reasons.basis) == ("reasons-required", Art(48), INF)
    assert reasons.description == "a refusal must name its grounds and give reasons"
    assert reasons.note == (
        "Inferred from the duty to give reasons for refusing assistance (Art. 40(24) "
        "as recalled) and to consult first."
    )
    assert _own_reasons(Art(47), R).basis is R


def test_the_real_time_contents_share_one_shape() -> None:
    contents = _real_time_contents(Art(45), "traffic data", R, "low confidence")
    assert [c.name for c in contents] == [
        "requesting_authority",
        "summary_of_facts",
        "data_sought",
        "owner_or_location",
        "necessity",
        "collection_period",
    ]
    assert {(c.art, c.basis, c.note, c.requirement) for c in contents} == {
        (Art(45), R, "low confidence", Requirement.MANDATORY)
    }
    assert contents[2].description == "traffic data sought and its link to the offence"
    assert contents[0].description == "the requesting authority"


def test_each_content_of_article_40_15_says_what_to_fill_in() -> None:
    # FACTS.md §6.5 (c), 40(15)(a)-(f), in the words a clerk reads.
    assert [c.description for c in general_contents(service_exception=False)] == [
        "identity of the authority making the request",
        "subject matter and nature of the investigation, prosecution or judicial proceeding",
        "name and functions of the authority conducting the investigation, prosecution or "
        "proceeding",
        "summary of the relevant facts",
        "description of the assistance sought",
        "details of any particular procedure the requesting State wishes followed",
        "identity, location and nationality of any person concerned",
        "purpose for which the evidence, information or action is sought",
    ]


def test_each_real_time_content_says_what_to_fill_in() -> None:
    # FACTS.md §6.10 (Art. 45) [R]: the list is of low confidence; these are its items.
    assert [c.description for c in _real_time_contents(Art(46), "content data", R, "n")] == [
        "the requesting authority",
        "summary of the facts and the nature of the proceedings",
        "content data sought and its link to the offence",
        "data identifying the owner or user of the data, or the location of the ICT system",
        "why the collection is needed",
        "period of collection and why that duration is justified",
    ]


def test_the_contested_ground_keeps_the_legal_system_description() -> None:
    # FACTS.md §6.5 (e) d): contrary to the requested State's MLA legal system.
    contested = _preservation_grounds(Art(43))[2]
    assert contested.description == (
        "granting the request would be contrary to the requested State's legal system of mutual "
        "legal assistance"
    )
