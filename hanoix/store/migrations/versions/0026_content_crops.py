"""The hashes of a listed picture's cropped windows (issue 16, docs/content.md "Cropped copies").

``content_hashes`` and ``content_list_entries`` gain ``crops``: for a PDQ entry, the PDQ hashes
of the picture cut to each of ``hanoix.content.signals.CROP_WINDOWS``, 64 hexadecimal digits
each, one after the other (NULL for other signals and for entries listed before this revision,
which match by their own hash only, as they did). Expand-only: nodes still running the previous
revision ignore the column.

Revision ID: 0026_content_crops
Revises: 0025_content_lists
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_content_crops"
down_revision = "0025_content_lists"
branch_labels = None
depends_on = None

TABLES = ("content_hashes", "content_list_entries")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("crops", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("crops")
