"""The blocks of an evidence chunk wait for the writer in order: each written after the one
before it, while the body is read on, and none after one that failed."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable

import pytest

from hanoix.api.federation import _write_after
from hanoix.errors import StorageFullError


def _writes(count: int, failing: int | None) -> tuple[list[int], list[int]]:
    """Queue ``count`` writes at once (the first ones slowest); which ran, on how many threads
    at a time at most."""
    done: list[int] = []
    running = [0, 0]  # now, most
    lock = threading.Lock()

    def write(n: int) -> Callable[[], None]:
        def run() -> None:
            with lock:
                running[0] += 1
                running[1] = max(running)
            time.sleep(0.01 * (count - n))
            with lock:
                running[0] -= 1
            if n == failing:
                raise StorageFullError(f"block {n}: the node's storage is full")
            done.append(n)

        return run

    async def scenario() -> None:
        writes: deque[asyncio.Future[None]] = deque()
        for n in range(count):
            writes.append(_write_after(writes, write(n)))
        await writes[-1]

    if failing is None:
        asyncio.run(scenario())
    else:
        with pytest.raises(
            StorageFullError, match=rf"^block {failing}: the node's storage is full$"
        ):
            asyncio.run(scenario())
    return done, [running[1]]


def test_blocks_are_written_one_after_the_other_in_order() -> None:
    assert _writes(5, None) == ([0, 1, 2, 3, 4], [1])


def test_no_block_is_written_after_one_that_failed() -> None:
    assert _writes(5, 2) == ([0, 1], [1])
