"""The frames of listed videos' vPDQ hashes (issue 16, docs/content.md, Video).

One new table, ``content_video_frames``: for a hash row of signal ``vpdq``, each hashed frame's
PDQ hash, quality, number and time (milliseconds). Never a frame's pixels. Expand-only: nodes
still running the previous revision ignore it.

Revision ID: 0021_content_video
Revises: 0020_content_notices
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_content_video"
down_revision = "0020_content_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_video_frames",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hash_id", sa.Integer(), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("at_ms", sa.Integer(), nullable=False),
        sa.Column("pdq", sa.String(64), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hash_id"],
            ["content_hashes.id"],
            name="fk_content_video_frames_hash_id_content_hashes",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_content_video_frames"),
    )
    op.create_index("ix_content_video_frames_hash_id", "content_video_frames", ["hash_id"])


def downgrade() -> None:
    op.drop_index("ix_content_video_frames_hash_id", table_name="content_video_frames")
    op.drop_table("content_video_frames")
