"""What the drafting form shows beside a partly filled document: findings by field, whether
the Convention applies between the two States on the day, and the deadline a kind sets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hanoix.convention import RequestKind
from hanoix.errors import InputError
from hanoix.requests import rulebook
from hanoix.services.drafting import drafting_check_with, suggested_deadline
from hanoix.services.validation import TreatyView
from hanoix.treaty.status import TreatyStatus
from tests.documents.gaps import only_kind_gaps
from tests.services.requests_world import document
from tests.treaty.builders import OTHERS, signed_and_ratified

DEPOSITS = date(2027, 2, 1)
IN_FORCE = DEPOSITS + timedelta(days=90)  # Art. 65(1): the ninetieth day after the fortieth
BEFORE = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
AFTER = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)


def treaty() -> TreatyView:
    forty = ["AUT", "VNM", *[code for code in OTHERS if code not in ("AUT", "VNM")][:38]]
    return TreatyView(TreatyStatus(signed_and_ratified(forty, DEPOSITS)))


@pytest.mark.parametrize("kind", list(RequestKind), ids=str)
def test_a_document_with_only_its_kind_shows_every_gap_by_its_field(kind: RequestKind) -> None:
    check = drafting_check_with(treaty(), {"kind": kind.value}, node_state="AUT", now=AFTER)
    assert not check.validation.usable and not check.validation.valid
    assert check.errors.elsewhere == ()
    placed = {
        (path, p.article, p.basis) for path, items in check.errors.by_path.items() for p in items
    }
    assert placed == only_kind_gaps(kind)
    assert check.convention is None  # no requested State yet
    assert check.form.kind is kind


def test_before_entry_into_force_the_other_legal_basis_is_asked_for_beside_its_field() -> None:
    body = document(RequestKind.MLA, requesting_state="AUT", legal_basis_other=None)
    check = drafting_check_with(treaty(), body, node_state=None, now=BEFORE)
    convention = check.convention
    assert convention is not None and convention.applies is False
    answer = treaty().status.applies("AUT", "VNM", BEFORE.date())
    assert convention.reasons == tuple(r.message for r in answer.reasons)
    assert (convention.on, convention.other_basis_field) == (BEFORE.date(), "legal_basis_other")
    assert (convention.article, convention.basis) == ("Art. 65", "verified")
    assert [p.article for p in check.errors.by_path["legal_basis_other"]] == ["Art. 65"]
    # The warning concerns the whole request: a page shows it above the form.
    assert [p.field for p in check.warnings.elsewhere] == ["legal_basis"]
    assert check.errors.by_path.keys() == {"legal_basis_other"}

    after = drafting_check_with(treaty(), body, node_state=None, now=AFTER)
    assert after.convention is not None and after.convention.applies is True
    assert after.convention.other_basis_field is None
    assert after.validation.valid and after.errors.by_path == {}
    assert after.as_dict()["convention"]["applies"] is True


def test_the_requesting_state_defaults_to_the_nodes() -> None:
    body = document(RequestKind.MLA)
    check = drafting_check_with(treaty(), body, node_state="AUT", now=AFTER)
    assert check.convention is not None and check.convention.requesting_state == "AUT"
    unknown = drafting_check_with(
        treaty(), {**body, "requested_state": "XXA"}, node_state="AUT", now=AFTER
    )
    assert unknown.convention is None
    assert [p.field for p in unknown.errors.by_path["requested_state"]] == ["requested_state"]


def test_a_preservation_suggests_the_end_of_its_period_and_other_kinds_none() -> None:
    minimum = rulebook.preservation_minimum_days()
    body = document(RequestKind.PRESERVATION, requesting_state="AUT")
    body.pop("preservation_days", None)
    check = drafting_check_with(treaty(), body, node_state=None, now=AFTER)
    assert check.deadline.due == AFTER.date() + timedelta(days=minimum)
    assert check.deadline.article == str(rulebook.preservation_period_article())
    longer = drafting_check_with(
        treaty(), {**body, "preservation_days": 90}, node_state=None, now=AFTER
    )
    assert longer.deadline.due == AFTER.date() + timedelta(days=90)
    # Fewer days than the minimum are a finding; the deadline still counts the minimum.
    shorter = suggested_deadline(RequestKind.PRESERVATION, "VNM", AFTER, 10)
    assert shorter.due == AFTER.date() + timedelta(days=minimum)
    # Late in the evening in Vienna is already the next day in Ha Noi, whose calendar counts.
    late = datetime(2027, 6, 1, 20, 0, tzinfo=UTC)
    assert suggested_deadline(RequestKind.PRESERVATION, "VNM", late).due == date(
        2027, 6, 2
    ) + timedelta(days=minimum)
    mla = suggested_deadline(RequestKind.MLA, "VNM", AFTER)
    assert mla.due is None and mla.article == str(rulebook.suggested_deadline_article())


def test_a_document_without_a_readable_kind_has_no_form() -> None:
    with pytest.raises(InputError, match="choose the kind of request") as caught:
        drafting_check_with(treaty(), {"kind": "warrant"}, node_state="AUT", now=AFTER)
    assert caught.value.problems[0].field == "kind"
    with pytest.raises(InputError):
        drafting_check_with(treaty(), ["not", "a", "document"], node_state="AUT", now=AFTER)
