from __future__ import annotations

import re

import pytest

from hanoix.convention import (
    Art,
    Basis,
    Bound,
    Channel,
    Condition,
    DualCriminality,
    DualCriminalityRule,
    KindRegistry,
    KindSpec,
    Predicate,
    RefusalGround,
    Relation,
    RequestKind,
    RequiredContent,
    Requirement,
    TimeUnit,
    article,
    kind_spec,
    kind_specs,
)
from hanoix.convention.assistance import (
    CONTACT_24_7_ASSISTANCE,
    MLA_PURPOSES,
    PERSECUTION_SHIFT,
    MlaPurpose,
    mla_paragraph,
)
from hanoix.convention.checks import PREDICATES
from hanoix.convention.cooperation import KINDS
from hanoix.convention.kinds import suggest
from hanoix.errors import NotFoundError

CODES = [
    "mla",
    "preservation",
    "traffic-disclosure",
    "stored-data-access",
    "real-time-traffic",
    "interception",
    "extradition",
    "sentenced-person-transfer",
    "proceedings-transfer",
    "spontaneous-information",
    "law-enforcement-cooperation",
    "joint-investigation",
    "confiscation",
]

SPECS = kind_specs()


def _id(spec: KindSpec) -> str:
    return spec.code


def test_the_kind_codes_are_exactly_the_agreed_ones() -> None:
    assert [kind.value for kind in RequestKind] == CODES
    assert [spec.code for spec in SPECS] == CODES
    assert all(kind in KINDS for kind in RequestKind)


@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_every_kind_rests_on_an_article_of_chapter_v(spec: KindSpec) -> None:
    assert any(article(art.article).chapter == 5 for art in spec.legal_basis)


@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_content_names_are_unique_snake_case(spec: KindSpec) -> None:
    names = [content.name for content in spec.contents]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name) for name in names)
    assert any(c.requirement is Requirement.MANDATORY for c in spec.contents)


@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_every_period_has_a_unit_and_a_positive_amount(spec: KindSpec) -> None:
    for period in spec.periods:
        assert period.amount > 0
        assert isinstance(period.unit, TimeUnit)


def test_mla_contents_are_exactly_article_40_15() -> None:
    contents = [(c.name, str(c.art), c.requirement) for c in kind_spec("mla").contents]
    assert contents == [
        ("requesting_authority", "Art. 40(15)(a)", Requirement.MANDATORY),
        ("subject_and_nature", "Art. 40(15)(b)", Requirement.MANDATORY),
        ("conducting_authority", "Art. 40(15)(b)", Requirement.MANDATORY),
        ("summary_of_facts", "Art. 40(15)(c)", Requirement.CONDITIONAL),
        ("assistance_sought", "Art. 40(15)(d)", Requirement.MANDATORY),
        ("particular_procedure", "Art. 40(15)(d)", Requirement.IF_APPLICABLE),
        ("persons_concerned", "Art. 40(15)(e)", Requirement.WHERE_POSSIBLE),
        ("purpose", "Art. 40(15)(f)", Requirement.MANDATORY),
    ]
    assert {c.basis for c in kind_spec("mla").contents} == {Basis.RECALLED}


def test_preservation_contents_are_exactly_article_42_3() -> None:
    spec = kind_spec(RequestKind.PRESERVATION)
    points = [c.art.point for c in spec.contents]
    assert sorted(set(points)) == ["a", "b", "c", "d", "e", "f", "g"]
    assert all(c.art.article == 42 and c.art.paragraph == 3 for c in spec.contents)
    assert spec.content("custodian_or_location").requirement is Requirement.WHERE_POSSIBLE
    assert spec.content("confidentiality").requirement is Requirement.IF_APPLICABLE


