"""The requests service publishes each step its users take to the node's listeners, inside the
step's unit of work, and knows none of them: the exchange subscribes at composition."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hanoix.convention import RequestKind
from hanoix.requests import Action, FollowUpLink, IntendedUse, Status, UseAction
from hanoix.services import requests as service
from hanoix.services.node import Node
from hanoix.store import requests as store
from tests.services.requests_world import draft, outgoing, populate, step, user


@pytest.fixture
def world(node: Node) -> Node:
    populate(node)
    return node


def test_a_listener_hears_each_step_in_order_with_its_user_and_unit_of_work(world: Node) -> None:
    heard: list[tuple[Action, str, int, Status, bool]] = []

    def listener(taken: service.StepTaken) -> None:
        request = taken.request
        # The step is in the listener's session already, not yet committed.
        stored = store.load(taken.session, str(request.reference))
        assert stored is not None and stored.version == request.version
        active = taken.session.in_transaction()
        heard.append((taken.action, taken.user.id, request.version, request.status, active))

    world.request_events.on_step(listener)
    request = service.create(world, user(world, "drafter"), draft()).request
    request = step(world, "drafter", request, Action.SUBMIT)
    request = step(world, "approver", request, Action.APPROVE)
    step(world, "drafter", request, Action.SEND)
    assert heard == [
        (Action.SUBMIT, "drafter", 2, Status.AWAITING_APPROVAL, True),
        (Action.APPROVE, "approver", 3, Status.APPROVED, True),
        (Action.SEND, "drafter", 4, Status.SENT, True),
    ]


def test_a_listener_that_fails_undoes_the_step(world: Node) -> None:
    request = service.create(world, user(world, "drafter"), draft()).request

    def refuses(taken: service.StepTaken) -> None:
        raise RuntimeError("the outbox is full")

    world.request_events.on_step(refuses)
    with pytest.raises(RuntimeError, match="outbox is full"):
        step(world, "drafter", request, Action.SUBMIT)
    shown = service.show(world, user(world, "auditor"), str(request.reference))
    assert (shown.request.status, shown.request.version) == (Status.DRAFT, request.version)


def test_a_follow_up_publishes_the_link_on_the_preservation(world: Node) -> None:
    preservation = outgoing(world, "executed", kind=RequestKind.PRESERVATION, author="drafter")
    heard: list[service.StepTaken] = []
    world.request_events.on_step(heard.append)
    drafter = user(world, "drafter")
    reference = str(preservation.reference)
    result = service.follow_up(world, drafter, reference, expected_version=preservation.version)
    [link] = heard
    assert link.action is Action.LINK_FOLLOW_UP
    assert link.request.reference == preservation.reference
    assert link.payload == FollowUpLink(reference=result.mla.reference)


def test_a_notice_carrier_decides_how_an_exculpatory_disclosure_was_notified(world: Node) -> None:
    request = outgoing(world, "executed", author="drafter")
    disclosure = IntendedUse(UseAction.DISCLOSE_EXCULPATORY, proceeding="LG Wien 77/26")
    drafter = user(world, "drafter")
    # The exchange finds no node of Viet Nam in this node's (absent) directory.
    decision = service.check_intended_use(world, drafter, str(request.reference), disclosure)
    assert decision.notice == "by-other-means"
    carried: list[service.DisclosureNotice] = []

    def carrier(notice: service.DisclosureNotice) -> bool:
        carried.append(notice)
        return True

    world.request_events.on_disclosure_notice(carrier)
    decision = service.check_intended_use(world, drafter, str(request.reference), disclosure)
    assert decision.notice == "sent"
    [notice] = carried
    assert (notice.request.reference, notice.user, notice.proceeding) == (
        request.reference,
        drafter,
        "LG Wien 77/26",
    )


def test_importing_the_requests_service_does_not_import_the_exchange() -> None:
    probe = "import sys, hanoix.services.requests; print('hanoix.services.exchange' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
