"""Treaty declarations kept as they were lodged: the form and the article invoked.

A declaration row held what the statement does (``kind``: an optional element, the
dispute-settlement reservation, a designated authority); it now also holds the form it was
lodged in (reservation, declaration, notification) and the article and paragraph it invokes
(``Art. 9(2)``), as the depositary records them. Both are nullable: rows written before this
revision, and statements whose source gives neither, take the notification's own. Expand-only,
so nodes still running the previous revision keep working while workers are upgraded.

Revision ID: 0013_treaty_statements
Revises: 0012_federation_refusals
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_treaty_statements"
down_revision = "0012_federation_refusals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("treaty_declarations", sa.Column("form", sa.String(20), nullable=True))
    op.add_column("treaty_declarations", sa.Column("article", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("treaty_declarations") as batch:
        batch.drop_column("article")
        batch.drop_column("form")