def test_preservation_rules() -> None:
    spec = kind_spec("preservation")
    minimum = spec.periods[0]
    assert (minimum.amount, minimum.unit, minimum.bound) == (60, TimeUnit.DAYS, Bound.MINIMUM)
    assert minimum.art == Art(42, 8)
    assert "until a decision" in minimum.note
    domestic = spec.periods[1]
    assert (domestic.amount, domestic.bound, domestic.renewable) == (90, Bound.MAXIMUM, True)
    assert domestic.art == Art(25)
    assert spec.dual_criminality == DualCriminality(
        DualCriminalityRule.NOT_REQUIRED, Art(42, 4), Basis.RECALLED, spec.dual_criminality.note
    )
    follow_ups = {r.kind for r in spec.related if r.relation is Relation.FOLLOW_UP}
    assert {RequestKind.MLA, RequestKind.STORED_DATA_ACCESS} <= follow_ups
    assert spec.channel is Channel.EITHER
    assert spec.urgent


def test_real_time_traffic_has_the_six_recalled_items() -> None:
    spec = kind_spec("real-time-traffic")
    assert [c.name for c in spec.contents] == [
        "requesting_authority",
        "summary_of_facts",
        "data_sought",
        "owner_or_location",
        "necessity",
        "collection_period",
    ]
    assert {c.basis for c in spec.contents} == {Basis.RECALLED}
    assert {c.basis for c in kind_spec("interception").contents} == {Basis.INFERRED}


@pytest.mark.parametrize(
    "code",
    [
        "extradition",
        "sentenced-person-transfer",
        "proceedings-transfer",
        "law-enforcement-cooperation",
        "joint-investigation",
        "confiscation",
    ],
)
def test_kinds_without_a_listed_content_say_their_contents_are_inferred(code: str) -> None:
    spec = kind_spec(code)
    assert spec.contents_inferred
    assert "inferred" in spec.summary
    assert all(c.basis is Basis.INFERRED for c in spec.contents)


def test_dual_criminality_by_kind() -> None:
    rules = {spec.code: spec.dual_criminality for spec in SPECS}
    assert rules["extradition"].rule is DualCriminalityRule.REQUIRED
    assert rules["extradition"].art == Art(37, 1)
    assert rules["mla"].rule is DualCriminalityRule.MAY_BE_REQUIRED
    assert "Art. 35(3)" in rules["mla"].note
    assert rules["preservation"].rule is DualCriminalityRule.NOT_REQUIRED


def test_mla_refusal_grounds_and_exclusions() -> None:
    spec = kind_spec("mla")
    assert [(g.code, str(g.art)) for g in spec.refusal_grounds] == [
        ("non-conformity", "Art. 40(21)(a)"),
        ("sovereignty-security-ordre-public", "Art. 40(21)(b)"),
        ("domestic-law-bar", "Art. 40(21)(c)"),
        ("contrary-to-legal-system", "Art. 40(21)(d)"),
        ("persecution", "Art. 40(22)"),
    ]
    excluded = {g.code: g.art for g in spec.excluded_grounds}
    assert excluded["bank-secrecy"] == Art(40, 8)
    assert excluded["fiscal-matters"] == Art(40, 23)
    assert spec.refusal_reasons is not None
    assert spec.refusal_reasons.art == Art(40, 24)


def test_paragraphs_after_the_persecution_clause_shift_together() -> None:
    assert PERSECUTION_SHIFT == 1
    assert mla_paragraph(23) == Art(40, 23 + PERSECUTION_SHIFT)
    with pytest.raises(ValueError, match="not shifted"):
        mla_paragraph(21)


def test_mla_purposes_are_the_thirteen_recalled_items() -> None:
    assert len(MLA_PURPOSES) == 13
    assert [p.art.point for p in MLA_PURPOSES] == list("abcdefghijklm")
    assert [p.code for p in MLA_PURPOSES] == [purpose.value for purpose in MlaPurpose]
    assert MLA_PURPOSES[1].code == "serve-judicial-documents"
    assert {p.basis for p in MLA_PURPOSES} == {Basis.RECALLED}


