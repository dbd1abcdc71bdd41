"""Alembic environment: runs on the connection handed in by :mod:`hanoix.store.migrate`."""

from __future__ import annotations

from alembic import context

from hanoix.store.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through hanoix.store.migrate (or 'hanoix init', which upgrades)"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
