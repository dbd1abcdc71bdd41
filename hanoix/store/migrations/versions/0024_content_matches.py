"""The matches a removal case keeps (issue 16, docs/content.md).

Two new tables: ``content_matches`` (one row per match of a case's content: when, which
signals, the nearest distance, which list, which account; never the media) and
``content_match_totals`` (a case's count of every match, since only the newest rows are kept).
Expand-only: nodes still running the previous revision ignore them.

Revision ID: 0024_content_matches
Revises: 0023_statistics
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0024_content_matches"
down_revision = "0023_statistics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_matches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("matched_at", UTCDateTime(), nullable=False),
        sa.Column("list_name", sa.String(64), nullable=False),
        sa.Column("signals", sa.String(64), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("matched_by", sa.String(128), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["content_cases.id"],
            name="fk_content_matches_case_id_content_cases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_content_matches"),
    )
    op.create_index("ix_content_matches_case_id", "content_matches", ["case_id"])
    op.create_table(
        "content_match_totals",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["content_cases.id"],
            name="fk_content_match_totals_case_id_content_cases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name="pk_content_match_totals"),
    )


def downgrade() -> None:
    op.drop_table("content_match_totals")
    op.drop_index("ix_content_matches_case_id", table_name="content_matches")
    op.drop_table("content_matches")
