"""Treaty status: participants, treaty actions, declarations.

Revision ID: 0002_treaty
Revises: 0001_initial
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0002_treaty"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "treaty_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("participant", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("action_date", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(20), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_treaty_actions"),
    )
    op.create_index("ix_treaty_actions_participant", "treaty_actions", ["participant"])
    op.create_table(
        "treaty_declarations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("participant", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("declaration_date", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("basis", sa.String(20), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_treaty_declarations"),
    )
    op.create_index("ix_treaty_declarations_participant", "treaty_declarations", ["participant"])
    op.create_table(
        "treaty_datasets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("imported_from", sa.Text(), nullable=True),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.Column("gaps", sa.Text(), nullable=True),
        sa.Column("actions", sa.Integer(), nullable=False),
        sa.Column("declarations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_treaty_datasets"),
    )


def downgrade() -> None:
    op.drop_table("treaty_datasets")
    op.drop_index("ix_treaty_declarations_participant", table_name="treaty_declarations")
    op.drop_table("treaty_declarations")
    op.drop_index("ix_treaty_actions_participant", table_name="treaty_actions")
    op.drop_table("treaty_actions")
