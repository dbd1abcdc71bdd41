"""Requests: the desk's counts by status under a deadline filter, from an index alone.

"Deadline before" on the central authority's desk counts the matching requests by status. The
counts' index (0014_desk_indexes) starts with the status, so with a deadline the database read
every matching row from the table instead (a request's row holds its whole document: some ten
thousand table pages for 13,000 requests, 38 ms on PostgreSQL with 100,000 requests). This
index holds the deadline and what the counts read (status and the visibility columns), so those
counts, and the overdue ones, come from the index alone. Expand-only: nodes still running the
previous revision keep working while workers are upgraded.

Revision ID: 0015_deadline_counts
Revises: 0014_desk_indexes
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0015_deadline_counts"
down_revision = "0014_desk_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_requests_deadline_counts",
        "requests",
        ["local_state", "next_deadline", "status", "restricted", "handled_by"],
    )


def downgrade() -> None:
    op.drop_index("ix_requests_deadline_counts", table_name="requests")
