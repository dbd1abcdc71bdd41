"""Federation inbox: the request a message is about, indexed.

Finding the evidence returned for a request, or the request a node was sent with its evidence
key, read every inbox message of the type and decoded each payload; the API now answers that
question per request. Handlers record the request's reference on the message, and messages
received before this revision get it from their payloads here.

Revision ID: 0009_inbox_request_link
Revises: 0008_requests_index
Create Date: 2026-12-02
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0009_inbox_request_link"
down_revision = "0008_requests_index"
branch_labels = None
depends_on = None

# The message types that name a request, and the payload member that does (as of this
# revision: ``evidence.package`` and ``request.sent`` in hanoix.services.federation/exchange).
REFERENCE_MEMBER = {"evidence.package": "request", "request.sent": "reference"}
REFERENCE_LENGTH = 100

inbox = sa.table(
    "federation_inbox",
    sa.column("seq", sa.Integer),
    sa.column("type", sa.String),
    sa.column("payload", sa.Text),
    sa.column("request_reference", sa.String),
)


def upgrade() -> None:
    op.add_column(
        "federation_inbox",
        sa.Column("request_reference", sa.String(REFERENCE_LENGTH), nullable=True),
    )
    op.create_index(
        "ix_federation_inbox_request", "federation_inbox", ["request_reference", "type", "seq"]
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(inbox.c.seq, inbox.c.type, inbox.c.payload).where(
            inbox.c.type.in_(list(REFERENCE_MEMBER))
        )
    )
    for seq, message_type, payload in rows.all():
        reference = json.loads(payload).get(REFERENCE_MEMBER[message_type])
        if isinstance(reference, str) and len(reference) <= REFERENCE_LENGTH:
            connection.execute(
                sa.update(inbox).where(inbox.c.seq == seq).values(request_reference=reference)
            )


def downgrade() -> None:
    op.drop_index("ix_federation_inbox_request", table_name="federation_inbox")
    with op.batch_alter_table("federation_inbox") as batch:
        batch.drop_column("request_reference")
