"""Schema migrations with Alembic, run from code so a node upgrades itself on start.

Alembic (and the migration scripts it loads) costs a command more time than the work it does,
so it is imported only to upgrade a schema or to list the migrations; a command that opens a
node learns where the database stands with one query and compares it to :data:`HEAD_REVISION`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, column, inspect, select, table

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: The revision this version's migrations end at. A new migration changes it too:
#: tests/store/test_migrations.py fails while it differs from the head Alembic finds.
HEAD_REVISION = "0028_batch"

#: Where Alembic records the revision a database's schema is at (its default table).
VERSION_TABLE = "alembic_version"


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of ``engine``'s database up to ``revision`` in one transaction."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at, as Alembic recorded it; ``None`` for a
    database that has no schema yet."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        versions = table(VERSION_TABLE, column("version_num"))
        recorded = sorted(connection.execute(select(versions.c.version_num)).scalars())
    if not recorded:
        return None
    # The migrations are one line, so a database marked at several heads was migrated by
    # something else: the revisions are named together, and no version knows that name.
    return ", ".join(recorded)


def head_revision() -> str | None:
    """The head Alembic finds among the migration scripts (loads them all; see
    :data:`HEAD_REVISION` for the cheap answer)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> frozenset[str]:
    """Every revision this version's migrations define."""
    from alembic.script import ScriptDirectory

    return frozenset(
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    )
