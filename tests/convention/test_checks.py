from __future__ import annotations

from dataclasses import replace as replace_spec

import pytest

from hanoix.convention import (
    Basis,
    KindRegistry,
    KindSpec,
    RequestKind,
    RequiredContent,
    Requirement,
    check_contents,
    check_refusal_grounds,
    ensure_contents,
    ensure_refusal_grounds,
    kind_spec,
    kind_specs,
    refusal_cautions,
)
from hanoix.convention.checks import is_missing
from hanoix.errors import NotFoundError, RuleViolationError
from tests.convention.examples import EXAMPLES


def _required(spec: KindSpec) -> list[RequiredContent]:
    return [
        c
        for c in spec.contents
        if c.requirement in (Requirement.MANDATORY, Requirement.CONDITIONAL)
    ]


CASES = [(spec, content) for spec in kind_specs() for content in _required(spec)]


def test_there_is_a_complete_example_of_every_kind() -> None:
    assert set(EXAMPLES) == set(RequestKind)


@pytest.mark.parametrize("kind", list(RequestKind), ids=str)
def test_a_complete_request_has_no_problems(kind: RequestKind) -> None:
    assert check_contents(kind, EXAMPLES[kind]) == []
    ensure_contents(kind, EXAMPLES[kind])  # does not raise


@pytest.mark.parametrize(("spec", "content"), CASES, ids=[f"{s.code}:{c.name}" for s, c in CASES])
def test_a_request_missing_one_content_has_exactly_that_problem(
    spec: KindSpec, content: RequiredContent
) -> None:
    provided = {k: v for k, v in EXAMPLES[spec.kind].items() if k != content.name}
    problems = check_contents(spec.kind, provided)
    assert len(problems) == 1
    (problem,) = problems
    assert problem.field == content.name
    assert problem.article == str(content.art)
    assert problem.message == f"{content.art}: {content.description} is missing"


def test_the_summary_of_facts_message_names_the_article() -> None:
    provided = dict(EXAMPLES[RequestKind.MLA], summary_of_facts="")
    (problem,) = check_contents("mla", provided)
    assert problem.message == "Art. 40(15)(c): summary of the relevant facts is missing"
    assert (problem.field, problem.article) == ("summary_of_facts", "Art. 40(15)(c)")


@pytest.mark.parametrize("empty", [None, "", "   ", [], (), {}, set(), False])
def test_empty_values_count_as_missing(empty: object) -> None:
    provided = dict(EXAMPLES[RequestKind.MLA], purpose=empty)
    assert [p.field for p in check_contents("mla", provided)] == ["purpose"]
    assert is_missing(empty)


@pytest.mark.parametrize("present", [0, "x", ["x"], True, 2.5])
def test_present_values_are_not_missing(present: object) -> None:
    assert not is_missing(present)


def test_where_possible_and_if_applicable_contents_are_never_reported() -> None:
    provided = dict(EXAMPLES[RequestKind.MLA])
    del provided["persons_concerned"], provided["particular_procedure"]
    assert check_contents("mla", provided) == []


def test_service_of_documents_needs_no_summary_of_facts() -> None:
    provided = dict(EXAMPLES[RequestKind.MLA], assistance_purposes=["serve-judicial-documents"])
    del provided["summary_of_facts"]
    assert check_contents("mla", provided) == []
    # a single code given as text reads the same
    provided["assistance_purposes"] = "serve-judicial-documents"
    assert check_contents("mla", provided) == []


def test_service_with_other_assistance_still_needs_the_facts() -> None:
    provided = dict(
        EXAMPLES[RequestKind.MLA],
        assistance_purposes=["serve-judicial-documents", "take-evidence"],
    )
    del provided["summary_of_facts"]
    assert [p.field for p in check_contents("mla", provided)] == ["summary_of_facts"]


def test_without_purposes_the_exception_is_not_presumed() -> None:
    provided = dict(EXAMPLES[RequestKind.MLA])
    del provided["summary_of_facts"], provided["assistance_purposes"]
    assert [p.field for p in check_contents("mla", provided)] == ["summary_of_facts"]


def test_the_service_exception_belongs_to_general_mla_only() -> None:
    provided = dict(
        EXAMPLES[RequestKind.STORED_DATA_ACCESS], assistance_purposes=["serve-judicial-documents"]
    )
    del provided["summary_of_facts"]
    assert [p.field for p in check_contents("stored-data-access", provided)] == ["summary_of_facts"]