def test_the_24_7_point_of_contact_does_five_things() -> None:
    assert [p.art for p in CONTACT_24_7_ASSISTANCE] == [Art(41, 3, x) for x in "abcde"]
    assert CONTACT_24_7_ASSISTANCE[4].code == "emergency-data"


def test_every_predicate_has_an_engine_function() -> None:
    assert set(PREDICATES) == set(Predicate)


def test_unknown_kind_suggests_the_closest_code() -> None:
    with pytest.raises(NotFoundError) as caught:
        kind_spec("prservation")
    assert "did you mean 'preservation'?" in caught.value.message
    assert "valid kinds: mla, preservation" in caught.value.message


def test_unknown_content_name_lists_the_valid_ones() -> None:
    with pytest.raises(NotFoundError, match="has no content 'facts'"):
        kind_spec("mla").content("facts")


# --- the declarations guard themselves --------------------------------------------------


def _content(**overrides: object) -> RequiredContent:
    fields: dict[str, object] = {
        "name": "summary_of_facts",
        "description": "summary",
        "art": Art(40, 15, "c"),
        "basis": Basis.RECALLED,
    }
    fields.update(overrides)
    return RequiredContent(**fields)  # type: ignore[arg-type]


def test_content_names_must_be_snake_case() -> None:
    with pytest.raises(ValueError, match="snake_case"):
        _content(name="summaryOfFacts")


def test_a_condition_goes_with_conditional_only() -> None:
    with pytest.raises(ValueError, match="condition"):
        _content(requirement=Requirement.CONDITIONAL)
    with pytest.raises(ValueError, match="condition"):
        _content(condition=Condition(Predicate.EXECUTING_FOREIGN_ORDER, "x"))


def test_a_ground_cannot_be_both_allowed_and_excluded() -> None:
    ground = RefusalGround("bank-secrecy", "bank secrecy", Art(40, 8), Basis.RECALLED)
    spec = kind_spec("mla")
    with pytest.raises(ValueError, match="both allowed and not"):
        KindSpec(
            **{**_spec_fields(spec), "refusal_grounds": (ground,), "excluded_grounds": (ground,)}
        )


def test_a_kind_is_declared_once() -> None:
    registry = KindRegistry([kind_spec("mla")])
    with pytest.raises(ValueError, match="declared twice"):
        registry.register(kind_spec("mla"))


def _spec_fields(spec: KindSpec) -> dict[str, object]:
    return {name: getattr(spec, name) for name in KindSpec.__dataclass_fields__}


# --- guards and plain forms, with declarations built in the tests -----------------------
# The declarations of cooperation.py are checked when imported, where mutation testing cannot
# see the checks: these build their own specs from the MLA one and check each rule by calling.


def _mla_with(**overrides: object) -> KindSpec:
    return KindSpec(**{**_spec_fields(kind_spec("mla")), **overrides})  # type: ignore[arg-type]


def test_a_well_formed_declaration_is_accepted_as_given() -> None:
    mla = kind_spec("mla")
    assert _mla_with() == mla
    unrefusable = _mla_with(refusal_grounds=(), excluded_grounds=(), refusal_reasons=None)
    assert unrefusable.refusal_reasons is None


def test_each_malformed_declaration_is_refused_with_its_reason() -> None:
    with pytest.raises(ValueError, match=r"^kind mla: give at least one article as legal basis$"):
        _mla_with(legal_basis=())
    twice = (_content(), _content())
    with pytest.raises(
        ValueError,
        match=re.escape("kind mla: content names repeat: ['summary_of_facts', 'summary_of_facts']"),
    ):
        _mla_with(contents=twice)
    ground = RefusalGround("bank-secrecy", "bank secrecy", Art(40, 8), Basis.RECALLED)
    with pytest.raises(ValueError, match=r"^kind mla: a ground is listed twice or both allowed"):
        _mla_with(refusal_grounds=(ground, ground), excluded_grounds=())
    with pytest.raises(ValueError, match=r"^kind mla: refusable kinds need the reasons rule$"):
        _mla_with(refusal_reasons=None)


