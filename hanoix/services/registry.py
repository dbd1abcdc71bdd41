"""Imports every service module that registers init steps or API routes.

Adding a capability means adding its import here, not editing a dispatcher.
"""

from __future__ import annotations

from hanoix.services import (
    custody,  # noqa: F401  (the ledger's keys and origin on init)
    exchange,  # noqa: F401  (request.sent and request.step: requests over federation)
    federation,  # noqa: F401  (node keys, TLS certificate, message types)
    treaty,  # noqa: F401  (loads the shipped treaty status on init)
)
