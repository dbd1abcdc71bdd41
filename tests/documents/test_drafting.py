"""The drafting form of each kind, derived from its declaration, and findings placed by field."""

from __future__ import annotations

import inspect

import pytest

import hanoix.documents.drafting as drafting_module
from hanoix.convention import DualCriminalityRule, RequestKind, Requirement, kind_spec
from hanoix.documents.drafting import Need, Widget, drafting_form, place_findings
from hanoix.documents.requests import read_document
from hanoix.errors import Problem
from hanoix.requests import Channel, rulebook
from tests.documents.gaps import only_kind_gaps

KINDS = list(RequestKind)


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_every_content_of_the_declaration_is_a_field_with_its_article_and_basis(
    kind: RequestKind,
) -> None:
    form = drafting_form(kind)
    for content in kind_spec(kind).contents:
        field = form.field(f"contents.{content.name}")
        assert (field.article, field.basis) == (str(content.art), content.basis.value)
        assert field.label.lower() == content.description.lower()
        assert field.help == content.note
        if content.requirement is Requirement.MANDATORY:
            assert field.need is Need.REQUIRED and field.condition is None
        if content.condition is not None:
            assert field.need is Need.CONDITIONAL
            assert field.condition == content.condition.description
    declared = [f"contents.{c.name}" for c in kind_spec(kind).contents]
    shown = [f.path for f in form.fields if f.is_content]
    # In declaration order; the purposes of Art. 40(3) are the one input beyond the declaration.
    assert [p for p in shown if p in declared] == declared
    assert set(shown) - set(declared) == (
        {"contents.assistance_purposes"} if kind is RequestKind.MLA else set()
    )


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_the_envelope_comes_first_with_its_rules(kind: RequestKind) -> None:
    form = drafting_form(kind)
    first_content = next(i for i, f in enumerate(form.fields) if f.is_content)
    assert all(f.is_content for f in form.fields[first_content:])
    requested = form.field("requested_state")
    assert (requested.widget, requested.need) == (Widget.STATE, Need.REQUIRED)
    assert "VNM" in requested.options and "AUT" in requested.options
    language = form.field("language")
    assert (language.need, language.article, language.basis) == (
        Need.REQUIRED,
        "Art. 40(14)",
        "recalled",
    )
    proceeding = form.field("proceeding")
    assert (proceeding.widget, proceeding.need, proceeding.article) == (
        Widget.LONG_TEXT,
        Need.REQUIRED,
        "Art. 40(19)",
    )
    assert form.field("requesting_state").need is Need.CONDITIONAL
    other = form.field("legal_basis_other")
    assert (other.need, other.article, other.basis) == (Need.CONDITIONAL, "Art. 65", "verified")
    assert form.field("suggested_deadline").widget is Widget.DATE
    channel = form.field("channel")
    assert channel.widget is Widget.CHOICE
    assert set(channel.options) == {c.value for c in Channel}
    assert form.field("urgent").widget is Widget.YES_NO
    assert "kind" not in form.paths and "document_version" not in form.paths


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_fields_of_other_kinds_rules_are_not_asked(kind: RequestKind) -> None:
    paths = drafting_form(kind).paths
    preserves = kind is RequestKind.PRESERVATION
    assert ("preservation_days" in paths) is preserves
    assert ("convention_offence" in paths) is preserves
    tested = kind_spec(kind).dual_criminality.rule is not DualCriminalityRule.NOT_REQUIRED
    assert ("dual_criminality" in paths) is tested
    if tested:
        field = drafting_form(kind).field("dual_criminality")
        rule = kind_spec(kind).dual_criminality
        assert (field.article, field.basis) == (str(rule.art), rule.basis.value)


def test_choices_come_from_the_declarations() -> None:
    measure = drafting_form(RequestKind.CONFISCATION).field("contents.measure_sought")
    assert measure.widget is Widget.CHOICE
    assert measure.options == (
        "execute-foreign-order",
        "domestic-order",
        "identify-trace-freeze-seize",
    )
    purposes = drafting_form(RequestKind.MLA).field("contents.assistance_purposes")
    assert purposes.widget is Widget.LIST and "serve-judicial-documents" in purposes.options
    intent = drafting_form(RequestKind.PRESERVATION).field("contents.intent_to_request_mla")
    assert (intent.widget, intent.need, intent.article) == (
        Widget.YES_NO,
        Need.REQUIRED,
        "Art. 42(3)(f)",
    )
    days = drafting_form(RequestKind.PRESERVATION).field("preservation_days")
    assert (days.widget, days.article) == (
        Widget.NUMBER,
        str(rulebook.preservation_period_article()),
    )


def test_no_form_is_written_by_hand_for_a_kind() -> None:
    source = inspect.getsource(drafting_module)
    for kind in RequestKind:
        assert f"RequestKind.{kind.name}" not in source
        assert f'"{kind.value}"' not in source
    for content in {c.name for spec in map(kind_spec, RequestKind) for c in spec.contents}:
        assert f'"{content}"' not in source, content


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_every_gap_of_a_document_with_only_its_kind_has_its_field(kind: RequestKind) -> None:
    form = drafting_form(kind)
    gaps = read_document({"kind": kind.value}).problems
    placed = place_findings(form, gaps)
    assert placed.elsewhere == ()
    assert set(placed.by_path) == {path for path, _, _ in only_kind_gaps(kind)}
    for path, findings in placed.by_path.items():
        field = form.field(path)
        assert all(f.article == field.article and f.basis == field.basis for f in findings)
        assert field.need in (Need.REQUIRED, Need.CONDITIONAL)


def test_findings_on_part_of_a_field_go_to_the_field_and_the_rest_elsewhere() -> None:
    form = drafting_form(RequestKind.MLA)
    item = Problem("too long", field="contents.assistance_purposes.0")
    unknown = Problem("no such content", field="contents.warrant")
    whole = Problem("the request as a whole")
    language = Problem("not accepted", field="language")
    placed = place_findings(form, [item, unknown, whole, language])
    assert placed.by_path == {"contents.assistance_purposes": (item,), "language": (language,)}
    assert placed.elsewhere == (unknown, whole)
    with pytest.raises(KeyError, match=r"no field 'contents\.warrant'"):
        form.field("contents.warrant")


def test_the_form_as_a_dict_lists_each_field() -> None:
    form = drafting_form(RequestKind.PRESERVATION).as_dict()
    assert form["kind"] == "preservation" and form["legal_basis"][0] == "Art. 42"
    data = next(f for f in form["fields"] if f["path"] == "contents.data_to_preserve")
    assert data == {
        "path": "contents.data_to_preserve",
        "label": "Stored electronic data to be preserved",
        "widget": "long-text",
        "need": "required",
        "condition": None,
        "article": "Art. 42(3)(c)",
        "basis": "recalled",
        "help": kind_spec(RequestKind.PRESERVATION).content("data_to_preserve").note,
        "options": [],
        "max_length": None,
    }