def test_a_copy_of_the_order_is_needed_only_to_execute_it() -> None:
    provided = dict(EXAMPLES[RequestKind.CONFISCATION], measure_sought="domestic-order")
    del provided["confiscation_order"]
    assert check_contents("confiscation", provided) == []
    provided["measure_sought"] = "execute-foreign-order"
    (problem,) = check_contents("confiscation", provided)
    assert problem.field == "confiscation_order"
    assert problem.article == "Art. 50"


def test_intent_to_follow_up_answered_no_is_missing() -> None:
    provided = dict(EXAMPLES[RequestKind.PRESERVATION], intent_to_request_mla=False)
    (problem,) = check_contents("preservation", provided)
    assert problem.article == "Art. 42(3)(f)"


def test_an_empty_request_lists_every_mandatory_content_in_order() -> None:
    fields = [p.field for p in check_contents("preservation", {})]
    assert fields == [
        "requesting_authority",
        "offence",
        "summary_of_facts",
        "data_to_preserve",
        "relationship_to_offence",
        "necessity",
        "intent_to_request_mla",
    ]


def test_ensure_contents_raises_a_rule_violation_with_every_problem() -> None:
    with pytest.raises(RuleViolationError) as caught:
        ensure_contents("preservation", {"requesting_authority": "x"})
    assert caught.value.exit_code == 1
    assert "6 required contents missing" in caught.value.message
    assert len(caught.value.problems) == 6


def test_checking_an_unknown_kind_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="did you mean 'interception'"):
        check_contents("intercepton", {})


# --- grounds of refusal ---------------------------------------------------------------


def test_allowed_grounds_pass() -> None:
    assert check_refusal_grounds("mla", ["sovereignty-security-ordre-public", "persecution"]) == []
    assert check_refusal_grounds("preservation", ["dual-criminality-reservation"]) == []
    assert check_refusal_grounds("extradition", ["nationality"]) == []


@pytest.mark.parametrize("codes", [[], ["", "  "]])
def test_a_refusal_without_grounds_is_a_problem(codes: list[str]) -> None:
    (problem,) = check_refusal_grounds("mla", codes)
    assert problem.article == "Art. 40(24)"
    assert problem.field == "grounds"
    assert "reasons must be given for any refusal" in problem.message


def test_bank_secrecy_is_never_a_ground() -> None:
    (problem,) = check_refusal_grounds("mla", ["bank-secrecy"])
    assert problem.message == "Art. 40(8): bank secrecy is not a ground of refusal"
    assert problem.article == "Art. 40(8)"


def test_fiscal_matters_are_not_a_ground() -> None:
    (problem,) = check_refusal_grounds("stored-data-access", ["fiscal-matters"])
    assert problem.article == "Art. 40(23)"
    (problem,) = check_refusal_grounds("extradition", ["fiscal-matters"])
    assert problem.article == "Art. 37"


def test_lack_of_dual_criminality_cannot_refuse_preservation() -> None:
    (problem,) = check_refusal_grounds("preservation", ["lack-of-dual-criminality"])
    assert problem.article == "Art. 42(4)"


def test_an_unknown_ground_is_named_with_a_suggestion() -> None:
    (problem,) = check_refusal_grounds("mla", ["sovereignty"])
    assert problem.article == "Art. 40(21)"
    assert "'sovereignty' is not a ground of refusal for kind 'mla'" in problem.message
    assert "did you mean 'sovereignty-security-ordre-public'?" in problem.message


def test_a_ground_of_one_kind_is_unknown_for_another() -> None:
    (problem,) = check_refusal_grounds("mla", ["nationality"])
    assert "'nationality' is not a ground of refusal" in problem.message


def test_each_bad_ground_is_reported_once() -> None:
    problems = check_refusal_grounds("mla", ["bank-secrecy", "bank-secrecy", "non-conformity", "x"])
    assert [p.article for p in problems] == ["Art. 40(8)", "Art. 40(21)"]


def test_spontaneous_information_cannot_be_refused() -> None:
    (problem,) = check_refusal_grounds("spontaneous-information", ["non-conformity"])
    assert problem.article == "Art. 40(4)"
    assert "nothing to refuse" in problem.message


