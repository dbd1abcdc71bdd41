"""The request document: its version, its JSON Schema, its problems, and the one consent rule
the API and the CLI share."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from hanoix.convention import RequestKind
from hanoix.documents.requests import (
    DOCUMENT_VERSION,
    FIXED_FIELDS,
    PARTY_FIELDS,
    DraftChanges,
    DraftInput,
    EditIn,
    RequestDocument,
    granted_consent,
    kind_schema,
    schema_problems,
    to_draft,
)
from hanoix.errors import InputError
from hanoix.requests import (
    Channel,
    RequestEdit,
    RequestTerms,
    RetentionConsent,
    UseAction,
    UseConsent,
    personal_field_names,
    rulebook,
)
from tests.requests.builders import AUT_DRAFTER, T0, user
from tests.services.requests_world import document


def test_a_document_without_a_version_reads_as_the_current_version() -> None:
    unnumbered = to_draft(RequestDocument.model_validate(document()))
    numbered = to_draft(RequestDocument.model_validate(document(document_version=DOCUMENT_VERSION)))
    assert unnumbered == numbered


@pytest.mark.parametrize("version", [0, 2, 99])
def test_a_document_of_another_version_is_refused_naming_it(version: int) -> None:
    with pytest.raises(ValidationError) as caught:
        RequestDocument.model_validate(document(document_version=version))
    [problem] = schema_problems(caught.value)
    assert problem.field == "document_version"
    assert f"version {DOCUMENT_VERSION} of the request document, not {version}" in problem.message


@pytest.mark.parametrize("kind", list(RequestKind), ids=lambda kind: kind.value)
def test_the_schema_of_each_kind_names_the_document_version(kind: RequestKind) -> None:
    schema = kind_schema(kind)
    assert schema["$id"] == f"urn:hanoix:request-document:{DOCUMENT_VERSION}:{kind.value}"
    assert schema["properties"]["document_version"]["enum"] == [DOCUMENT_VERSION, None]


def test_a_missing_field_says_what_it_is_and_a_field_under_a_rule_names_its_article() -> None:
    with pytest.raises(ValidationError) as caught:
        RequestDocument.model_validate({"kind": "mla", "requested_state": "VNM"})
    [language] = schema_problems(caught.value)
    assert (language.field, language.article) == ("language", "Art. 40(14)")
    assert language.message.startswith("missing: ISO 639-1 language of the request")


@pytest.mark.parametrize(
    "parse",
    [
        lambda day: to_draft(RequestDocument.model_validate(document(suggested_deadline=day))),
        lambda day: EditIn(suggested_deadline=day).payload(),
    ],
    ids=["document", "edit"],
)
def test_a_suggested_date_written_another_way_names_its_field_and_article(parse: Any) -> None:
    with pytest.raises(InputError) as caught:
        parse("1/3/2026")
    [problem] = caught.value.problems
    assert (problem.field, problem.article) == (
        "suggested_deadline",
        str(rulebook.suggested_deadline_article()),
    )


def test_a_consent_is_granted_by_the_users_authority_or_else_by_the_user() -> None:
    use = granted_consent(AUT_DRAFTER, T0, use=UseAction.FORWARD, recipient="ZAF", written=True)
    assert use == UseConsent(
        action=UseAction.FORWARD, granted_by="AUT-CA", granted_at=T0, recipient="ZAF", written=True
    )
    nobody = user("someone", None)
    kept = granted_consent(nobody, T0, until=T0.date(), letter="L-7")
    assert kept == RetentionConsent(
        until=T0.date(), granted_by="someone", granted_at=T0, letter="L-7"
    )


@pytest.mark.parametrize(
    "choice",
    [{}, {"use": UseAction.OPEN, "until": T0.date()}],
    ids=["neither", "both"],
)
def test_a_consent_is_to_one_use_or_to_keeping_the_material_not_both_or_neither(
    choice: dict[str, Any],
) -> None:
    with pytest.raises(InputError, match="one use or to keeping the material"):
        granted_consent(AUT_DRAFTER, T0, **choice)


def test_the_fingerprint_of_a_draft_is_the_one_stored_answers_were_keyed_on() -> None:
    # Digests taken before the terms were a value of their own: an Idempotency-Key retried
    # across that change must still find its first answer.
    full = DraftInput(
        kind=RequestKind.MLA,
        requested_state="VNM",
        terms=RequestTerms(
            language="en",
            proceeding="Case 7/2026",
            contents={"facts": "x", "items": ("a", "b"), "intent_x": True},
            urgent=True,
            restricted=False,
            legal_basis_other="Treaty",
            convention_offence=True,
            dual_criminality=None,
            preservation_days=90,
            suggested_deadline=date(2027, 1, 31),
        ),
        requesting_state="AUT",
        requested_authority="VNM-CA",
        channel=Channel.CENTRAL_AUTHORITY,
        owner="alice",
    )
    bare = DraftInput(
        kind=RequestKind.PRESERVATION,
        requested_state="VNM",
        terms=RequestTerms(language="en", proceeding=""),
    )
    assert full.fingerprint() == "2ccc6971a71f162b698c0489ea9896da7d58d532f303e8291c9900d3895f47aa"
    assert bare.fingerprint() == "f85972ee71edda8c42dab676eb640948b648eac615e93393b285b6ce6053f3cf"


def test_a_draft_reads_its_terms_from_the_document() -> None:
    terms = to_draft(
        RequestDocument.model_validate(
            document(
                language=" FR ",
                urgent=True,
                restricted=True,
                preservation_days=30,
                suggested_deadline="2026-05-04",
                convention_offence=False,
                dual_criminality=False,
                legal_basis_other="reciprocity",
            )
        )
    ).terms
    assert (terms.language, terms.urgent, terms.restricted, terms.preservation_days) == (
        "fr",
        True,
        True,
        30,
    )
    assert terms.suggested_deadline == date(2026, 5, 4)
    assert (terms.convention_offence, terms.dual_criminality) == (False, False)
    assert terms.legal_basis_other == "reciprocity"


def test_the_changes_document_is_the_request_document_but_its_kind() -> None:
    # One declaration: a field added to the document can be edited, and reaches the edit or
    # the parties the service settles.
    assert set(EditIn.model_fields) == set(RequestDocument.model_fields) - set(FIXED_FIELDS)
    reached = {f.name for f in fields(RequestEdit)} - {"requested", "cleared"}
    assert set(EditIn.model_fields) == reached | set(PARTY_FIELDS)
    # Each keeps the document's limits, and may be absent.
    with pytest.raises(ValidationError) as caught:
        EditIn.model_validate({"language": "x", "urgent": 1, "kind": "mla"})
    assert {p.field for p in schema_problems(caught.value, EditIn)} == {
        "language",
        "urgent",
        "kind",
    }
    assert EditIn.model_validate({}).payload() == DraftChanges(RequestEdit())


def test_null_unsets_what_a_new_request_leaves_unset_and_defaults_the_rest() -> None:
    changes = EditIn.model_validate(
        {
            "suggested_deadline": None,
            "dual_criminality": None,
            "requested_authority": None,
            "channel": None,
            "language": None,
        }
    ).payload()
    assert changes.edit.cleared == {"suggested_deadline", "dual_criminality"}
    assert changes.defaulted == {"requested_authority", "channel"}
    assert changes.edit.language is None  # no unset language: left as it is
    # A form's emptied field is meant: the edit refuses what it cannot unset.
    strict = EditIn.model_validate(
        {"language": None, "channel": None, "requesting_state": None}
    ).payload(strict=True)
    assert strict.edit.cleared == {"language"}
    assert strict.defaulted == {"channel", "requesting_state"}
    schema = EditIn.model_json_schema()["properties"]
    assert None in schema["requested_state"]["enum"] and "VNM" in schema["requested_state"]["enum"]


def test_each_change_of_the_document_reaches_the_edit() -> None:
    changes = EditIn.model_validate(
        {
            "contents": {"summary_of_facts": "more"},
            "proceeding": "p",
            "language": "fr",
            "channel": "diplomatic",
            "urgent": True,
            "restricted": False,
            "legal_basis_other": "treaty",
            "convention_offence": True,
            "dual_criminality": False,
            "preservation_days": 7,
            "suggested_deadline": "2026-07-01",
            "owner": "aut.editor",
            "requested_state": "AUT",
            "requesting_state": "VNM",
            "requested_authority": "AUT-CA",
        }
    )
    payload = changes.payload(RequestKind.MLA)
    assert (payload.requested_state, payload.requesting_state, payload.requested_authority) == (
        "AUT",
        "VNM",
        "AUT-CA",
    )
    assert payload.edit == RequestEdit(
        contents={"summary_of_facts": "more"},
        proceeding="p",
        language="fr",
        channel=Channel.DIPLOMATIC,
        urgent=True,
        restricted=False,
        legal_basis_other="treaty",
        convention_offence=True,
        dual_criminality=False,
        preservation_days=7,
        suggested_deadline=date(2026, 7, 1),
        owner="aut.editor",
    )


def test_the_terms_of_a_draft_are_marked_as_personal_where_a_request_s_are() -> None:
    assert personal_field_names(DraftInput) == {"terms.proceeding", "terms.contents"}
