"""The pipeline's buffers: enough to keep the slowest stage busy, never too much memory."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from hanoix.evidence.format import MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, TAG_SIZE
from hanoix.evidence.pipeline import Pipeline, buffer_slots


def test_buffers_stay_well_under_the_memory_ceiling_for_every_chunk_size() -> None:
    size = MIN_CHUNK_SIZE
    while size <= MAX_CHUNK_SIZE:
        slots = buffer_slots(size)
        assert 4 <= slots <= 12
        # plaintext and ciphertext buffers of every slot, against the 300 MB ceiling
        assert slots * (2 * size + TAG_SIZE) <= 160 * 1024 * 1024
        size *= 2
    assert buffer_slots(1024 * 1024) == 12


def test_stages_see_every_item_in_order() -> None:
    seen: list[tuple[str, int]] = []
    lock = threading.Lock()

    def stage(name: str) -> Callable[[int], None]:
        def work(item: int) -> None:
            with lock:
                seen.append((name, item))

        return work

    def produce(emit: Callable[[int], None]) -> None:
        for i in range(100):
            emit(i)

    pipeline: Pipeline[int] = Pipeline([stage("a"), stage("b")])
    pipeline.run(produce)
    assert [i for name, i in seen if name == "a"] == list(range(100))
    assert [i for name, i in seen if name == "b"] == list(range(100))


def test_the_first_error_stops_every_thread_and_reaches_the_caller() -> None:
    def produce(emit: Callable[[int], None]) -> None:
        for i in range(1000):
            emit(i)

    def fail_at_ten(item: int) -> None:
        if item == 10:
            raise ValueError("stage failed at 10")

    pipeline: Pipeline[int] = Pipeline([fail_at_ten, lambda item: None])
    with pytest.raises(ValueError, match="stage failed at 10"):
        pipeline.run(produce)
