"""The data-protection officer's search: every place an identifier is held, who read it."""

from __future__ import annotations

import pytest

from hanoix.errors import InputError, PermissionDeniedError
from hanoix.services import content, personal_data
from hanoix.services import requests as service
from hanoix.services.node import Node
from hanoix.store import retention as store
from tests.services.requests_world import add_people, arrived, outgoing, populate, user

NAME = "Erika Mustermann"


@pytest.fixture
def world(node: Node) -> Node:
    populate(node)
    add_people(node, (), {"dpo": ({"data_protection_officer"}, "AUT-CA")})
    return node


def test_a_request_holding_the_identifier_is_found_with_its_steps_and_readings(
    world: Node,
) -> None:
    request = outgoing(world, "sent", proceeding=f"against {NAME}, born 1970")
    outgoing(world, "draft")  # another request, holding no such name
    service.show(world, user(world, "approver"), str(request.reference))

    found = personal_data.find(world, user(world, "dpo"), "erika MUSTERMANN")
    (place,) = found.places
    assert place.kind == "request" and place.subject == str(request.reference)
    assert place.where == ["terms.proceeding", "conditions.conditions[0].proceeding"]
    whats = [(a.what, a.actor) for a in place.accesses]
    assert ("step:send", "editor") in whats
    assert ("read:request-contents", "approver") in whats


def test_reading_the_history_and_opening_a_draft_in_its_form_are_recorded(world: Node) -> None:
    sent = outgoing(world, "sent", proceeding=f"against {NAME}, born 1970")
    draft = outgoing(world, "draft", proceeding=f"against {NAME}, a second file")
    service.history(world, user(world, "approver"), str(sent.reference))
    service.editable_draft(world, user(world, "editor"), str(draft.reference))
    found = {p.subject: p for p in personal_data.find(world, user(world, "dpo"), NAME).places}
    reads = {
        subject: [(a.what, a.actor) for a in place.accesses if a.what.startswith("read:")]
        for subject, place in found.items()
    }
    assert reads[str(sent.reference)] == [("read:request-history", "approver")]
    assert reads[str(draft.reference)] == [("read:draft-form", "editor")]


def test_a_removal_case_is_found_by_its_victim_reference(world: Node) -> None:
    case = content.open_case(
        world, user(world, "drafter"), article=16, victim_ref="victim-4711", consent=["hash"]
    )
    found = personal_data.find(world, user(world, "dpo"), "victim-4711")
    assert [(p.kind, p.subject) for p in found.places] == [("content-case", case.reference)]
    assert found.places[0].accesses[0].actor == "drafter"


def test_the_search_is_recorded_without_the_identifier(world: Node) -> None:
    personal_data.find(world, user(world, "dpo"), NAME)
    with world.reading() as session:
        from sqlalchemy import select

        rows = session.scalars(select(store.ReadRow)).all()
    assert [(r.what, r.actor) for r in rows] == [("personal-data-find", "dpo")]
    assert NAME.casefold() not in rows[0].subject


def test_only_the_data_protection_officer_may_search(world: Node) -> None:
    for someone in ("admin", "auditor", "drafter"):
        with pytest.raises(PermissionDeniedError, match="data_protection_officer"):
            personal_data.find(world, user(world, someone), NAME)


@pytest.mark.parametrize("identifier", ["", "ab", " a-b-c ", "x" * 201])
def test_an_identifier_too_short_or_too_long_to_search_safely_is_refused(
    world: Node, identifier: str
) -> None:
    with pytest.raises(InputError, match=r"too short to search safely|at most 200"):
        personal_data.find(world, user(world, "dpo"), identifier)


def test_a_package_received_for_a_request_found_is_listed_with_its_custody_events(
    world: Node,
) -> None:
    from hanoix.ledger.events import CustodyEvent, EventKind
    from hanoix.services import custody

    request = outgoing(world, "sent", proceeding=f"against {NAME}")
    reference = str(request.reference)
    now = world.clock.now()
    package = "sha256:" + "ab" * 32
    arrived(
        world, "e" * 32, "evidence.package", {"package_id": package, "transfer": "t1"}, reference
    )
    with world.unit_of_work() as session:
        opened = CustodyEvent(
            EventKind.PACKAGE_OPENED, "examiner", "AUT-CA", now, {"package": package}
        )
        custody.record(session, opened, clock=world.clock)
    found = personal_data.find(world, user(world, "dpo"), NAME)
    kinds = {(p.kind, p.subject) for p in found.places}
    assert ("evidence-package", package) in kinds
    (listed,) = [p for p in found.places if p.kind == "evidence-package"]
    assert [(a.what, a.actor) for a in listed.accesses] == [("package.opened", "examiner")]


def test_a_stored_request_that_cannot_be_read_is_named_and_the_search_goes_on(
    world: Node,
) -> None:
    from sqlalchemy import update

    from hanoix.store.requests import RequestRow

    broken = outgoing(world, "sent", proceeding=f"against {NAME}, first file")
    found_too = outgoing(world, "sent", proceeding=f"against {NAME}, second file")
    with world.unit_of_work() as session:
        session.execute(
            update(RequestRow)
            .where(RequestRow.reference == str(broken.reference))
            .values(document={"format": 99, "proceeding": f"against {NAME}"})
        )
    places = {p.subject: p for p in personal_data.find(world, user(world, "dpo"), NAME).places}
    assert places[str(found_too.reference)].kind == "request"
    unreadable = places[str(broken.reference)]
    assert unreadable.kind == "request-unreadable" and unreadable.accesses == []
    assert "cannot be read" in unreadable.where[0] and "layout 99" in unreadable.where[0]
