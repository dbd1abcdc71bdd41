"""Custody ledger: entries, subject index, tree nodes, head, checkpoints, witnessing.

Revision ID: 0003_ledger
Revises: 0002_treaty
Create Date: 2026-11-23
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0003_ledger"
down_revision = "0002_treaty"
branch_labels = None
depends_on = None

# SQLite only makes "INTEGER PRIMARY KEY" an alias of the rowid.
_INDEX = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("idx", _INDEX, autoincrement=False, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("appended_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_ledger_entries")),
    )
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_ledger_nodes")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ledger_subjects",
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("name", "value", "idx", name=op.f("pk_ledger_subjects")),
        sqlite_with_rowid=False,
    )
    head = op.create_table(
        "ledger_head",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_ledger_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    # The empty tree: size 0, root SHA-256("").
    op.bulk_insert(head, [{"id": 1, "tree_size": 0, "root_hash": hashlib.sha256(b"").digest()}])
    op.create_table(
        "ledger_checkpoints",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_ledger_checkpoints")),
    )
    op.create_table(
        "ledger_witnessed",
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("cosigned_note", sa.Text(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("origin", "tree_size", name=op.f("pk_ledger_witnessed")),
    )
    op.create_table(
        "ledger_split_views",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("first_size", sa.BigInteger(), nullable=False),
        sa.Column("second_size", sa.BigInteger(), nullable=False),
        sa.Column("first_note", sa.Text(), nullable=False),
        sa.Column("second_note", sa.Text(), nullable=False),
        sa.Column("consistency_proof", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_split_views")),
    )
    op.create_index(
        op.f("ix_ledger_split_views_origin"), "ledger_split_views", ["origin"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ledger_split_views_origin"), table_name="ledger_split_views")
    op.drop_table("ledger_split_views")
    op.drop_table("ledger_witnessed")
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_head")
    op.drop_table("ledger_subjects")
    op.drop_table("ledger_nodes")
    op.drop_table("ledger_entries")
