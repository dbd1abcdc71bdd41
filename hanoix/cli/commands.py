"""Registers the root's own commands; command groups are loaded lazily (see cli/app.py)."""

from __future__ import annotations

from hanoix.cli import node  # noqa: F401
