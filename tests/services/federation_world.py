"""Steps the federation tests share: send a notice between two in-process nodes, and read
what each holds in its outbox and inbox."""

from __future__ import annotations

from hanoix.services.federation import Message
from hanoix.store import federation as store
from tests.federation.builders import Network


def send(net: Network, frm: str, to: str, text: str = "hello", **kwargs: object) -> str:
    member = net[frm]
    with member.node.unit_of_work() as session:
        sealed = member.federation.enqueue(
            session,
            Message(net[to].origin, "federation.notice", {"text": text}, **kwargs),  # type: ignore[arg-type]
        )
    return sealed.header.id


def outbox(net: Network, name: str) -> dict[str, store.OutboxItem]:
    with net[name].node.unit_of_work() as session:
        return {i.envelope_id: i for i in store.list_outbox(session, limit=10_000)}


def inbox(net: Network, name: str) -> list[store.InboxItem]:
    with net[name].node.unit_of_work() as session:
        return store.list_inbox(session, None, pending_only=False, limit=10_000)
