"""Imports every service module that registers init steps or API routes, and subscribes the
listeners of each node's requests.

Adding a capability means adding its import here, not editing a dispatcher.
"""

from __future__ import annotations

from hanoix.services import (
    content_lists,  # noqa: F401  (content.list and content.withdrawal: shared hash lists)
    custody,  # noqa: F401  (the ledger's keys and origin on init)
    exchange,  # request.sent and request.step: requests over federation
    federation,  # noqa: F401  (node keys, TLS certificate, message types)
    secretariat,  # noqa: F401  (statistics.report and statistics.withdraw)
    treaty,  # noqa: F401  (loads the shipped treaty status on init)
)
from hanoix.services.node import Node
from hanoix.services.requests import RequestEvents


def request_events(node: Node) -> RequestEvents:
    """The listeners of ``node``'s requests: the exchange tells the other State's node of each
    step and carries the notices of exculpatory disclosures."""
    events = RequestEvents()
    exchange.subscribe(node, events)
    return events
