"""Registers every command group on the root app; one import per group."""

from __future__ import annotations

from hanoix.cli import (
    convention,  # noqa: F401
    node,  # noqa: F401
    treaty,  # noqa: F401
    users,  # noqa: F401
)
