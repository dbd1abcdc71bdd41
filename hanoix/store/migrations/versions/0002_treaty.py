"""Treaty status: participants, treaty actions, declarations.

Revision ID: 0002_treaty
Revises: 0001_initial
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0002_treaty"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled in by the module that owns these tables


def downgrade() -> None:
    pass
