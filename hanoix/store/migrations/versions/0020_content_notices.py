"""Removal notices, a removal case's links to cooperation requests, and its preserved media
(issue 16, docs/content.md).

Three new tables: ``content_notices`` (a notice to a provider or a State: legal basis, the
content's digests, deadline, state), ``content_case_links`` (case to request reference) and
``content_preserved`` (the sealed evidence package keeping a case's media, by blob key).
Expand-only: nodes still running the previous revision ignore them.

Revision ID: 0020_content_notices
Revises: 0016_content
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0020_content_notices"
down_revision = "0016_content"
branch_labels = None
depends_on = None


def _case_column() -> sa.Column[int]:
    return sa.Column("case_id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "content_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _case_column(),
        sa.Column("authority", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False),
        sa.Column("recipient_kind", sa.String(16), nullable=False),
        sa.Column("legal_basis", sa.String(256), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("sent_by", sa.String(128), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("confirmation", sa.String(128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reuploads", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["content_cases.id"],
            name="fk_content_notices_case_id_content_cases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_content_notices"),
    )
    op.create_index("ix_content_notices_case_id", "content_notices", ["case_id"])
    op.create_index("ix_content_notices_authority", "content_notices", ["authority"])
    op.create_table(
        "content_case_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _case_column(),
        sa.Column("request", sa.String(64), nullable=False),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
        sa.Column("linked_by", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["content_cases.id"],
            name="fk_content_case_links_case_id_content_cases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_content_case_links"),
        sa.UniqueConstraint("case_id", "request", name="uq_content_case_links_case_id"),
    )
    op.create_index("ix_content_case_links_request", "content_case_links", ["request"])
    op.create_table(
        "content_preserved",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _case_column(),
        sa.Column("package_id", sa.String(128), nullable=False),
        sa.Column("blob", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sealed_at", UTCDateTime(), nullable=False),
        sa.Column("sealed_by", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["content_cases.id"],
            name="fk_content_preserved_case_id_content_cases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_content_preserved"),
    )
    op.create_index("ix_content_preserved_case_id", "content_preserved", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_content_preserved_case_id", table_name="content_preserved")
    op.drop_table("content_preserved")
    op.drop_index("ix_content_case_links_request", table_name="content_case_links")
    op.drop_table("content_case_links")
    op.drop_index("ix_content_notices_authority", table_name="content_notices")
    op.drop_index("ix_content_notices_case_id", table_name="content_notices")
    op.drop_table("content_notices")
