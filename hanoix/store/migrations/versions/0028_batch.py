"""The outbox's claim index in the claim's order (issue 13, docs/federation.md "Performance").

The delivery worker takes due envelopes ``ORDER BY priority, seq``. The index it had,
``(status, priority, next_attempt_at, seq)``, orders by the time of the next attempt before
``seq``, so SQLite read every pending row and sorted them for each claim: with 10,000 queued,
a claim of 256 cost about 25 ms of CPU, a tenth of a millisecond per message. The index
``(status, priority, seq)`` is read in the claim's order and the scan stops at the first 256
free rows; the urgent lane's look and the worker's next-due time use it as well, so it
replaces the old one (one index less to keep up at each insert and status change).

Revision ID: 0028_batch
Revises: 0027_lists
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0028_batch"
down_revision = "0027_lists"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_federation_outbox_order", "federation_outbox", ["status", "priority", "seq"]
    )
    op.drop_index("ix_federation_outbox_due", table_name="federation_outbox")


def downgrade() -> None:
    op.create_index(
        "ix_federation_outbox_due",
        "federation_outbox",
        ["status", "priority", "next_attempt_at", "seq"],
    )
    op.drop_index("ix_federation_outbox_order", table_name="federation_outbox")
