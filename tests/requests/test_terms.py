"""A request's terms, declared once: the shapes that hold them, the request copy that reads them
as fields of its own, and a draft's changes applied term by term."""

from __future__ import annotations

from dataclasses import MISSING, Field, fields, replace
from datetime import date
from typing import Any

import pytest

from hanoix.convention import RequestKind
from hanoix.errors import InputError
from hanoix.requests import (
    CLEARABLE,
    TERM_NAMES,
    Action,
    Channel,
    CooperationRequest,
    IncomingRequest,
    NewRequest,
    Party,
    RequestEdit,
    RequestTerms,
    amend,
    apply,
    draft_request,
    loggable,
    personal_field_names,
)
from hanoix.requests.personal import WITHHELD, is_personal
from hanoix.requests.references import RequestReference
from tests.requests.builders import AUT_DRAFTER, T0, drafted, new_request, received, sent

# A value for every field a draft's edit may change, each unlike what drafted() holds.
EDITED: dict[str, Any] = {
    "proceeding": "Vienna public prosecutor 12/2026",
    "language": "fr",
    "channel": Channel.DIPLOMATIC,
    "urgent": True,
    "restricted": True,
    "legal_basis_other": "bilateral treaty of 2001",
    "convention_offence": False,
    "dual_criminality": False,
    "preservation_days": 120,
    "suggested_deadline": date(2026, 6, 1),
    "owner": "aut.editor",
    "requested": Party("ZAF", "ZAF-CA", "Africa/Johannesburg"),
}


def _default(f: Field[Any]) -> object:
    return f.default_factory() if f.default_factory is not MISSING else f.default


def test_the_terms_that_may_hold_personal_data_are_marked() -> None:
    assert personal_field_names(RequestTerms) == {"proceeding", "contents"}


def test_an_edit_offers_every_term_and_the_channel_party_and_owner_each_optional() -> None:
    edit = {f.name: f for f in fields(RequestEdit)}
    assert set(edit) == {*TERM_NAMES, "channel", "requested", "owner", "cleared"}
    for term in fields(RequestTerms):
        assert is_personal(edit[term.name]) == is_personal(term), term.name
    optional = {name: f for name, f in edit.items() if name not in ("contents", "cleared")}
    assert all(_default(f) is None for f in optional.values())


def test_a_request_reads_its_terms_as_its_own_fields() -> None:
    request = drafted(suggested_deadline=date(2026, 3, 1), urgent=True, preservation_days=60)
    assert {name: getattr(request, name) for name in TERM_NAMES} == {
        name: getattr(request.terms, name) for name in TERM_NAMES
    }


def test_a_drafted_request_shares_no_contents_with_what_it_was_drafted_from() -> None:
    spec = new_request()
    request = draft_request(spec, author=AUT_DRAFTER, at=T0, new_id=lambda: "r1", sequence=1)
    assert request.request.contents == spec.terms.contents
    assert request.request.contents is not spec.terms.contents


def test_the_received_copy_holds_the_terms_that_were_sent() -> None:
    request = sent(preservation_days=None, suggested_deadline=date(2026, 4, 1), restricted=True)
    assert received(request).terms == request.terms


def test_the_view_of_a_request_shows_its_terms_as_its_own_fields() -> None:
    view = drafted(urgent=True).loggable()
    assert "terms" not in view
    assert (view["proceeding"], view["contents"]) == (WITHHELD, WITHHELD)
    assert (view["urgent"], view["language"]) == (True, "en")


def test_every_shape_of_a_request_marks_the_personal_terms() -> None:
    marked = {"terms.proceeding", "terms.contents"}
    for shape in (CooperationRequest, NewRequest, IncomingRequest):
        assert personal_field_names(shape) == marked, shape.__name__


def test_amend_gives_the_terms_their_changes_and_the_holder_the_others() -> None:
    spec = amend(new_request(), urgent=True, owner="aut.editor", language="de")
    assert (spec.terms.urgent, spec.terms.language, spec.owner) == (True, "de", "aut.editor")
    assert spec.terms.proceeding == new_request().terms.proceeding
    with pytest.raises(TypeError, match="colour"):
        amend(spec, colour="red")


def test_the_terms_keep_their_personal_marks_inside_what_holds_them() -> None:
    view = loggable(new_request())
    assert view["terms"]["proceeding"] == view["terms"]["contents"] == WITHHELD
    assert view["terms"]["language"] == "en"


def test_every_field_an_edit_may_change_has_a_value_here() -> None:
    assert set(EDITED) == {f.name for f in fields(RequestEdit)} - {"contents", "cleared"}


@pytest.mark.parametrize("name", sorted(EDITED))
def test_an_edit_of_one_field_changes_that_field_and_says_so(name: str) -> None:
    before = drafted()
    step = apply(before, Action.EDIT, AUT_DRAFTER, T0, payload=RequestEdit(**{name: EDITED[name]}))
    assert getattr(step.request, name) == EDITED[name]
    assert step.event.details == {"changed": name}
    untouched = [f for f in fields(RequestEdit) if f.name not in (name, "contents", "cleared")]
    assert all(getattr(step.request, f.name) == getattr(before, f.name) for f in untouched)


@pytest.mark.parametrize("name", sorted(CLEARABLE))
def test_an_edit_unsets_what_a_new_request_leaves_unset_and_says_so(name: str) -> None:
    before = apply(
        drafted(), Action.EDIT, AUT_DRAFTER, T0, payload=RequestEdit(**{name: EDITED[name]})
    ).request
    step = apply(
        before, Action.EDIT, AUT_DRAFTER, T0, payload=RequestEdit(cleared=frozenset({name}))
    )
    assert getattr(step.request, name) is None
    assert step.event.details == {"changed": name}


def test_an_edit_cannot_unset_what_a_request_always_has() -> None:
    with pytest.raises(InputError, match="language cannot be left empty"):
        apply(
            drafted(),
            Action.EDIT,
            AUT_DRAFTER,
            T0,
            payload=RequestEdit(cleared=frozenset({"language"})),
        )


def test_the_loggable_view_names_the_preservation_followed_up_and_the_follow_ups() -> None:
    preservation = drafted(RequestKind.PRESERVATION)
    plain = preservation.loggable()
    assert (plain["follows_up"], plain["follow_ups"]) == (None, [])
    first = RequestReference.parse("AUT-2026-000007")
    second = RequestReference.parse("AUT-2026-000009")
    linked = replace(preservation, follows_up=first, follow_ups=(first, second))
    view = linked.loggable()
    assert view["follows_up"] == "AUT-2026-000007"
    assert view["follow_ups"] == ["AUT-2026-000007", "AUT-2026-000009"]
