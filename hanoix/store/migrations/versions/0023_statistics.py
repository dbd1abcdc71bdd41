"""Statistics (issue 17, docs/statistics.md): the reports a secretariat received, and the end
of each preservation's period beside its request.

1. ``statistics_reports``: each signed report as it arrived (its bytes verify again at any
   time), with its sender, State and period; a withdrawal marks the State's reports of that
   period, a reissue adds a newer one.
2. ``requests.preservation_ends``: when a preservation's period ends, extensions included, so
   that a report reads it from the row instead of opening every preservation's document (a
   third of a report's time over 100,000 requests on PostgreSQL). Filled here for the
   preservations already held; the store writes it with every version from now on.

Expand-only: nodes still running the previous revision ignore both (the column is nullable and
a request they write keeps the value of its last write by this revision, which only a later
extension changes: the report then counts the preservation by its older end).

Revision ID: 0023_statistics
Revises: 0022_retention
Create Date: 2026-12-04
"""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

from hanoix.requests.localtime import period_end
from hanoix.store.db import UTCDateTime

revision = "0023_statistics"
down_revision = "0022_retention"
branch_labels = None
depends_on = None


requests = sa.table(
    "requests",
    sa.column("id", sa.String),
    sa.column("kind", sa.String),
    sa.column("document", sa.Text),
    sa.column("preservation_ends", UTCDateTime()),
)


def upgrade() -> None:
    op.add_column("requests", sa.Column("preservation_ends", UTCDateTime(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(requests.c.id, requests.c.document).where(requests.c.kind == "preservation")
    )
    for request_id, document in rows.all():
        try:
            held = (json.loads(document) if isinstance(document, str) else document)["preservation"]
            if not held:
                continue
            days = int(held["days"]) + sum(int(e["days"]) for e in held.get("extensions", ()))
            ends = period_end(date.fromisoformat(held["starts_on"]), days, held["zone"])
        except (ValueError, KeyError, TypeError):
            continue  # not a document this revision reads: left empty, counted as open
        connection.execute(
            sa.update(requests).where(requests.c.id == request_id).values(preservation_ends=ends)
        )
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
    op.drop_column("requests", "preservation_ends")
    op.drop_index("ix_statistics_reports_period", table_name="statistics_reports")
    op.drop_table("statistics_reports")
