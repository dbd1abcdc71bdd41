"""Requests: composite indexes for the common list filter (kind, status, a party's State).

``GET /requests?kind=&status=&state=`` filters on the kind, the status and either party's
State, within the user's own State's copies, newest first. One index per party column (the
filter is ``requesting_state = S OR requested_state = S``), each ending in the list's order
``(created_at, id)``, so the database combines the two and reads only matching rows.

Revision ID: 0008_requests_index
Revises: 0007_requests
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0008_requests_index"
down_revision = "0007_requests"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_requests_filter_requesting": "requesting_state",
    "ix_requests_filter_requested": "requested_state",
}


def upgrade() -> None:
    for name, party in INDEXES.items():
        op.create_index(
            name, "requests", ["local_state", "kind", "status", party, "created_at", "id"]
        )


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="requests")
