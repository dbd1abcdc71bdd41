"""A small thread pipeline: a producer and stages joined by bounded channels.

Hashing (hashlib), AEAD (cryptography), BLAKE3 and file I/O all release the GIL on large
buffers, so a producer reading chunk n+2 while one stage hashes chunk n+1 and another encrypts
chunk n keeps both cores busy. Buffers come from a fixed pool that the last stage refills:
memory stays flat whatever the input size. The first error in any thread closes every
channel, which wakes and stops every thread at once, and is raised in the caller's thread.
"""

from __future__ import annotations

import mmap
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")


class _StoppedError(Exception):
    """Raised inside a worker when the pipeline was stopped: unwind quietly."""


class Channel(Generic[U]):
    """A FIFO with an optional capacity that can be closed, waking every waiter."""

    def __init__(self, capacity: int | None = None, items: Iterable[U] = ()) -> None:
        self._items: deque[U] = deque(items)
        self._capacity = capacity
        self._closed = False
        self._ready = threading.Condition()

    def put(self, item: U) -> None:
        with self._ready:
            while (
                self._capacity is not None
                and len(self._items) >= self._capacity
                and not self._closed
            ):
                self._ready.wait()
            if self._closed:
                raise _StoppedError
            self._items.append(item)
            self._ready.notify_all()

    def get(self) -> U:
        with self._ready:
            while not self._items and not self._closed:
                self._ready.wait()
            if self._closed:
                raise _StoppedError
            item = self._items.popleft()
            self._ready.notify_all()
            return item

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()


class _Done:
    """The end-of-stream marker passed down the stages."""


_DONE = _Done()

# How far each stage may run ahead of the next, and how much plaintext the buffers of one
# pipeline hold. The SHA-256 stage is the slowest and cannot be split; with fewer buffers it
# sat idle whenever the stages after it fell behind for a moment (a write waiting for the
# disk), measured at up to a quarter of the run.
STAGE_DEPTH = 4
_BYTES_IN_FLIGHT = 12 * 1024 * 1024
_MIN_SLOTS, _MAX_SLOTS = 4, 12


def buffer_slots(chunk_size: int) -> int:
    """How many chunk buffers a pipeline over chunks of ``chunk_size`` bytes gets."""
    return max(_MIN_SLOTS, min(_MAX_SLOTS, _BYTES_IN_FLIGHT // chunk_size))


def chunk_buffer(size: int) -> mmap.mmap:
    """A zeroed, writable buffer of ``size`` bytes whose memory is taken only when written.

    A ``bytearray`` is zeroed, page by page, when it is made: twelve pairs of 1 MiB buffers
    took 12 ms before the first chunk could be hashed, on the thread the whole run waits for.
    An anonymous map costs nothing up front, and a buffer a pipeline never writes (the
    plaintext buffer of a chunk that a source lent whole) costs no memory at all.
    """
    return mmap.mmap(-1, size)


class Pipeline(Generic[T]):
    """Run ``produce(emit)`` in one thread and each stage in its own thread, in order.

    Each item passes through every stage in turn; stages see items in production order.
    """

    def __init__(self, stages: Sequence[Callable[[T], None]], *, depth: int = STAGE_DEPTH) -> None:
        self._stages = list(stages)
        self._channels: list[Channel[T | _Done]] = [Channel(depth) for _ in self._stages]
        self._pools: list[Channel[Any]] = []
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()

    def pool(self, items: Iterable[U]) -> Channel[U]:
        """A channel of reusable buffers, closed with the pipeline if it stops."""
        channel: Channel[U] = Channel(None, items)
        self._pools.append(channel)
        return channel

    def _stop(self, error: BaseException | None) -> None:
        with self._lock:
            if error is not None:
                self._errors.append(error)
        for channel in [*self._channels, *self._pools]:
            channel.close()

    def _run_producer(self, produce: Callable[[Callable[[T], None]], None]) -> None:
        try:
            produce(self._channels[0].put)
            self._channels[0].put(_DONE)
        except _StoppedError:
            pass
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            self._stop(error)

    def _run_stage(self, index: int) -> None:
        work = self._stages[index]
        inbox = self._channels[index]
        outbox = self._channels[index + 1] if index + 1 < len(self._channels) else None
        try:
            while True:
                item = inbox.get()
                if not isinstance(item, _Done):
                    work(item)
                if outbox is not None:
                    outbox.put(item)
                if isinstance(item, _Done):
                    return
        except _StoppedError:
            pass
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            self._stop(error)

    def run(self, produce: Callable[[Callable[[T], None]], None]) -> None:
        threads = [threading.Thread(target=self._run_producer, args=(produce,), daemon=True)]
        threads += [
            threading.Thread(target=self._run_stage, args=(i,), daemon=True)
            for i in range(len(self._stages))
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(timeout=0.5)
        except BaseException:  # Ctrl-C: stop the workers, then let it through
            self._stop(None)
            for thread in threads:
                thread.join()
            raise
        if self._errors:
            raise self._errors[0]
