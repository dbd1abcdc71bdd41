"""Shared lists of any size, with videos (issue 16, docs/content.md "Shared lists").

Two new tables: ``content_list_parts`` (the parts of a list in parts received so far, kept
until every part of its serial is there and the list is imported whole) and
``content_list_video_frames`` (the frames of a video's vPDQ entry of an imported list).
Expand-only: nodes still running the previous revision ignore them.

Revision ID: 0027_lists
Revises: 0026_content_crops
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0027_lists"
down_revision = "0026_content_crops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_list_parts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_content_list_parts"),
        sa.UniqueConstraint("name", "serial", "part", name="uq_content_list_parts_name"),
    )
    op.create_table(
        "content_list_video_frames",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("at_ms", sa.Integer(), nullable=False),
        sa.Column("pdq", sa.String(64), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["content_list_entries.id"],
            name="fk_content_list_video_frames_entry_id_content_list_entries",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_content_list_video_frames"),
    )
    op.create_index(
        "ix_content_list_video_frames_entry_id", "content_list_video_frames", ["entry_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_content_list_video_frames_entry_id", table_name="content_list_video_frames")
    op.drop_table("content_list_video_frames")
    op.drop_table("content_list_parts")
