"""The pipeline's buffers: enough to keep the slowest stage busy, never too much memory."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from hanoix.evidence.format import MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, TAG_SIZE
from hanoix.evidence.pipeline import Channel, Pipeline, _StoppedError, buffer_slots, chunk_buffer


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


@pytest.mark.parametrize(
    ("chunk_size", "slots"),
    [
        (MIN_CHUNK_SIZE, 12),  # 12 MiB would buy thousands: the most is 12
        (1024 * 1024, 12),
        (2 * 1024 * 1024, 6),  # 12 MiB in flight
        (4 * 1024 * 1024, 4),  # 3 would fit; the least is 4
        (MAX_CHUNK_SIZE, 4),
    ],
)
def test_buffer_slots_hold_twelve_mib_between_four_and_twelve_buffers(
    chunk_size: int, slots: int
) -> None:
    assert buffer_slots(chunk_size) == slots


def test_a_chunk_buffer_is_zeroed_and_writable() -> None:
    buffer = chunk_buffer(4096)
    assert len(buffer) == 4096
    assert buffer[:] == bytes(4096)
    buffer[10:13] = b"abc"
    assert buffer[8:14] == b"\x00\x00abc\x00"


def _blocked(action: Callable[[], object]) -> threading.Thread:
    """Start ``action`` in a thread; return it once it has had time to finish if it could."""
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    thread.join(timeout=0.2)
    return thread


def test_a_full_channel_holds_its_writer_until_an_item_is_taken() -> None:
    channel: Channel[int] = Channel(2)
    channel.put(1)
    channel.put(2)
    writer = _blocked(lambda: channel.put(3))
    assert writer.is_alive()  # a third item waits for room
    assert channel.get() == 1
    writer.join(timeout=10)
    assert not writer.is_alive()
    assert (channel.get(), channel.get()) == (2, 3)


def test_an_empty_channel_holds_its_reader_until_an_item_is_put() -> None:
    channel: Channel[int] = Channel(None, [])
    taken: list[int] = []
    reader = _blocked(lambda: taken.append(channel.get()))
    assert reader.is_alive()
    channel.put(7)
    reader.join(timeout=10)
    assert taken == [7]


def test_a_channel_without_capacity_takes_any_number_of_items() -> None:
    channel: Channel[int] = Channel(None, [1, 2])
    for i in range(3, 100):
        channel.put(i)
    assert [channel.get() for _ in range(99)] == list(range(1, 100))


def test_closing_a_channel_wakes_and_stops_its_waiters() -> None:
    full: Channel[int] = Channel(1, [0])
    empty: Channel[int] = Channel(None)
    stopped: list[str] = []

    def expect_stop(name: str, action: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                action()
            except _StoppedError:
                stopped.append(name)

        return run

    writer = _blocked(expect_stop("writer", lambda: full.put(1)))
    reader = _blocked(expect_stop("reader", empty.get))
    full.close()
    empty.close()
    writer.join(timeout=10)
    reader.join(timeout=10)
    assert sorted(stopped) == ["reader", "writer"]
    # once closed, a channel refuses items and gives none, even those it still holds
    with pytest.raises(_StoppedError):
        full.get()
    with pytest.raises(_StoppedError):
        empty.put(1)


def test_an_error_of_the_producer_reaches_the_caller() -> None:
    def produce(emit: Callable[[int], None]) -> None:
        emit(1)
        raise OSError("source unreadable")

    seen: list[int] = []
    pipeline: Pipeline[int] = Pipeline([seen.append])
    with pytest.raises(OSError, match=r"^source unreadable$"):
        pipeline.run(produce)


def test_an_error_closes_the_pools_so_a_thread_waiting_for_a_buffer_stops() -> None:
    def fail(item: int) -> None:
        raise ValueError("stage failed")

    pipeline: Pipeline[int] = Pipeline([fail])
    buffers = pipeline.pool([])  # empty and never refilled: whoever takes a buffer waits

    def produce(emit: Callable[[int], None]) -> None:
        emit(1)
        buffers.get()  # woken and stopped by the stage's error

    with pytest.raises(ValueError, match=r"^stage failed$"):
        pipeline.run(produce)
    with pytest.raises(_StoppedError):
        buffers.get()


def test_the_first_of_several_errors_is_raised() -> None:
    def produce(emit: Callable[[int], None]) -> None:
        try:
            for i in range(1_000_000):
                emit(i)
        except _StoppedError:
            # the stage's error stopped the pipeline: this one comes second
            raise OSError("second") from None

    def fail(item: int) -> None:
        raise ValueError("first")

    pipeline: Pipeline[int] = Pipeline([fail])
    with pytest.raises(ValueError, match=r"^first$"):
        pipeline.run(produce)


def test_the_producer_runs_at_most_depth_items_ahead_of_a_busy_stage() -> None:
    started, release = threading.Event(), threading.Event()
    emitted: list[int] = []

    def produce(emit: Callable[[int], None]) -> None:
        for i in range(100):
            emit(i)
            emitted.append(i)

    def busy(item: int) -> None:
        if item == 0:
            started.set()
            release.wait(10)

    pipeline: Pipeline[int] = Pipeline([busy], depth=1)
    runner = threading.Thread(target=pipeline.run, args=(produce,), daemon=True)
    runner.start()
    assert started.wait(10)
    runner.join(timeout=0.2)
    # item 0 in the stage, item 1 in the channel of depth 1: item 2 waits for room
    assert len(emitted) <= 2
    release.set()
    runner.join(timeout=10)
    assert emitted == list(range(100))