def test_ensure_refusal_grounds_raises() -> None:
    ensure_refusal_grounds("mla", ["non-conformity"])
    with pytest.raises(RuleViolationError) as caught:
        ensure_refusal_grounds("mla", ["bank-secrecy"])
    assert caught.value.problems[0].article == "Art. 40(8)"


# --- the contested legal-system ground of preservation (issue 12, item 7) -------------------


@pytest.mark.parametrize("kind", ["preservation", "traffic-disclosure"])
def test_the_legal_system_ground_of_preservation_is_inferred_and_contested(kind: str) -> None:
    ground = next(
        g for g in kind_spec(kind).refusal_grounds if g.code == "contrary-to-legal-system"
    )
    assert ground.basis is Basis.INFERRED
    assert ground.contested
    assert "Budapest Art. 29(5)" in ground.note
    # The grounds both recollections share stay recalled and uncontested.
    others = [g for g in kind_spec(kind).refusal_grounds if g.code != ground.code]
    assert others and not any(g.contested for g in others)
    assert {g.basis for g in others} == {Basis.RECALLED}


def test_refusing_a_preservation_on_the_legal_system_is_accepted_with_a_caution() -> None:
    codes = ["contrary-to-legal-system"]
    assert check_refusal_grounds("preservation", codes) == []
    (caution,) = refusal_cautions("preservation", codes)
    assert caution.article == "Art. 42(6)"
    assert caution.field == "grounds"
    assert "contested" in caution.message and "inferred" in caution.message


def test_the_legal_system_ground_of_mla_is_not_contested() -> None:
    assert refusal_cautions("mla", ["contrary-to-legal-system"]) == []
    assert refusal_cautions("preservation", ["sovereignty-security-ordre-public"]) == []


# --- the field named, the whole messages, and a registry passed through -----------------


def test_every_refusal_problem_names_the_grounds_field() -> None:
    # FACTS.md §6.5 (e) and 40(8): bank secrecy is no ground; Art. 40(4): nothing to refuse.
    problems = [
        *check_refusal_grounds("mla", ["bank-secrecy", "zzzz"]),
        *check_refusal_grounds("spontaneous-information", ["non-conformity"]),
    ]
    assert [(p.field, p.article) for p in problems] == [
        ("grounds", "Art. 40(8)"),
        ("grounds", "Art. 40(21)"),
        ("grounds", "Art. 40(4)"),
    ]


def test_an_unknown_ground_with_nothing_close_gets_no_hint() -> None:
    (problem,) = check_refusal_grounds("mla", ["zzzz"])
    assert problem.message.startswith(
        "Art. 40(21): 'zzzz' is not a ground of refusal for kind 'mla'; valid grounds: "
    )


def test_a_kind_with_grounds_but_no_reasons_rule_cannot_be_refused() -> None:
    # Built past the guard of KindSpec (object.__setattr__ on a copy): the engine checks too.
    spec = replace_spec(kind_spec("mla"))
    object.__setattr__(spec, "refusal_reasons", None)
    (problem,) = check_refusal_grounds("mla", ["non-conformity"], registry=KindRegistry([spec]))
    assert "nothing to refuse" in problem.message


def test_the_unknown_grounds_point_at_the_paragraph_of_the_first_ground() -> None:
    # FACTS.md corrections of 2026-12-03: the preservation grounds are at Art. 42(6).
    (problem,) = check_refusal_grounds("preservation", ["zzzz"])
    assert problem.article == "Art. 42(6)"


def test_ensure_refusal_grounds_says_why_and_uses_the_registry_given() -> None:
    with pytest.raises(RuleViolationError, match=r"^the grounds given cannot carry a refusal$"):
        ensure_refusal_grounds("mla", ["bank-secrecy"])
    unrefusable = replace_spec(
        kind_spec("mla"), refusal_grounds=(), excluded_grounds=(), refusal_reasons=None
    )
    with pytest.raises(RuleViolationError):
        ensure_refusal_grounds("mla", ["non-conformity"], registry=KindRegistry([unrefusable]))


def test_ensure_contents_uses_the_registry_given() -> None:
    nothing_asked = replace_spec(kind_spec("mla"), contents=())
    ensure_contents("mla", {}, registry=KindRegistry([nothing_asked]))
    with pytest.raises(RuleViolationError):
        ensure_contents("mla", {})
