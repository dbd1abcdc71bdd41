"""Validation: the Convention's contents for every kind, the requested State's declarations,
and whether the Convention applies between the two States."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from hanoix.convention import Art, NotificationKind, RequestKind, kind_spec
from hanoix.errors import ConflictError, InputError, Problem, RuleViolationError
from hanoix.requests import (
    Action,
    Channel,
    LegalBasis,
    LodgedStatement,
    RequestEdit,
    StateProfile,
    ValidationReport,
    amend,
    apply,
    validate,
)
from tests.requests.builders import (
    AUT_DRAFTER,
    PROFILES,
    T0,
    drafted,
    in_force,
    not_in_force,
    optional_contents,
    required_contents,
)

ALL_KINDS = list(RequestKind)
MISSING_ONE = [(kind, name) for kind in ALL_KINDS for name in required_contents(kind)]
OPTIONAL_ONE = [(kind, name) for kind in ALL_KINDS for name in optional_contents(kind)]


@pytest.mark.parametrize("kind", ALL_KINDS, ids=str)
def test_a_complete_request_of_every_kind_validates(kind: RequestKind) -> None:
    request = drafted(kind)
    report = validate(request, PROFILES["VNM"], in_force, T0)
    assert report.errors == ()
    assert report.warnings == ()
    assert not report.has_errors
    report.raise_for_errors()


@pytest.mark.parametrize(("kind", "name"), MISSING_ONE, ids=lambda v: str(v))
def test_a_request_missing_one_required_content_names_it_and_its_article(
    kind: RequestKind, name: str
) -> None:
    request = drafted(kind)
    request = amend(request, contents={k: v for k, v in request.contents.items() if k != name})
    report = validate(request, PROFILES["VNM"], in_force, T0)
    expected = kind_spec(kind).content(name)
    assert [(p.field, p.article, p.basis) for p in report.errors] == [
        (f"contents.{name}", str(expected.art), expected.basis.value)
    ]
    assert str(expected.art) in report.errors[0].message
    with pytest.raises(RuleViolationError) as caught:
        report.raise_for_errors()
    assert caught.value.problems == report.errors
    assert str(caught.value).count(str(expected.art)) == 1
    assert f"{expected.description} is missing" in str(caught.value)


@pytest.mark.parametrize(("kind", "name"), OPTIONAL_ONE, ids=lambda v: str(v))
def test_contents_asked_only_where_possible_are_never_errors(kind: RequestKind, name: str) -> None:
    request = drafted(kind)
    request = amend(request, contents={k: v for k, v in request.contents.items() if k != name})
    assert validate(request, PROFILES["VNM"], in_force, T0).errors == ()


def test_a_preservation_that_does_not_announce_the_follow_up_is_incomplete() -> None:
    request = drafted(RequestKind.PRESERVATION)
    request = amend(request, contents={**request.contents, "intent_to_request_mla": False})
    report = validate(request, PROFILES["VNM"], in_force, T0)
    assert [p.field for p in report.errors] == ["contents.intent_to_request_mla"]


def test_service_of_documents_alone_needs_no_summary_of_facts() -> None:
    request = drafted(RequestKind.MLA)
    contents = {k: v for k, v in request.contents.items() if k != "summary_of_facts"}
    only_service = amend(
        request, contents={**contents, "assistance_purposes": ("serve-judicial-documents",)}
    )
    assert validate(only_service, PROFILES["VNM"], in_force, T0).errors == ()


def test_language_not_accepted_by_the_requested_state_is_an_error_citing_40_14() -> None:
    request = amend(drafted(), language="de")
    report = validate(request, PROFILES["VNM"], in_force, T0)
    assert [(p.field, p.article) for p in report.errors] == [("language", "Art. 40(14)")]
    assert "vi" in report.errors[0].message


def test_language_codes_compare_without_case() -> None:
    assert validate(amend(drafted(), language="EN"), PROFILES["VNM"], in_force, T0).errors == ()


def test_channel_must_be_one_the_requested_state_accepts() -> None:
    request = replace(drafted(), channel=Channel.DIPLOMATIC)
    report = validate(request, PROFILES["VNM"], in_force, T0)
    assert [(p.field, p.article) for p in report.errors] == [("channel", "Art. 40(13)")]
    diplomatic_only = replace(PROFILES["VNM"], channels=(Channel.DIPLOMATIC,))
    assert validate(request, diplomatic_only, in_force, T0).errors == ()
    # A State that requires diplomatic channels refuses the central-authority route.
    assert [p.field for p in validate(drafted(), diplomatic_only, in_force, T0).errors] == [
        "channel"
    ]


def test_the_24_7_network_carries_preservation_but_not_an_ordinary_mla_request() -> None:
    diplomatic_only = replace(PROFILES["VNM"], channels=(Channel.DIPLOMATIC,))
    preservation = drafted(RequestKind.PRESERVATION)
    assert preservation.channel is Channel.CONTACT_24_7
    assert validate(preservation, diplomatic_only, in_force, T0).errors == ()
    mla = replace(drafted(), channel=Channel.CONTACT_24_7)
    assert [p.field for p in validate(mla, PROFILES["VNM"], in_force, T0).errors] == ["channel"]


def test_interpol_only_for_urgent_requests_where_agreed() -> None:
    agreed = replace(PROFILES["VNM"], channels=(Channel.CENTRAL_AUTHORITY, Channel.INTERPOL))
    request = replace(drafted(), channel=Channel.INTERPOL)
    assert [p.field for p in validate(request, agreed, in_force, T0).errors] == ["channel"]
    assert validate(amend(request, urgent=True), agreed, in_force, T0).errors == ()
    assert [
        p.field for p in validate(amend(request, urgent=True), PROFILES["VNM"], in_force, T0).errors
    ] == ["channel"]


def test_preservation_shorter_than_the_minimum_is_an_error_citing_42_8() -> None:
    request = amend(drafted(RequestKind.PRESERVATION), preservation_days=30)
    report = validate(request, PROFILES["VNM"], in_force, T0)
    assert [(p.field, p.article) for p in report.errors] == [("preservation_days", "Art. 42(8)")]
    assert "60" in report.errors[0].message
    longer = amend(request, preservation_days=90)
    assert validate(longer, PROFILES["VNM"], in_force, T0).errors == ()


def test_convention_not_in_force_is_a_warning_and_needs_another_legal_basis() -> None:
    request = drafted()
    report = validate(request, PROFILES["VNM"], not_in_force, T0)
    assert [p.field for p in report.warnings] == ["legal_basis"]
    assert "not in force" in report.warnings[0].message
    assert "VNM has not ratified" in report.warnings[0].message
    assert report.warnings[0].article == "Art. 65"
    assert [p.field for p in report.errors] == ["legal_basis_other"]

    other = amend(
        request,
        legal_basis=LegalBasis.OTHER,
        legal_basis_other="AUT-VNM bilateral MLA treaty of 2019",
    )
    report = validate(other, PROFILES["VNM"], not_in_force, T0)
    assert report.errors == ()
    assert [p.field for p in report.warnings] == ["legal_basis"]


def test_applies_is_asked_for_the_requesting_states_local_date() -> None:
    asked: list[tuple[str, str, date]] = []

    def spy(requesting: str, requested: str, on: date) -> tuple[bool, list[str]]:
        asked.append((requesting, requested, on))
        return True, []

    validate(drafted(), PROFILES["VNM"], spy, T0)
    assert asked == [("AUT", "VNM", date(2026, 2, 10))]


def test_requested_state_requiring_dual_criminality_warns_when_not_stated() -> None:
    strict = replace(PROFILES["VNM"], requires_dual_criminality=True)
    assert validate(drafted(), strict, in_force, T0).warnings == ()
    report = validate(amend(drafted(), dual_criminality=None), strict, in_force, T0)
    assert [(p.field, p.article) for p in report.warnings] == [("dual_criminality", "Art. 40(9)")]
    assert report.errors == ()


def test_extradition_requires_dual_criminality() -> None:
    request = amend(drafted(RequestKind.EXTRADITION), dual_criminality=False)
    report = validate(request, PROFILES["VNM"], in_force, T0)
    assert [(p.field, p.article) for p in report.errors] == [("dual_criminality", "Art. 37(1)")]


def test_preservation_needs_no_dual_criminality_unless_reserved_under_42_5() -> None:
    request = amend(
        drafted(RequestKind.PRESERVATION), dual_criminality=False, convention_offence=False
    )
    assert validate(request, PROFILES["VNM"], in_force, T0).warnings == ()
    reserved = replace(
        PROFILES["VNM"],
        reservations=frozenset({NotificationKind.RESERVATION_PRESERVATION_DUAL_CRIMINALITY}),
    )
    report = validate(request, reserved, in_force, T0)
    assert [(p.field, p.article) for p in report.warnings] == [("convention_offence", "Art. 42(5)")]
    ok = amend(request, convention_offence=True)
    assert validate(ok, reserved, in_force, T0).warnings == ()


def test_missing_proceeding_is_an_error() -> None:
    report = validate(amend(drafted(), proceeding=" "), PROFILES["VNM"], in_force, T0)
    assert [(p.field, p.article) for p in report.errors] == [("proceeding", "Art. 40(19)")]


def test_suggested_date_in_the_past_is_a_warning() -> None:
    request = amend(drafted(), suggested_deadline=date(2026, 2, 1))
    report = validate(request, PROFILES["VNM"], in_force, T0)
    assert [p.field for p in report.warnings] == ["suggested_deadline"]


def test_every_finding_is_reported_at_once() -> None:
    request = amend(drafted(), language="de", channel=Channel.DIPLOMATIC, contents={})
    report = validate(request, PROFILES["VNM"], not_in_force, T0)
    fields = [p.field for p in report.errors]
    assert {"language", "channel", "legal_basis_other", "contents.requesting_authority"} <= set(
        fields
    )
    assert all(p.article and p.basis for p in report.errors)


def test_profile_of_another_state_is_refused() -> None:
    with pytest.raises(InputError, match="ZAF"):
        validate(drafted(), PROFILES["ZAF"], in_force, T0)


def test_profiles_check_their_zone_and_declarations() -> None:
    with pytest.raises(InputError, match="IANA"):
        StateProfile("AUT", "Vienna", frozenset({"de"}))
    with pytest.raises(InputError, match="language"):
        StateProfile("AUT", "Europe/Vienna", frozenset())


def test_submitting_needs_a_current_report_without_errors() -> None:
    request = drafted()
    with pytest.raises(RuleViolationError, match="validated first"):
        apply(request, Action.SUBMIT, AUT_DRAFTER, T0)
    bad = amend(request, language="de")
    with pytest.raises(RuleViolationError, match=r"Art\. 40\(14\)"):
        apply(
            bad,
            Action.SUBMIT,
            AUT_DRAFTER,
            T0,
            report=validate(bad, PROFILES["VNM"], in_force, T0),
        )
    stale = validate(request, PROFILES["VNM"], in_force, T0)
    edited = apply(
        request, Action.EDIT, AUT_DRAFTER, T0, payload=RequestEdit(language="vi")
    ).request
    with pytest.raises(ConflictError, match="validate it again"):
        apply(edited, Action.SUBMIT, AUT_DRAFTER, T0, report=stale)


# --- the requested State's statements, as lodged (issue 12, item 6) -------------------------

HARM = LodgedStatement(
    form="reservation",
    art=Art(9, 2),
    kind=NotificationKind.OPTIONAL_ELEMENT,
    on=date(2025, 10, 25),
    text="criminal liability only where the conduct results in serious harm",
)
PRESERVATION_RESERVED = LodgedStatement(
    form="reservation",
    art=Art(42, 5),
    kind=NotificationKind.RESERVATION_PRESERVATION_DUAL_CRIMINALITY,
    on=date(2026, 3, 1),
)


def test_a_condition_the_state_lodged_on_an_offence_is_cited_where_dual_criminality_counts() -> (
    None
):
    lodged = replace(PROFILES["VNM"], statements=(HARM,))
    assert lodged.optional_elements == (Art(9, 2),)
    for kind in (RequestKind.MLA, RequestKind.EXTRADITION):
        report = validate(drafted(kind), lodged, in_force, T0)
        [warning] = [p for p in report.warnings if p.article == "Art. 9(2)"]
        assert warning.field == "dual_criminality"
        assert warning.message.startswith("VNM's reservation under Art. 9(2) of 2025-10-25: ")
        assert "serious harm" in warning.message
    # Preservation tests no dual criminality unless the State reserved under Art. 42(5).
    preservation = drafted(RequestKind.PRESERVATION)
    assert validate(preservation, lodged, in_force, T0).warnings == ()


def test_a_preservation_to_a_state_that_reserved_cites_its_instrument() -> None:
    reserved = replace(
        PROFILES["VNM"],
        reservations=frozenset({NotificationKind.RESERVATION_PRESERVATION_DUAL_CRIMINALITY}),
        statements=(HARM, PRESERVATION_RESERVED),
    )
    request = amend(drafted(RequestKind.PRESERVATION), convention_offence=None)
    report = validate(request, reserved, in_force, T0)
    assert [(p.field, p.article) for p in report.warnings] == [
        ("convention_offence", "Art. 42(5)"),
        ("dual_criminality", "Art. 9(2)"),
    ]
    assert report.warnings[0].message.startswith("VNM's reservation under Art. 42(5) of 2026-03-01")


def test_dual_criminality_findings_say_what_to_do_in_full() -> None:
    extradition = drafted(RequestKind.EXTRADITION)
    assert (
        validate(amend(extradition, dual_criminality=True), PROFILES["VNM"], in_force, T0).warnings
        == ()
    )
    refused = validate(amend(extradition, dual_criminality=False), PROFILES["VNM"], in_force, T0)
    assert refused.errors == (
        Problem(
            "dual criminality is required for this kind of request and the request states it "
            "is not met",
            field="dual_criminality",
            article="Art. 37(1)",
            basis="recalled",
        ),
    )
    unstated = validate(amend(extradition, dual_criminality=None), PROFILES["VNM"], in_force, T0)
    assert unstated.errors == ()
    assert unstated.warnings == (
        Problem(
            "dual criminality is required for this kind of request: state whether the conduct "
            "is a crime in both States",
            field="dual_criminality",
            article="Art. 37(1)",
            basis="recalled",
        ),
    )
    strict = replace(PROFILES["VNM"], requires_dual_criminality=True)
    report = validate(amend(drafted(), dual_criminality=False), strict, in_force, T0)
    assert report.warnings == (
        Problem(
            "VNM requires dual criminality and may refuse unless the conduct is a crime in both "
            "States (whatever it is called there)",
            field="dual_criminality",
            article="Art. 40(9)",
            basis="recalled",
        ),
    )


def test_a_reservation_on_preservation_without_its_instrument_cites_art_42_5() -> None:
    reserved = replace(
        PROFILES["VNM"],
        reservations=frozenset({NotificationKind.RESERVATION_PRESERVATION_DUAL_CRIMINALITY}),
    )
    request = amend(drafted(RequestKind.PRESERVATION), convention_offence=None)
    assert validate(request, reserved, in_force, T0).warnings == (
        Problem(
            "VNM's reservation: VNM reserved the right to refuse preservation for offences other "
            "than those established under the Convention where dual criminality will not be met "
            "at disclosure; say whether the offence is one of Arts 7-21",
            field="convention_offence",
            article="Art. 42(5)",
        ),
    )


def test_a_lodged_text_is_quoted_whole_up_to_its_limit_and_cut_with_an_ellipsis_past_it() -> None:
    def lodged(text: str) -> LodgedStatement:
        kind = NotificationKind.OPTIONAL_ELEMENT
        return LodgedStatement("declaration", Art(11, 3), kind, date(2025, 10, 25), text)

    assert lodged("  one \n two  ").quoted() == "one two"
    exact = "a" * 160
    assert lodged(exact).quoted() == exact
    assert lodged("b" * 161).quoted() == "b" * 159 + "…"
    # The cut keeps no space before the ellipsis.
    assert lodged("c" * 150 + " " * 9 + "d" * 10).quoted(limit=152) == "c" * 150 + "…"


def test_the_error_that_stops_a_request_names_the_first_problem_its_article_and_the_rest() -> None:
    one = Problem("the proceeding is missing", field="proceeding", article="Art. 40(15)")
    two = Problem(
        "Art. 40(14): the language is not accepted", field="language", article="Art. 40(14)"
    )
    with pytest.raises(RuleViolationError) as alone:
        ValidationReport("r1", 1, errors=(one,)).raise_for_errors()
    assert alone.value.message == "the request is not valid: Art. 40(15): the proceeding is missing"
    with pytest.raises(RuleViolationError) as both:
        ValidationReport("r1", 1, errors=(two, one)).raise_for_errors()
    # A message that already starts with its article is not given it twice.
    assert both.value.message == (
        "the request is not valid: Art. 40(14): the language is not accepted (and 1 more)"
    )
    assert list(both.value.problems) == [two, one]
    without = Problem("something else", field="x")
    with pytest.raises(RuleViolationError, match=r"^the request is not valid: something else$"):
        ValidationReport("r1", 1, errors=(without,)).raise_for_errors()
    ValidationReport("r1", 1, warnings=(one,)).raise_for_errors()


def test_a_suggested_date_of_today_is_not_in_the_future() -> None:
    today = T0.date()  # 09:00 UTC is the same day in Vienna
    report = validate(amend(drafted(), suggested_deadline=today), PROFILES["VNM"], in_force, T0)
    assert report.warnings == (
        Problem(
            f"the suggested date {today.isoformat()} is not in the future",
            field="suggested_deadline",
            article="Art. 40(25)",
            basis="recalled",
        ),
    )
    tomorrow = amend(drafted(), suggested_deadline=today + timedelta(days=1))
    assert validate(tomorrow, PROFILES["VNM"], in_force, T0).warnings == ()


def test_the_proceeding_and_the_other_legal_basis_are_held_to_their_lengths() -> None:
    long = "x" * 2001
    report = validate(
        amend(drafted(), proceeding=long, legal_basis_other=long), PROFILES["VNM"], in_force, T0
    )
    assert [(p.field, p.message) for p in report.errors] == [
        ("proceeding", "is 2001 characters; at most 2000"),
        ("legal_basis_other", "is 2001 characters; at most 2000"),
    ]


def test_the_time_of_validation_must_be_aware() -> None:
    with pytest.raises(InputError, match=r"^the time of validation must be timezone-aware"):
        validate(drafted(), PROFILES["VNM"], in_force, T0.replace(tzinfo=None))
