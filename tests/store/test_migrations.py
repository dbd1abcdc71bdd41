from __future__ import annotations

from sqlalchemy import Engine, inspect

from hanoix.store import migrate
from hanoix.store.models import metadata


def test_schema_is_at_head_after_upgrade(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_migrations_create_every_table_the_models_declare(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
