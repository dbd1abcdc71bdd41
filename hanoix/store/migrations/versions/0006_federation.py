"""Federation: outbox, inbox, receipts, directory versions, transfers, cosignatures.

Revision ID: 0006_federation
Revises: 0005_auth
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0006_federation"
down_revision = "0005_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federation_outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("envelope_id", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("in_reply_to", sa.String(32), nullable=True),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("transfer_id", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_federation_outbox"),
        sa.UniqueConstraint("envelope_id", name="uq_federation_outbox_envelope_id"),
    )
    op.create_index(
        "ix_federation_outbox_due",
        "federation_outbox",
        ["status", "priority", "next_attempt_at", "seq"],
    )
    op.create_table(
        "federation_inbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("envelope_id", sa.String(32), nullable=False),
        sa.Column("sender", sa.String(200), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("in_reply_to", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_federation_inbox"),
        sa.UniqueConstraint("envelope_id", name="uq_federation_inbox_envelope_id"),
    )
    op.create_index(
        "ix_federation_inbox_view", "federation_inbox", ["acknowledged_at", "urgent", "seq"]
    )
    op.create_table(
        "federation_receipts",
        sa.Column("envelope_id", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("envelope_id", name="pk_federation_receipts"),
    )
    op.create_table(
        "federation_directory",
        sa.Column("serial", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("serial", name="pk_federation_directory"),
    )
    op.create_table(
        "federation_transfers",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("peer", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("blob_key", sa.String(71), nullable=True),
        sa.Column("package_id", sa.String(80), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_federation_transfers"),
    )
    op.create_table(
        "federation_cosignatures",
        sa.Column("witness", sa.String(200), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("cosigned_note", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("witness", "tree_size", name="pk_federation_cosignatures"),
    )


def downgrade() -> None:
    op.drop_table("federation_cosignatures")
    op.drop_table("federation_transfers")
    op.drop_table("federation_directory")
    op.drop_table("federation_receipts")
    op.drop_index("ix_federation_inbox_view", table_name="federation_inbox")
    op.drop_table("federation_inbox")
    op.drop_index("ix_federation_outbox_due", table_name="federation_outbox")
    op.drop_table("federation_outbox")
