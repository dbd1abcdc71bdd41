"""The hand-written lifecycle matrix (tests/requests/test_lifecycle_matrix.py) through the
service that the API and the CLI call: a request walked to each state on a node, then every
step of its side taken as a user may, with what the matrix says it carries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hanoix.convention import RequestKind
from hanoix.errors import TransitionError
from hanoix.requests import Action, CooperationRequest, Role, Side, Status
from hanoix.services import requests as service
from hanoix.services.node import Node
from tests.requests.test_lifecycle_matrix import EXPECTED, _payload
from tests.services.requests_world import incoming, outgoing, populate, user

KIND = RequestKind.PRESERVATION  # so that extending and linking a follow-up are meaningful

# The states a copy can be walked to through the services, and how.
WALKS: dict[tuple[Side, Status], Callable[[Node], CooperationRequest]] = {
    **{
        (Side.REQUESTING, Status(name)): (lambda node, name=name: outgoing(node, name, KIND))
        for name in (
            "draft",
            "awaiting_approval",
            "approved",
            "sent",
            "withdrawn",
            "received",
            "more_information_requested",
            "executed",
        )
    },
    **{
        (Side.REQUESTED, Status(name)): (lambda node, name=name: incoming(node, name, KIND))
        for name in ("received", "acknowledged", "in_execution", "postponed", "executed")
    },
}


def _who(side: Side, action: Action) -> str:
    """A user of the world whom the matrix allows to take ``action`` (never the author when
    the step is an approval)."""
    if EXPECTED[action].roles == frozenset({Role.APPROVER}):
        return "approver2" if side is Side.REQUESTING else "approver"
    return "editor" if side is Side.REQUESTING else "drafter"


def _carry(action: Action) -> dict[str, Any]:
    expected = EXPECTED[action]
    out: dict[str, Any] = {}
    if expected.payload:
        out["payload"] = _payload(action)
    if expected.note:
        out["note"] = "the reason, in words"
    return out  # the service validates the request itself for submit, approve and send


@pytest.mark.parametrize(("side", "status"), list(WALKS), ids=lambda v: str(v))
def test_every_step_of_the_side_through_the_service_is_the_matrixs(
    node: Node, side: Side, status: Status
) -> None:
    populate(node)
    walk = WALKS[(side, status)]
    request = walk(node)
    assert request.status is status
    for action, expected in EXPECTED.items():
        if expected.side is not side or expected.automatic:
            continue
        who = user(node, _who(side, action))
        reference = str(request.reference)
        if status not in expected.sources:
            with pytest.raises(TransitionError, match=f"cannot '{action.value}' request"):
                service.take_step(
                    node, who, reference, action, expected_version=request.version, **_carry(action)
                )
            continue
        done = service.take_step(
            node, who, reference, action, expected_version=request.version, **_carry(action)
        )
        assert done.status is (expected.target or status), action
        request = walk(node)  # a fresh copy in the same state for the next step


# Who of the world may be offered steps on each side's copy (the requested copies are handled
# by AUT-CA; "duty" acts for AUT-POC and reads them only).
_OFFERED_TO = {
    Side.REQUESTING: ("editor", "approver2", "officer", "examiner", "auditor", "duty"),
    Side.REQUESTED: ("drafter", "approver", "officer", "examiner", "auditor", "duty"),
}


@pytest.mark.parametrize(("side", "status"), list(WALKS), ids=lambda v: str(v))
def test_the_steps_a_reader_is_offered_are_the_steps_they_can_take(
    node: Node, side: Side, status: Status
) -> None:
    populate(node)
    walk = WALKS[(side, status)]
    request = walk(node)
    reference = str(request.reference)
    for username in _OFFERED_TO[side]:
        who = user(node, username)
        for action in service.show(node, who, reference).steps:
            fresh = walk(node)
            service.take_step(
                node,
                who,
                str(fresh.reference),
                action,
                expected_version=fresh.version,
                **_carry(action),
            )
    # And nothing is left out: each step the matrix allows here is offered to its user.
    for action, expected in EXPECTED.items():
        if expected.side is side and not expected.automatic and status in expected.sources:
            assert action in service.show(node, user(node, _who(side, action)), reference).steps
