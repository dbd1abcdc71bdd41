"""Credentials that end: every API token expires, tokens remember the web session they were
made in, accounts lock after repeated failed sign-ins, an optional TOTP second factor, and the
sign-in throttle's windows.

Tokens made without an expiry (``"lifetime_days": null`` was accepted before) get one: 90 days
from this upgrade, the default maximum, so no credential stays valid for ever.

Revision ID: 0010_credentials
Revises: 0009_inbox_request_link
Create Date: 2026-12-04
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from hanoix.store.db import UTCDateTime

revision = "0010_credentials"
down_revision = "0009_inbox_request_link"
branch_labels = None
depends_on = None

# The default of the node's token_max_days setting when this revision was written.
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)

tokens = sa.table(
    "api_tokens",
    sa.column("expires_at", UTCDateTime()),
)


def upgrade() -> None:
    op.get_bind().execute(
        sa.update(tokens)
        .where(tokens.c.expires_at.is_(None))
        .values(expires_at=datetime.now(UTC) + DEFAULT_TOKEN_LIFETIME)
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=UTCDateTime(), nullable=False)
        batch.add_column(sa.Column("web_session", sa.String(64), nullable=True))
        batch.create_index("ix_api_tokens_web_session", ["web_session"])
    # Plain ADD COLUMN, never a batch copy of "users": on SQLite a copy drops the table, and
    # with foreign keys on that deletes every token and session (ON DELETE CASCADE).
    op.add_column(
        "users", sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("users", sa.Column("locked_at", UTCDateTime(), nullable=True))
    op.add_column("users", sa.Column("totp_secret", sa.LargeBinary(), nullable=True))
    op.add_column("users", sa.Column("totp_confirmed_at", UTCDateTime(), nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )
    op.create_index("ix_login_throttle_expires_at", "login_throttle", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_expires_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    # SQLite drops a column in place (3.35+), without copying the table.
    for name in ("totp_last_step", "totp_confirmed_at", "totp_secret", "locked_at"):
        op.drop_column("users", name)
    op.drop_column("users", "failed_logins")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_index("ix_api_tokens_web_session")
        batch.drop_column("web_session")
        batch.alter_column("expires_at", existing_type=UTCDateTime(), nullable=True)
