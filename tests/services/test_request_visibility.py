"""Every way a node shows request material goes through the requests' one visibility rule
(:func:`hanoix.requests.check_visible`): here the 24/7 inbox, on two nodes that exchange a
restricted urgent preservation from Austria's 24/7 unit to Viet Nam's.

On the receiving node a clerk of Viet Nam's central authority (another authority of the
receiving State) must neither read the restricted request from the inbox nor silence it; the
24/7 unit that handles it reads and acknowledges it. Messages about no request (a ping) stay
visible to every reader of the node's State; nothing reaches a user of another State.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hanoix.errors import NotFoundError, PermissionDeniedError
from hanoix.requests import Action, User
from hanoix.services import requests as service
from hanoix.services.federation import NOTICE, PING, Message, inbox_view, pending_inbox_ids
from hanoix.store import federation as fed_store
from tests.federation.builders import Member, Network
from tests.services.exchange_world import (
    SECRET_FACT,
    add_visibility_people,
    deliver,
    exchange_network,
    send_restricted_preservation,
    take,
)
from tests.services.requests_world import draft


def user(member: Member, name: str) -> User:
    return service.user_named(member.node, name)


def view(member: Member, name: str, *, pending_only: bool = False) -> list[dict[str, object]]:
    reader = user(member, name)
    shown = [m.as_dict() for m in inbox_view(member.node, reader, pending_only=pending_only)]
    if pending_only:
        # What a desk polls with is exactly the pending view's ids, in its order, by the same
        # visibility rule.
        assert pending_inbox_ids(member.node, reader) == [m["envelope_id"] for m in shown]
    return shown


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    network = exchange_network(tmp_path)
    add_visibility_people(network)
    yield network
    network.close()


def test_a_restricted_request_is_in_the_inbox_of_its_handling_authority_only(
    net: Network,
) -> None:
    v = net["v"]
    sent = send_restricted_preservation(net)
    for reader in ("officer", "auditor-247"):
        seen = {m["envelope_id"]: m for m in view(v, reader)}
        assert sent.envelope_id in seen, reader
        assert sent.envelope_id in [m["envelope_id"] for m in view(v, reader, pending_only=True)]
        assert SECRET_FACT in json.dumps(seen[sent.envelope_id]["payload"])
    for outsider in ("drafter", "approver", "auditor-ca", "liaison"):
        for pending_only in (True, False):
            shown = json.dumps(view(v, outsider, pending_only=pending_only))
            assert sent.reference not in shown and SECRET_FACT not in shown, outsider


def test_another_authoritys_clerk_cannot_silence_a_restricted_urgent_item(net: Network) -> None:
    v = net["v"]
    sent = send_restricted_preservation(net)
    with pytest.raises(NotFoundError) as hidden:
        v.federation.acknowledge(sent.envelope_id, user(v, "drafter"))
    with pytest.raises(NotFoundError) as missing:
        v.federation.acknowledge("0" * 32, user(v, "drafter"))
    # No existence oracle: the restricted item answers exactly as a missing one.
    assert str(hidden.value) == str(missing.value).replace("0" * 32, sent.envelope_id)
    assert type(hidden.value) is type(missing.value)
    pending = [m["envelope_id"] for m in view(v, "officer", pending_only=True)]
    assert pending[0] == sent.envelope_id  # still raised, urgent first
    assert v.federation.acknowledge(sent.envelope_id, user(v, "officer")) is True
    assert sent.envelope_id not in [m["envelope_id"] for m in view(v, "officer", pending_only=True)]


def test_the_requests_later_messages_and_notices_follow_the_request(net: Network) -> None:
    a, v = net["a"], net["v"]
    sent = send_restricted_preservation(net)
    # Viet Nam's steps come back to Austria as request.step messages about the same request.
    take(v, "officer", sent.reference, Action.ACKNOWLEDGE)
    with v.node.unit_of_work() as session:
        v.federation.enqueue(
            session,
            Message(
                a.origin,
                NOTICE,
                {"reference": sent.reference, "text": f"about {sent.reference}: {SECRET_FACT}"},
                urgent=True,
            ),
        )
        v.federation.enqueue(session, Message(a.origin, PING, {}))
    deliver(net)
    with a.node.unit_of_work() as session:
        about = fed_store.list_inbox(session, None, pending_only=False)
    linked = [m for m in about if m.request_reference == sent.reference]
    assert {m.type for m in linked} == {"request.step", NOTICE}
    ids = {m.envelope_id for m in linked}
    handler = {m["envelope_id"] for m in view(a, "officer")}
    assert ids <= handler
    outsider = view(a, "drafter")  # Austria's central authority: not the handling authority
    assert not ids & {m["envelope_id"] for m in outsider}
    assert SECRET_FACT not in json.dumps(outsider) and sent.reference not in json.dumps(outsider)
    # The ping is about no request: for every reader of the node's State.
    assert [m["type"] for m in outsider] == [PING]


def test_an_open_request_is_read_by_the_states_readers_and_acknowledged_by_its_authority(
    net: Network,
) -> None:
    a, v = net["a"], net["v"]
    created = service.create(a.node, user(a, "drafter"), draft())
    reference = str(created.request.reference)
    take(a, "drafter", reference, Action.SUBMIT)
    take(a, "approver", reference, Action.APPROVE)
    take(a, "drafter", reference, Action.SEND)
    deliver(net)
    with v.node.unit_of_work() as session:
        (message,) = fed_store.inbox_for_request(session, reference, "request.sent")
    for reader in ("drafter", "officer", "auditor-ca", "auditor-247"):
        assert message.envelope_id in {m["envelope_id"] for m in view(v, reader)}, reader
    # Handled by VNM-CA: the 24/7 unit reads it but does not mark it seen for them.
    with pytest.raises(PermissionDeniedError, match="handled by VNM-CA"):
        v.federation.acknowledge(message.envelope_id, user(v, "officer"))
    assert v.federation.acknowledge(message.envelope_id, user(v, "drafter")) is True


def test_those_without_a_part_in_cooperation_see_nothing(net: Network) -> None:
    a, v = net["a"], net["v"]
    sent = send_restricted_preservation(net)
    with a.node.unit_of_work() as session:
        a.federation.enqueue(session, Message(v.origin, PING, {}))
    deliver(net)
    # Another State's user on this node: no request of Viet Nam's, and not its node's pings.
    assert view(v, "liaison") == []
    with pytest.raises(NotFoundError):
        v.federation.acknowledge(sent.envelope_id, user(v, "liaison"))
    # Roles: administrators run the node, examiners do not keep the 24/7 watch.
    for name in ("admin", "examiner"):
        with pytest.raises(PermissionDeniedError, match="roles"):
            inbox_view(v.node, user(v, name))
    with pytest.raises(PermissionDeniedError, match="roles"):
        v.federation.acknowledge(sent.envelope_id, user(v, "auditor-247"))
