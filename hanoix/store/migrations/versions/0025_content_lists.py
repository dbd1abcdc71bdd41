"""Hash lists shared between States (issue 16 item 4, docs/content.md "Shared lists").

Three new tables: ``content_lists`` (a list imported from another node: its name, origin,
serial and signing key), ``content_list_entries`` (its hashes, each with its article and, once
withdrawn, when and why) and ``content_list_shares`` (the nodes this node's lists were
published to). ``content_hashes`` gains ``withdrawn_at`` and ``withdrawn_reason``. Expand-only:
nodes still running the previous revision ignore them.

Revision ID: 0025_content_lists
Revises: 0024_content_matches
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0025_content_lists"
down_revision = "0024_content_matches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("content_hashes") as batch:
        batch.add_column(sa.Column("withdrawn_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("withdrawn_reason", sa.String(16), nullable=True))
    op.create_table(
        "content_lists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("state", sa.String(3), nullable=False),
        sa.Column("authority", sa.String(64), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("issued", UTCDateTime(), nullable=True),
        sa.Column("key_id", sa.String(16), nullable=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_content_lists"),
        sa.UniqueConstraint("name", name="uq_content_lists_name"),
    )
    op.create_table(
        "content_list_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("signal", sa.String(16), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("article", sa.Integer(), nullable=False),
        sa.Column("listed_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("withdrawn_reason", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["content_lists.id"],
            name="fk_content_list_entries_list_id_content_lists",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_content_list_entries"),
        sa.UniqueConstraint("list_id", "signal", "value", name="uq_content_list_entries_list_id"),
    )
    op.create_index(
        "ix_content_list_entries_signal_value", "content_list_entries", ["signal", "value"]
    )
    op.create_table(
        "content_list_shares",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_name", sa.String(80), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("state", sa.String(3), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("shared_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_content_list_shares"),
        sa.UniqueConstraint("list_name", "recipient", name="uq_content_list_shares_list_name"),
    )
    op.create_index("ix_content_list_shares_list_name", "content_list_shares", ["list_name"])


def downgrade() -> None:
    op.drop_index("ix_content_list_shares_list_name", table_name="content_list_shares")
    op.drop_table("content_list_shares")
    op.drop_index("ix_content_list_entries_signal_value", table_name="content_list_entries")
    op.drop_table("content_list_entries")
    op.drop_table("content_lists")
    with op.batch_alter_table("content_hashes") as batch:
        batch.drop_column("withdrawn_reason")
        batch.drop_column("withdrawn_at")
