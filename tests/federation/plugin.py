"""A message type for multi-node tests, loaded into node processes as a federation plugin.

``test.count`` increments a counter per envelope id inside the inbox transaction: if a message
ever took effect twice, its counter would read 2.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hanoix.federation.envelope import OpenedEnvelope
from hanoix.services.federation import registry
from hanoix.services.node import Node
from hanoix.store.meta import get_meta, set_meta

COUNT = "test.count"


def count(node: Node, session: Session, envelope: OpenedEnvelope) -> None:
    key = f"test.count.{envelope.id}"
    set_meta(session, key, str(int(get_meta(session, key) or "0") + 1))


registry.register(COUNT, count, description="test: count each envelope's effect")
