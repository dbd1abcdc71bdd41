"""Removal cases and their hash lists (issue 16, docs/content.md).

Two new tables: ``content_cases`` (article, the victim's pseudonymous reference, authority,
consent) and ``content_hashes`` (one signal of one piece of content in one list: SHA-256, MD5
or PDQ, never the content). Expand-only: nodes still running the previous revision ignore them.

Revision ID: 0016_content
Revises: 0015_deadline_counts
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0016_content"
down_revision = "0015_deadline_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article", sa.Integer(), nullable=False),
        sa.Column("victim_ref", sa.String(64), nullable=False),
        sa.Column("authority", sa.String(64), nullable=False),
        sa.Column("consent", sa.String(64), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_content_cases"),
    )
    op.create_index("ix_content_cases_authority", "content_cases", ["authority"])
    op.create_table(
        "content_hashes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("list_name", sa.String(64), nullable=False),
        sa.Column("signal", sa.String(16), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["content_cases.id"],
            name="fk_content_hashes_case_id_content_cases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_content_hashes"),
        sa.UniqueConstraint(
            "case_id", "list_name", "signal", "value", name="uq_content_hashes_case_id"
        ),
    )
    op.create_index("ix_content_hashes_signal_value", "content_hashes", ["signal", "value"])


def downgrade() -> None:
    op.drop_index("ix_content_hashes_signal_value", table_name="content_hashes")
    op.drop_table("content_hashes")
    op.drop_index("ix_content_cases_authority", table_name="content_cases")
    op.drop_table("content_cases")
