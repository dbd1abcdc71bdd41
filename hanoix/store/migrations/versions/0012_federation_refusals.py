"""Federation refusals: counted per sender and reason, not appended to the ledger.

Every envelope refused from a sender nobody authenticated (garbage, an unknown or forged
sender, a bad signature) and every repeat of one already taken used to append an
``envelope.rejected`` entry to the custody ledger, so anyone who could reach the node could grow
its append-only log without end. They are now counted here, one row per (sender, reason),
where the sender is a node of the directory or ``(unknown)``: a bounded table
(docs/ledger.md says what still reaches the ledger).

Revision ID: 0012_federation_refusals
Revises: 0011_request_visibility
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0012_federation_refusals"
down_revision = "0011_request_visibility"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federation_refusals",
        sa.Column("sender", sa.String(200), primary_key=True),
        sa.Column("reason", sa.String(32), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("last_detail", sa.String(300), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("federation_refusals")
