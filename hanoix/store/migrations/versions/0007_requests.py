"""Cooperation requests: current versions, steps, conditions, counters, idempotency keys.

Revision ID: 0007_requests
Revises: 0006_federation
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0007_requests"
down_revision = "0006_federation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("side", sa.String(12), nullable=False),
        sa.Column("local_state", sa.String(3), nullable=False),
        sa.Column("requesting_state", sa.String(3), nullable=False),
        sa.Column("requested_state", sa.String(3), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("handled_by", sa.String(64), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("next_deadline", UTCDateTime(), nullable=True),
        sa.Column("follows_up", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_requests"),
        sa.UniqueConstraint("reference", name="uq_requests_reference"),
    )
    for column in (
        "kind",
        "requesting_state",
        "requested_state",
        "status",
        "handled_by",
        "next_deadline",
        "follows_up",
        "updated_at",
    ):
        op.create_index(f"ix_requests_{column}", "requests", [column])
    op.create_index(
        "ix_requests_local_state_created", "requests", ["local_state", "created_at", "id"]
    )
    op.create_table(
        "request_steps",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("from_status", sa.String(40), nullable=True),
        sa.Column("to_status", sa.String(40), nullable=False),
        sa.Column("side", sa.String(12), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("authority", sa.String(256), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name="fk_request_steps_request_id_requests",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "seq", name="pk_request_steps"),
    )
    op.create_table(
        "request_conditions",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("category", sa.String(12), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("article", sa.String(40), nullable=True),
        sa.Column("statutory", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name="fk_request_conditions_request_id_requests",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "category", "position", name="pk_request_conditions"),
    )
    op.create_index("ix_request_conditions_code", "request_conditions", ["code"])
    op.create_table(
        "request_sequences",
        sa.Column("state", sa.String(3), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("state", "year", name="pk_request_sequences"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("username", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_expires_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("request_sequences")
    op.drop_index("ix_request_conditions_code", table_name="request_conditions")
    op.drop_table("request_conditions")
    op.drop_table("request_steps")
    op.drop_index("ix_requests_local_state_created", table_name="requests")
    for column in (
        "updated_at",
        "follows_up",
        "next_deadline",
        "handled_by",
        "status",
        "requested_state",
        "requesting_state",
        "kind",
    ):
        op.drop_index(f"ix_requests_{column}", table_name="requests")
    op.drop_table("requests")
