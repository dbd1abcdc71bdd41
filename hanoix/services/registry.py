"""Imports every service module that registers init steps or API routes.

Adding a capability means adding its import here, not editing a dispatcher.
"""

from __future__ import annotations

from hanoix.services import (
    treaty,  # noqa: F401  (loads the shipped treaty status on init)
)
