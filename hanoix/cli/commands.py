"""Registers every command group on the root app; one import per group."""

from __future__ import annotations

from hanoix.cli import node  # noqa: F401
from hanoix.cli import users  # noqa: F401
