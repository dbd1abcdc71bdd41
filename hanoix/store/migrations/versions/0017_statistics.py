"""Statistics reports a secretariat node received from national nodes (issue 17,
docs/statistics.md).

One new table, ``statistics_reports``: each signed report as it arrived (its bytes verify
again at any time), with its sender, State and period; a withdrawal marks the State's reports
of that period, a reissue adds a newer one. Expand-only: nodes still running the previous
revision ignore it.

Revision ID: 0017_statistics
Revises: 0016_content
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0017_statistics"
down_revision = "0016_content"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statistics_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("state", sa.String(3), nullable=False),
        sa.Column("period_from", sa.String(10), nullable=False),
        sa.Column("period_to", sa.String(10), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_statistics_reports"),
    )
    op.create_index(
        "ix_statistics_reports_period",
        "statistics_reports",
        ["period_from", "period_to", "origin"],
    )


def downgrade() -> None:
    op.drop_index("ix_statistics_reports_period", table_name="statistics_reports")
    op.drop_table("statistics_reports")