def test_a_ground_code_is_kebab_case_and_a_contested_ground_says_why() -> None:
    with pytest.raises(
        ValueError, match=re.escape("ground code 'Bank_secrecy' must be kebab-case")
    ):
        RefusalGround("Bank_secrecy", "bank secrecy", Art(40, 8), Basis.RECALLED)
    with pytest.raises(
        ValueError, match=re.escape("ground 'legal-system': say in the note why it is contested")
    ):
        RefusalGround(
            "legal-system", "legal system", Art(40, 21, "d"), Basis.INFERRED, contested=True
        )
    # FACTS.md, corrections of 2026-12-03: the legal-system ground for preservations is contested.
    contested = RefusalGround(
        "legal-system",
        "contrary to the legal system",
        Art(40, 21, "d"),
        Basis.INFERRED,
        "closer to Budapest 29(5) without it",
        contested=True,
    )
    assert contested.as_dict() == {
        "code": "legal-system",
        "description": "contrary to the legal system",
        "article": "Art. 40(21)(d)",
        "basis": "inferred",
        "note": "closer to Budapest 29(5) without it",
        "contested": True,
    }


def test_the_preservation_declaration_reads_as_a_plain_dict() -> None:
    # FACTS.md §6.7: Art. 42 rests on the Art. 25 preservation; 42(4) no dual criminality;
    # 42(1) follow-up by an MLA request for access (Art. 44); §6.6: 24/7 network 41(3)(b).
    shown = kind_spec("preservation").as_dict()
    assert shown["legal_basis"] == ["Art. 42", "Art. 25"]
    assert shown["channel_article"] == "Art. 41(3)(b)"
    assert shown["dual_criminality"]["rule"] == "not-required"
    assert shown["dual_criminality"]["article"] == "Art. 42(4)"
    assert shown["related"][0] == {
        "kind": "stored-data-access",
        "relation": "follow-up",
        "article": "Art. 42(1)",
        "basis": "recalled",
    }
    # FACTS.md §6.5 (h): reasons for any refusal, UNTOC 18(23), shifted to 40(24).
    assert shown["refusal_reasons"]["article"] == "Art. 40(24)"
    assert shown["refusal_reasons"]["code"] == "reasons-required"


def test_a_dual_criminality_rule_reads_as_a_plain_dict() -> None:
    rule = DualCriminality(DualCriminalityRule.NOT_REQUIRED, Art(42, 4), Basis.RECALLED)
    assert rule.as_dict() == {
        "rule": "not-required",
        "article": "Art. 42(4)",
        "basis": "recalled",
        "note": "",
    }


def test_an_unknown_content_lists_the_contents_of_the_kind() -> None:
    spec = _mla_with(contents=(_content(), _content(name="purpose")))
    with pytest.raises(NotFoundError) as caught:
        spec.content("facts")
    assert caught.value.message == (
        "a mla request has no content 'facts'; it has: summary_of_facts, purpose"
    )


def test_a_registry_gives_back_what_was_registered() -> None:
    mla = kind_spec("mla")
    registry = KindRegistry([mla])
    assert registry.get("mla") is mla
    assert registry.get(RequestKind.MLA) is mla
    with pytest.raises(NotFoundError) as caught:
        registry.get("zzz")
    assert caught.value.message == "unknown kind of request 'zzz'; valid kinds: mla"


def test_suggestions_match_whole_codes_then_parts_longer_than_three_letters() -> None:
    options = ["api-key-rotation", "data-wipe-request"]
    assert suggest("api-key-rotatoin", options) == "api-key-rotation"
    assert suggest("wipe", options) == "data-wipe-request"  # a part of four letters
    assert suggest("key", options) is None  # parts of three letters are not matched alone
    assert suggest("requxxt", options) is None  # a part must be at least 75% alike
