"""Custody ledger: entries, tree tiles, checkpoints, witnessed checkpoints.

Revision ID: 0003_ledger
Revises: 0002_treaty
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0003_ledger"
down_revision = "0002_treaty"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled in by the module that owns these tables


def downgrade() -> None:
    pass
