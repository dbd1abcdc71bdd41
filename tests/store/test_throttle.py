"""The sign-in throttle's storage: ``limits``' fixed windows kept in the database, on the
node's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from limits import parse
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Engine, select

from hanoix.clock import FixedClock
from hanoix.store.auth import LoginThrottleRow
from hanoix.store.db import session_factory, unit_of_work
from hanoix.store.throttle import DatabaseStorage


@pytest.fixture
def storage(engine: Engine, clock: FixedClock) -> Iterator[DatabaseStorage]:
    yield DatabaseStorage(session_factory(engine), clock)


def test_counts_within_a_window_and_starts_again_after_it(
    storage: DatabaseStorage, clock: FixedClock
) -> None:
    assert storage.incr("k", 60) == 1
    assert storage.incr("k", 60, amount=2) == 3
    assert storage.get("k") == 3
    assert storage.get_expiry("k") == (clock.now() + timedelta(seconds=60)).timestamp()
    clock.advance(timedelta(seconds=60))
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1
    assert storage.get("other") == 0
    assert storage.check()


def test_clear_and_reset(storage: DatabaseStorage) -> None:
    storage.incr("a", 60)
    storage.incr("b", 60)
    storage.clear("a")
    assert (storage.get("a"), storage.get("b")) == (0, 1)
    assert storage.reset() == 1
    assert storage.get("b") == 0


def test_keys_are_kept_as_digests_and_ended_windows_are_swept(
    storage: DatabaseStorage, engine: Engine, clock: FixedClock
) -> None:
    storage.incr("account/mistyped-password-as-username", 60)
    clock.advance(timedelta(seconds=61))
    storage.incr("another", 60)
    with unit_of_work(session_factory(engine)) as session:
        keys = session.scalars(select(LoginThrottleRow.key)).all()
    assert len(keys) == 1
    assert "another" not in keys[0] and len(keys[0]) == 64


def test_limits_strategy_on_it(storage: DatabaseStorage, clock: FixedClock) -> None:
    limiter = FixedWindowRateLimiter(storage)
    rate = parse("2/minute")
    assert limiter.hit(rate, "x") and limiter.hit(rate, "x")
    assert not limiter.test(rate, "x")
    stats = limiter.get_window_stats(rate, "x")
    assert stats.remaining == 0
    assert stats.reset_time == (clock.now() + timedelta(minutes=1)).timestamp()
    clock.advance(timedelta(minutes=1))
    assert limiter.test(rate, "x")
