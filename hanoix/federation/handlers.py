"""The message-type registry: which handler runs when an envelope of a type arrives.

A handler is ``(node, session, envelope) -> None``. The protocol does not know what a node
is: a registry is generic in it (the node's own, :data:`hanoix.services.federation.registry`,
is a ``HandlerRegistry[Node]`` and lives with the use cases). A handler runs inside the inbox
transaction: its writes, the inbox row that de-duplicates the envelope and the signed receipt
commit together or not at all, so a message takes effect exactly once. A handler that refuses
a message raises a :class:`~hanoix.errors.HanoixError` (the transaction rolls back, the sender
is told why); it must not commit, and must not call the network.

Modules add their types by registering them, not by editing a dispatcher::

    from hanoix.services.federation import registry

    @registry.handler("request.submit", description="a new cooperation request")
    def receive_request(node: Node, session: Session, envelope: OpenedEnvelope) -> None: ...

    registry.register("preservation.request", receive_preservation, urgent=True)

A type declared ``urgent`` is always sent ahead of ordinary traffic and raised on the 24/7 view
(any message can also be sent urgent by its sender). Extra modules can be loaded at start by
name (``plugins`` in ``HOME/federation.toml``), so a deployment adds types without code changes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from hanoix.errors import ConfigurationError
from hanoix.federation.envelope import OpenedEnvelope, check_type

Receiver = TypeVar("Receiver")
"""What a handler acts on: the node that took the envelope, as its use cases know it."""

Handler = Callable[[Receiver, Session, OpenedEnvelope], None]


@dataclass(frozen=True)
class MessageType(Generic[Receiver]):
    """A registered message type: its handler and whether it is urgent by nature."""

    name: str
    handler: Handler[Receiver]
    urgent: bool = False
    description: str = ""


class HandlerRegistry(Generic[Receiver]):
    """Message types by name, handled on a ``Receiver``."""

    def __init__(self) -> None:
        self._types: dict[str, MessageType[Receiver]] = {}

    def register(
        self,
        name: str,
        handler: Handler[Receiver],
        *,
        urgent: bool = False,
        description: str = "",
    ) -> MessageType[Receiver]:
        """Register ``handler`` for ``name``. Registering the same function again is a no-op
        (modules may be imported twice); another function for a taken name is an error."""
        check_type(name)
        existing = self._types.get(name)
        if existing is not None:
            if existing.handler is handler:
                return existing
            raise ConfigurationError(
                f"message type {name!r} is already handled by {existing.handler.__qualname__}"
            )
        message_type = MessageType(name, handler, urgent, description)
        self._types[name] = message_type
        return message_type

    def handler(
        self, name: str, *, urgent: bool = False, description: str = ""
    ) -> Callable[[Handler[Receiver]], Handler[Receiver]]:
        """Decorator form of :meth:`register`."""

        def decorate(function: Handler[Receiver]) -> Handler[Receiver]:
            self.register(name, function, urgent=urgent, description=description)
            return function

        return decorate

    def get(self, name: str) -> MessageType[Receiver] | None:
        return self._types.get(name)

    def is_urgent(self, name: str) -> bool:
        found = self._types.get(name)
        return found is not None and found.urgent

    def types(self) -> list[MessageType[Receiver]]:
        return sorted(self._types.values(), key=lambda t: t.name)

    def unregister(self, name: str) -> None:
        """Remove a type (tests that register temporary handlers clean up with this)."""
        self._types.pop(name, None)


def load_plugins(modules: Iterable[str]) -> None:
    """Import each named module so it registers its message types."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigurationError(
                f"federation plugin {name!r} cannot be imported ({exc}); check 'plugins' in "
                "federation.toml"
            ) from None
