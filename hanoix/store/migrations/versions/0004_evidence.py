"""Evidence packages: stored packages and their metadata.

Revision ID: 0004_evidence
Revises: 0003_ledger
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0004_evidence"
down_revision = "0003_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled in by the module that owns these tables


def downgrade() -> None:
    pass
