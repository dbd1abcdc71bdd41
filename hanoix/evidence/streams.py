"""The stream shapes the core reads and writes; adapters pass real files, tests pass BytesIO."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class Readable(Protocol):
    """A source of bytes: files opened with ``open(path, "rb", buffering=0)``, ``BytesIO``."""

    def readinto(self, buffer: memoryview, /) -> int | None: ...

    def close(self) -> None: ...


class Writable(Protocol):
    """Where a package is written: a file, ``BytesIO``, the store's streaming writer."""

    def write(self, data: bytes | bytearray | memoryview, /) -> int | None: ...


class WritableFile(Writable, Protocol):
    """One opened file: written, then closed once complete."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Source:
    """One file to seal: its path inside the package, how to open it, its modification time,
    and the size the caller saw (a file whose size changes while sealed is refused).

    The stream ``open`` returns may also offer ``lend(size) -> memoryview``: the next bytes
    as a view that stays valid until the stream is closed (a memory map). ``seal`` then
    hashes and encrypts whole chunks where they lie instead of copying them, and closes the
    stream only once every stage is done with them."""

    path: str
    open: Callable[[], Readable]
    modified: datetime
    size: int | None = None


def read_fully(stream: Readable, view: memoryview) -> int:
    """Fill ``view`` as far as the stream allows; return the bytes read (short only at EOF)."""
    filled = 0
    while filled < len(view):
        n = stream.readinto(view[filled:])
        if not n:
            break
        filled += n
    return filled
