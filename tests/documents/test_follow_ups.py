"""The follow-up document of a preservation: what it carries over, field by field, and why."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from hanoix.convention import RequestKind
from hanoix.documents.follow_ups import ENVELOPE_CARRIED, ENVELOPE_LEFT_OUT, follow_up_document
from hanoix.documents.requests import RequestDocument, read_document, to_draft
from hanoix.errors import InputError
from hanoix.requests import CooperationRequest
from hanoix.requests.lifecycle import create_follow_up_mla
from tests.requests.builders import AUT_DRAFTER, PROCEEDING, T0, drafted, ids, received, sent

PRESERVED = {
    "requesting_authority": "Federal Criminal Police Office, cybercrime unit",
    "offence": "illegal access (Art. 7): intrusion into the ministry's mail server",
    "summary_of_facts": "On 3 January 2026 the server was entered from a leased host.",
    "data_to_preserve": "subscriber records and logs of the host for January 2026",
    "relationship_to_offence": "the intrusion came from the host",
    "custodian_or_location": "Example Hosting JSC, Ha Noi",
    "necessity": "logs are kept for 30 days only",
    "intent_to_request_mla": True,
    "confidentiality": "do not notify the subscriber",
}


def preservation(**overrides: Any) -> CooperationRequest:
    changes: dict[str, Any] = {
        "contents": dict(PRESERVED),
        "urgent": True,
        "restricted": True,
        "legal_basis_other": "Austria-Viet Nam MLA treaty of 2019",
        "preservation_days": 90,
        "suggested_deadline": date(2026, 2, 20),
        "owner": "aut.drafter",
    }
    changes.update(overrides)
    return drafted(RequestKind.PRESERVATION, **changes)


def test_the_default_follow_up_asks_access_to_the_preserved_data_carrying_each_field() -> None:
    source = preservation()
    draft = follow_up_document(source)
    assert draft.kind is RequestKind.STORED_DATA_ACCESS
    assert draft.follows_up == str(source.reference)
    assert draft.document == RequestDocument(
        kind="stored-data-access",
        # The same two States, language, proceeding, restriction and other legal basis.
        requesting_state="AUT",
        requested_state="VNM",
        language="en",
        proceeding=PROCEEDING,
        restricted=True,
        legal_basis_other="Austria-Viet Nam MLA treaty of 2019",
        convention_offence=True,
        dual_criminality=True,
        # To the central authority; not urgent; no period, date, authority or owner of its own.
        channel="central-authority",
        urgent=False,
        preservation_days=None,
        suggested_deadline=None,
        requested_authority=None,
        owner=None,
        contents={
            # The same content in both declarations.
            "requesting_authority": PRESERVED["requesting_authority"],
            "summary_of_facts": PRESERVED["summary_of_facts"],
            # The offence is the subject matter (Art. 42(3)(b) ~ Art. 40(15)(b)).
            "subject_and_nature": PRESERVED["offence"],
            # The preserved data are the data sought (Art. 42(3)(c) ~ Art. 44).
            "data_sought": PRESERVED["data_to_preserve"],
            "preservation_reference": str(source.reference),
        },
    )
    why = {item.path: item for item in draft.carried}
    assert why["contents.subject_and_nature"].source == "contents.offence"
    assert why["contents.subject_and_nature"].why.startswith("Art. 42(3)(b) ~ Art. 40(15)(b): ")
    assert why["contents.data_sought"].source == "contents.data_to_preserve"
    assert why["contents.preservation_reference"].source is None
    left = {item.path for item in draft.left_out}
    assert {
        "contents.relationship_to_offence",
        "contents.custodian_or_location",
        "contents.necessity",
        "contents.intent_to_request_mla",
        "contents.confidentiality",
    } <= left
    assert "contents.offence" not in left and "contents.data_to_preserve" not in left


def test_a_general_mla_follow_up_carries_what_it_asks_for_and_names_the_preservation() -> None:
    source = preservation()
    draft = follow_up_document(source, RequestKind.MLA)
    assert draft.document.kind == "mla"
    assert draft.document.contents == {
        "requesting_authority": PRESERVED["requesting_authority"],
        "summary_of_facts": PRESERVED["summary_of_facts"],
        "subject_and_nature": PRESERVED["offence"],
    }
    # An MLA request has no content for the reference: the link is made by the follow-up step.
    assert draft.follows_up == str(source.reference)
    assert "contents.data_to_preserve" in {item.path for item in draft.left_out}


def test_an_expedited_disclosure_follow_up_takes_the_reference_only() -> None:
    draft = follow_up_document(preservation(), RequestKind.TRAFFIC_DISCLOSURE)
    assert draft.document.contents == {"preservation_reference": draft.follows_up}


def test_each_field_of_the_document_is_either_carried_or_left_out_with_a_reason() -> None:
    carried = [name for name, _ in ENVELOPE_CARRIED]
    left_out = [name for name, _ in ENVELOPE_LEFT_OUT]
    assert sorted(carried + left_out) == sorted(RequestDocument.model_fields)
    assert all(why for _, why in (*ENVELOPE_CARRIED, *ENVELOPE_LEFT_OUT))
    draft = follow_up_document(preservation())
    for item in draft.carried:
        if not item.path.startswith("contents."):
            assert (
                getattr(draft.document, item.path) is not None or item.path == "legal_basis_other"
            )


def test_an_empty_content_is_not_carried() -> None:
    source = preservation(contents={**PRESERVED, "offence": "  ", "summary_of_facts": ""})
    contents = follow_up_document(source).document.contents
    assert "subject_and_nature" not in contents and "summary_of_facts" not in contents


def test_the_document_is_what_the_one_click_follow_up_drafts() -> None:
    source = sent(RequestKind.PRESERVATION, contents=dict(PRESERVED))
    for kind in (RequestKind.STORED_DATA_ACCESS, RequestKind.MLA, RequestKind.TRAFFIC_DISCLOSURE):
        draft = follow_up_document(source, kind)
        made = create_follow_up_mla(
            source, author=AUT_DRAFTER, at=T0, new_id=ids(), sequence=2, kind=kind
        ).mla.request
        assert dict(made.contents) == draft.document.contents
        assert made.channel.value == draft.document.channel
        assert (made.requesting.state, made.requested.state) == (
            draft.document.requesting_state,
            draft.document.requested_state,
        )
        assert to_draft(draft.document).terms == made.terms


def test_the_document_reads_back_and_names_only_what_is_left_to_write() -> None:
    draft = follow_up_document(preservation())
    reading = read_document(draft.document.model_dump(mode="json"))
    assert reading.draft is not None and reading.unusable == ()
    assert {p.field for p in reading.gaps} == {
        "contents.conducting_authority",
        "contents.assistance_sought",
        "contents.purpose",
    }


def test_only_the_requesting_sides_preservation_is_followed_up_by_a_declared_kind() -> None:
    with pytest.raises(InputError, match="only a preservation request is followed up"):
        follow_up_document(drafted(RequestKind.MLA))
    with pytest.raises(InputError, match="requesting side's copy"):
        follow_up_document(received(sent(RequestKind.PRESERVATION)))
    with pytest.raises(InputError, match="followed up by one of: stored-data-access, mla"):
        follow_up_document(preservation(), RequestKind.EXTRADITION)


def test_as_a_dict_the_draft_leaves_out_empty_fields() -> None:
    shown = follow_up_document(preservation()).as_dict()
    assert shown["kind"] == "stored-data-access"
    assert "suggested_deadline" not in shown["document"]
    assert shown["document"]["contents"]["preservation_reference"] == shown["follows_up"]
    assert {"path", "source", "why"} == set(shown["carried"][0])
