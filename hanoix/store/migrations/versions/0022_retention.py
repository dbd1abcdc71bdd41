"""Retention and the data-protection officer's trail (issue 17, docs/retention.md).

Two new tables: ``retention_erasures`` (what was erased, of which category, under which rule,
when, and the index of its ``data.erased`` custody entry: never the content) and
``personal_data_reads`` (who read a request's personal data or opened evidence, and when).
Expand-only: nodes still running the previous revision ignore them.

Revision ID: 0022_retention
Revises: 0021_content_video
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0022_retention"
down_revision = "0021_content_video"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_erasures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("article", sa.String(40), nullable=False),
        sa.Column("erased_at", UTCDateTime(), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_retention_erasures"),
        sa.UniqueConstraint("category", "subject", name="uq_retention_erasures_category"),
    )
    op.create_index("ix_retention_erasures_subject", "retention_erasures", ["subject"])
    op.create_table(
        "personal_data_reads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("authority", sa.String(256), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_personal_data_reads"),
    )
    op.create_index("ix_personal_data_reads_subject", "personal_data_reads", ["subject", "at"])


def downgrade() -> None:
    op.drop_index("ix_personal_data_reads_subject", table_name="personal_data_reads")
    op.drop_table("personal_data_reads")
    op.drop_index("ix_retention_erasures_subject", table_name="retention_erasures")
    op.drop_table("retention_erasures")
