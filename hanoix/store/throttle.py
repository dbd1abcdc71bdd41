"""The sign-in throttle's counters, kept in the node's database as a ``limits`` storage.

``limits`` (its fixed-window strategy) decides; this storage only keeps its counters. In the
database rather than in memory, so that every API process of a node counts together and a
restart forgives nobody; and on the node's clock, so that tests move time instead of sleeping.
Counters are written for failed sign-ins only, so the table stays small; ended windows are
swept as new failures come in.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from limits.storage import Storage
from sqlalchemy import Table, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hanoix.clock import Clock
from hanoix.store.auth import LoginThrottleRow
from hanoix.store.db import unit_of_work


def _digest(key: str) -> str:
    # Keys name what was tried (a username, an address): keep only a digest of them.
    return hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``login_throttle`` table, on the node's clock."""

    STORAGE_SCHEME = None  # made directly, never from a URI

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        super().__init__()
        self._sessions = sessions
        self._clock = clock

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self._clock.now()
        ends = now + timedelta(seconds=expiry)
        table = LoginThrottleRow.__table__
        assert isinstance(table, Table)
        with unit_of_work(self._sessions) as session:
            session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.expires_at <= now))
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            values = insert(table).values(key=_digest(key), hits=amount, expires_at=ends)
            # One statement, so that two processes counting the same key both count.
            ended = table.c.expires_at <= now
            statement = values.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "hits": case((ended, amount), else_=table.c.hits + amount),
                    "expires_at": case((ended, ends), else_=table.c.expires_at),
                },
            ).returning(table.c.hits)
            hits = session.execute(statement).scalar_one()
        return int(hits)

    def _live(self, session: Session, key: str) -> LoginThrottleRow | None:
        row = session.get(LoginThrottleRow, _digest(key))
        if row is None or row.expires_at <= self._clock.now():
            return None
        return row

    def get(self, key: str) -> int:
        with unit_of_work(self._sessions) as session:
            row = self._live(session, key)
            return row.hits if row is not None else 0

    def get_expiry(self, key: str) -> float:
        with unit_of_work(self._sessions) as session:
            row = self._live(session, key)
            return (row.expires_at if row is not None else self._clock.now()).timestamp()

    def check(self) -> bool:
        with unit_of_work(self._sessions) as session:
            session.execute(select(func.count()).select_from(LoginThrottleRow))
        return True

    def reset(self) -> int | None:
        with unit_of_work(self._sessions) as session:
            cleared = session.execute(delete(LoginThrottleRow)).rowcount  # type: ignore[attr-defined]
        return int(cleared)

    def clear(self, key: str) -> None:
        with unit_of_work(self._sessions) as session:
            session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.key == _digest(key)))
