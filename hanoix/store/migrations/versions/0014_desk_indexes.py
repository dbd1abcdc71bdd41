"""Requests: indexes for the desks (the list by next deadline, the counts by status).

The central authority's desk lists the requests a user may see by next deadline (the most
overdue first, those without one last, then newest first) and counts them by status. Without an
index in that order the database sorted every visible request for each page (a quarter of a
second on PostgreSQL with 100,000 requests); the counts read the whole table. The first index
is the list's order itself (an expression for "no deadline last", as the query writes it, on
SQLite and PostgreSQL alike); the second holds what the counts read (State, status, and the
visibility columns), so they are counted from the index alone. On PostgreSQL, the text filter
(part of a reference or of an authority's code, anywhere in it: ``ILIKE '%...%'``) reads
trigram indexes (the ``pg_trgm`` extension) instead of the whole table. Expand-only: nodes
still running the previous revision keep working while workers are upgraded.

Revision ID: 0014_desk_indexes
Revises: 0013_treaty_statements
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_desk_indexes"
down_revision = "0013_treaty_statements"
branch_labels = None
depends_on = None

TEXT_COLUMNS = ("reference", "handled_by")


def upgrade() -> None:
    op.create_index(
        "ix_requests_deadline_order",
        "requests",
        [
            "local_state",
            sa.text("(next_deadline IS NULL)"),
            "next_deadline",
            sa.text("created_at DESC"),
            sa.text("id DESC"),
        ],
    )
    op.create_index(
        "ix_requests_status_counts",
        "requests",
        ["local_state", "status", "restricted", "handled_by"],
    )
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm ships with PostgreSQL and is a trusted extension (13 and later): the
        # database's owner may create it, as managed services allow.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in TEXT_COLUMNS:
        # On SQLite, which has no trigrams, a plain index of the same name: the schemas of
        # both databases stay alike.
        op.create_index(
            f"ix_requests_{column}_trgm",
            "requests",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade() -> None:
    for column in TEXT_COLUMNS:
        op.drop_index(f"ix_requests_{column}_trgm", table_name="requests")
    op.drop_index("ix_requests_status_counts", table_name="requests")
    op.drop_index("ix_requests_deadline_order", table_name="requests")
