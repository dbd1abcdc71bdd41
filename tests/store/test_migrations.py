from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, column, insert, inspect, select, table, text

from hanoix.store import migrate
from hanoix.store.db import make_engine
from hanoix.store.models import metadata
from tests.conftest import pg_database


def test_schema_is_at_head_after_upgrade(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_migrations_create_every_table_the_models_declare(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables


def test_the_migrations_build_exactly_the_schema_the_models_declare(engine: Engine) -> None:
    # A column, index or constraint added to a model without a migration (or the reverse).
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no schema at all."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    request.getfixturevalue("pg_template")  # skips when PostgreSQL is not reachable
    with pg_database(template=None) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_the_head_a_node_expects_is_the_head_of_the_migration_scripts() -> None:
    # Opening a node compares its database with HEAD_REVISION instead of loading Alembic: a
    # migration added without moving it would let nodes run on a schema one step behind.
    assert migrate.head_revision() == migrate.HEAD_REVISION
    assert migrate.HEAD_REVISION in migrate.known_revisions()


def test_the_current_revision_is_read_as_alembic_records_it(empty_engine: Engine) -> None:
    assert migrate.current_revision(empty_engine) is None  # no schema yet
    migrate.upgrade(empty_engine, "0008_requests_index")
    assert migrate.current_revision(empty_engine) == "0008_requests_index"
    with empty_engine.connect() as connection:
        recorded = MigrationContext.configure(connection).get_current_revision()
    assert recorded == "0008_requests_index"
    with empty_engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
    assert migrate.current_revision(empty_engine) is None


def test_inbox_messages_received_before_0009_are_linked_to_their_request(
    empty_engine: Engine,
) -> None:
    migrate.upgrade(empty_engine, "0008_requests_index")
    at = datetime(2026, 11, 30, tzinfo=UTC)
    inbox = table(
        "federation_inbox",
        *(column(name) for name in ("envelope_id", "sender", "type", "urgent", "created_at")),
        *(column(name) for name in ("expires_at", "received_at", "digest", "payload")),
        *(column(name) for name in ("receipt", "duplicates", "request_reference")),
    )
    payloads = {
        "evidence.package": {"transfer": "t", "request": "AUT-2026-000001"},
        "request.sent": {"reference": "AUT-2026-000002", "document": {}},
        "request.step": {"reference": "AUT-2026-000003", "action": "receive"},
        "node.hello": {"request": "AUT-2026-000004"},
    }
    with empty_engine.begin() as connection:
        for number, (kind, payload) in enumerate(payloads.items()):
            connection.execute(
                insert(inbox).values(
                    envelope_id=f"{number:032x}", sender="vnm.example", type=kind, urgent=False,
                    created_at=at, expires_at=at, received_at=at, digest="0" * 64,
                    payload=json.dumps(payload), receipt="{}", duplicates=0,
                )
            )  # fmt: skip

    migrate.upgrade(empty_engine, "0009_inbox_request_link")

    with empty_engine.connect() as connection:
        linked = dict(connection.execute(select(inbox.c.type, inbox.c.request_reference)).all())
    # Only the types whose handlers link a message to a request, from the member that names it.
    assert linked == {
        "evidence.package": "AUT-2026-000001",
        "request.sent": "AUT-2026-000002",
        "request.step": None,
        "node.hello": None,
    }


def test_tokens_without_an_expiry_get_one_at_0010(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0009_inbox_request_link")
    at = datetime(2026, 11, 30, tzinfo=UTC)
    users = table("users", *(column(n) for n in ("id", "username", "display_name", "roles")))
    tokens = table(
        "api_tokens",
        *(column(n) for n in ("id", "user_id", "name", "secret_hash", "created_at")),
        *(column(n) for n in ("expires_at", "revoked_at")),
    )
    with empty_engine.begin() as connection:
        connection.execute(
            insert(table("users", *(column(n) for n in ("id", "username", "display_name")),
                         column("roles"), column("active"), column("created_at"))).values(
                id=1, username="lan", display_name="Lan", roles="drafter", active=True,
                created_at=at,
            )
        )  # fmt: skip
        for token_id, expires in (("forever", None), ("dated", at)):
            connection.execute(
                insert(tokens).values(
                    id=token_id, user_id=1, name="t", secret_hash="0" * 64, created_at=at,
                    expires_at=expires,
                )
            )  # fmt: skip
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        rows = dict(connection.execute(select(tokens.c.id, tokens.c.expires_at)).all())
        failed = connection.execute(select(column("failed_logins")).select_from(users)).scalar()
    assert rows["forever"] is not None
    assert str(rows["dated"]).startswith("2026-11-30")
    assert failed == 0


def test_steps_and_notices_received_before_0011_are_linked_to_their_request(
    empty_engine: Engine,
) -> None:
    migrate.upgrade(empty_engine, "0010_credentials")
    at = datetime(2026, 11, 30, tzinfo=UTC)
    inbox = table(
        "federation_inbox",
        *(column(name) for name in ("envelope_id", "sender", "type", "urgent", "created_at")),
        *(column(name) for name in ("expires_at", "received_at", "digest", "payload")),
        *(column(name) for name in ("receipt", "duplicates", "request_reference")),
    )
    payloads = [
        ("request.step", {"reference": "AUT-2026-000003", "action": "receive"}, None),
        ("notice", {"reference": "AUT-2026-000004", "text": "about it"}, None),
        ("notice", {"text": "about nothing"}, None),
        ("notice", "not an object", None),
        ("request.sent", {"reference": "AUT-2026-000009"}, "AUT-2026-000002"),
    ]
    with empty_engine.begin() as connection:
        for number, (kind, payload, reference) in enumerate(payloads):
            connection.execute(
                insert(inbox).values(
                    envelope_id=f"{number:032x}", sender="vnm.example", type=kind, urgent=False,
                    created_at=at, expires_at=at, received_at=at, digest="0" * 64,
                    payload=json.dumps(payload), receipt="{}", duplicates=0,
                    request_reference=reference,
                )
            )  # fmt: skip

    migrate.upgrade(empty_engine)

    with empty_engine.connect() as connection:
        linked = connection.execute(
            select(inbox.c.request_reference).order_by(inbox.c.envelope_id)
        ).scalars()
        # A link made before (by 0009 or a handler) is kept as it was.
        assert list(linked) == ["AUT-2026-000003", "AUT-2026-000004", None, None, "AUT-2026-000002"]


def test_preservations_held_before_0017_get_the_end_of_their_period(
    empty_engine: Engine,
) -> None:
    migrate.upgrade(empty_engine, "0016_content")
    at = datetime(2026, 11, 30, tzinfo=UTC)
    names = ("id", "reference", "kind", "side", "local_state", "requesting_state")
    names += ("requested_state", "status", "handled_by", "restricted", "urgent", "created_at")
    requests = table("requests", *(column(n) for n in (*names, "updated_at", "version")),
                     column("document"))  # fmt: skip
    held = {"starts_on": "2026-11-30", "zone": "Asia/Ho_Chi_Minh", "days": 90,
            "extensions": [{"days": 30, "reason": ""}]}  # fmt: skip
    documents = {"kept": {"preservation": held}, "none": {"preservation": None}, "odd": {}}
    with empty_engine.begin() as connection:
        for number, (name, document) in enumerate(documents.items()):
            connection.execute(
                insert(requests).values(
                    id=name, reference=f"VNM-2026-{number:06d}", kind="preservation",
                    side="requested", local_state="VNM", requesting_state="AUT",
                    requested_state="VNM", status="executed", handled_by="VNM-247",
                    restricted=False, urgent=False, created_at=at, updated_at=at, version=1,
                    document=json.dumps(document),
                )
            )  # fmt: skip

    migrate.upgrade(empty_engine)

    with empty_engine.connect() as connection:
        ends = dict(connection.execute(text("SELECT id, preservation_ends FROM requests")).all())
    # 120 days from 30 November, to the end of that day in Hanoi (UTC+7): 17:00 UTC.
    assert str(ends["kept"]).startswith("2027-03-30 17:00")
    assert ends["none"] is None and ends["odd"] is None
