"""Request visibility beyond the request routes: the 24/7 inbox and the custody ledger.

1. Federation inbox: every message about a request is linked to it, so that the 24/7 view
   shows it only to those who may see the request.

Until this revision only ``request.sent`` and ``evidence.package`` messages were linked (0009);
the view showed every message to every reader, a restricted request's contents included. The
handlers of ``request.step`` and ``notice`` now link theirs, and messages received before this
revision get the link from their payloads here. Which authority handles the request is not
copied onto the message: the view joins the request itself and applies the requests' own
visibility rule, so it follows the request if that changes.

2. Custody ledger: new entries name requests by a keyed hash (hanoix.ledger.subjects), and
   ``ledger_request_pseudonyms`` remembers which request each stands for, so the node can say
   who may read an entry. Entries written before name their requests in clear and stay so (the
   log is append-only); nothing here rewrites them.

Revision ID: 0011_request_visibility
Revises: 0010_credentials
Create Date: 2026-12-03
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0011_request_visibility"
down_revision = "0010_credentials"
branch_labels = None
depends_on = None

# The message types linked from this revision on, and the payload member naming the request
# (as of this revision: hanoix.services.exchange and hanoix.services.federation).
REFERENCE_MEMBER = {"request.step": "reference", "notice": "reference"}
REFERENCE_LENGTH = 100

inbox = sa.table(
    "federation_inbox",
    sa.column("seq", sa.Integer),
    sa.column("type", sa.String),
    sa.column("payload", sa.Text),
    sa.column("request_reference", sa.String),
)


def upgrade() -> None:
    op.create_table(
        "ledger_request_pseudonyms",
        sa.Column("pseudonym", sa.String(256), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name="pk_ledger_request_pseudonyms"),
    )
    op.create_index(
        "ix_ledger_request_pseudonyms_reference", "ledger_request_pseudonyms", ["reference"]
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(inbox.c.seq, inbox.c.type, inbox.c.payload).where(
            inbox.c.type.in_(list(REFERENCE_MEMBER)), inbox.c.request_reference.is_(None)
        )
    )
    for seq, message_type, payload in rows.all():
        try:
            reference = json.loads(payload).get(REFERENCE_MEMBER[message_type])
        except (ValueError, AttributeError):
            continue  # not an object: names no request
        if isinstance(reference, str) and 0 < len(reference) <= REFERENCE_LENGTH:
            connection.execute(
                sa.update(inbox)
                .where(inbox.c.seq == seq)
                .values(request_reference=reference.strip())
            )


def downgrade() -> None:
    op.drop_index("ix_ledger_request_pseudonyms_reference", table_name="ledger_request_pseudonyms")
    op.drop_table("ledger_request_pseudonyms")
    # The links are harmless to an older schema (the column stays, from 0009); removing them
    # would make the view show those messages to everyone again.
