"""The staged file of an incoming transfer: chunks with any boundaries, gathered from pieces of
any size, arrive whole, hashed, with whole pages written with O_DIRECT where the file system
allows it and through the page cache where it does not."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hanoix.errors import StorageFullError
from hanoix.federation.errors import TransferError
from hanoix.services.federation import staging
from hanoix.services.federation.staging import BLOCK_SIZE, ChunkWriter
from hanoix.services.node import Node
from hanoix.store import federation as store
from hanoix.store.files import ALIGNMENT, O_DIRECT

TRANSFER = "ab" * 16
PEER = "aut.hanoix.test"
# Chunk boundaries on and off page and block boundaries; pieces of every kind of size.
CHUNKS = [1, ALIGNMENT - 1, BLOCK_SIZE + 3, 2 * BLOCK_SIZE, 5 * ALIGNMENT, 777]
DATA = random.Random(7).randbytes(sum(CHUNKS))
PIECES = [1, 7, 4096, 65_536, 256_000, BLOCK_SIZE + 5]


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[bool, int, int]]]:
    """Every write to the staged file: (through an O_DIRECT descriptor, offset, length)."""
    direct: set[int] = set()
    seen: list[tuple[bool, int, int]] = []
    real_open, real_pwrite_all = os.open, staging.pwrite_all

    def spy_open(path: Any, flags: int, *args: Any) -> int:
        fd = real_open(path, flags, *args)
        if O_DIRECT and flags & O_DIRECT:
            direct.add(fd)
        else:
            direct.discard(fd)
        return fd

    def spy_pwrite_all(fd: int, view: memoryview, offset: int) -> None:
        seen.append((fd in direct, offset, len(view)))
        real_pwrite_all(fd, view, offset)

    monkeypatch.setattr(staging.os, "open", spy_open)
    monkeypatch.setattr(staging, "pwrite_all", spy_pwrite_all)
    yield seen


def _open(node: Node, size: int = len(DATA)) -> None:
    with node.unit_of_work() as session:
        store.add_transfer(
            session,
            id=TRANSFER,
            direction="in",
            peer=PEER,
            sha256=hashlib.sha256(DATA).hexdigest(),
            size=size,
            now=node.clock.now(),
        )


def _begin(node: Node, offset: int) -> ChunkWriter:
    return node.federation.begin_chunk(
        TRANSFER,
        offset=offset,
        total=len(DATA),
        sha256=hashlib.sha256(DATA).hexdigest(),
        sender=PEER,
    )


def _send(node: Node, seed: int) -> list[int]:
    """Every chunk of DATA, each in pieces of random sizes; the offsets answered."""
    sizes = random.Random(seed)
    answered, offset = [], 0
    for length in CHUNKS:
        chunk = memoryview(DATA)[offset : offset + length]
        pieces, pos = [], 0
        while pos < length:
            take = sizes.choice(PIECES)
            pieces.append(bytes(chunk[pos : pos + take]))
            pos += take
        answered.append(
            node.federation.put_chunk(
                TRANSFER,
                offset=offset,
                total=len(DATA),
                sha256=hashlib.sha256(DATA).hexdigest(),
                sender=PEER,
                chunks=iter(pieces),
            )
        )
        offset += length
    return answered


def _staged(node: Node) -> Path:
    return node.federation.staged_file(TRANSFER)


def _direct_possible(folder: Path) -> bool:
    if not O_DIRECT:
        return False
    probe = folder / "probe"
    probe.write_bytes(b"")
    try:
        os.close(os.open(probe, os.O_WRONLY | O_DIRECT))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("seed", [1, 2])
def test_whole_pages_go_with_o_direct_and_the_file_and_its_digest_are_whole(
    node: Node, writes: list[tuple[bool, int, int]], seed: int
) -> None:
    if not _direct_possible(node.settings.home):
        pytest.skip("no O_DIRECT on this file system")
    _open(node)
    ends = [sum(CHUNKS[: i + 1]) for i in range(len(CHUNKS))]
    assert _send(node, seed) == ends
    assert _staged(node).read_bytes() == DATA
    digests = node.federation.state.staged.received(_staged(node), len(DATA))
    assert digests.sha256.hexdigest() == hashlib.sha256(DATA).hexdigest()
    with node.unit_of_work() as session:
        transfer = store.get_transfer(session, TRANSFER)
    assert transfer is not None and transfer.offset == len(DATA)
    direct = [(offset, length) for through, offset, length in writes if through]
    assert all(offset % ALIGNMENT == 0 and length % ALIGNMENT == 0 for offset, length in direct)
    # Only the ends of each chunk, short of a page, went through the page cache.
    cached = [length for through, _, length in writes if not through]
    assert all(length < ALIGNMENT for length in cached)
    assert sum(length for _, length in direct) + sum(cached) == len(DATA)
    assert sum(length for _, length in direct) >= len(DATA) - 2 * ALIGNMENT * len(CHUNKS)


def test_a_file_system_that_refuses_o_direct_gets_the_page_cache(
    node: Node, writes: list[tuple[bool, int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    spying_open = os.open

    def refuse_direct(path: Any, flags: int, *args: Any) -> int:
        if O_DIRECT and flags & O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return spying_open(path, flags, *args)

    monkeypatch.setattr(staging.os, "open", refuse_direct)
    _open(node)
    _send(node, 3)
    assert _staged(node).read_bytes() == DATA
    assert [through for through, _, _ in writes] == [False] * len(writes)


def test_a_direct_write_refused_midway_falls_back_to_the_page_cache(
    node: Node, writes: list[tuple[bool, int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _direct_possible(node.settings.home):
        pytest.skip("no O_DIRECT on this file system")
    spying_pwrite_all = staging.pwrite_all
    refused: list[int] = []

    def refuse_once_past_the_first_block(fd: int, view: memoryview, offset: int) -> None:
        direct = fcntl.fcntl(fd, fcntl.F_GETFL) & O_DIRECT
        if direct and offset >= BLOCK_SIZE and not refused:
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        spying_pwrite_all(fd, view, offset)

    monkeypatch.setattr(staging, "pwrite_all", refuse_once_past_the_first_block)
    _open(node)
    _send(node, 4)
    assert _staged(node).read_bytes() == DATA
    assert len(refused) == 1
    assert any(through for through, offset, _ in writes if offset < refused[0])
    # From the refusal on, everything went through the page cache.
    after = [through for through, offset, _ in writes if offset >= refused[0]]
    assert after and not any(after)


def test_more_bytes_than_announced_are_refused_before_any_is_written(
    node: Node, writes: list[tuple[bool, int, int]]
) -> None:
    _open(node)
    writer = _begin(node, 0)
    try:
        assert writer.gather(DATA[: BLOCK_SIZE - 1]) == []
        with pytest.raises(
            TransferError,
            match=rf"^transfer {TRANSFER}: more bytes than the {len(DATA)} announced$",
        ):
            writer.gather(bytes(len(DATA) - BLOCK_SIZE + 2))
    finally:
        writer.abort()
    assert writes == []
    assert node.federation.transfer_offset(TRANSFER) == 0


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_while_a_chunk_is_written_is_the_nodes_storage_full(
    node: Node, monkeypatch: pytest.MonkeyPatch, error: int
) -> None:
    def full(fd: int, view: memoryview, offset: int) -> None:
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(staging, "pwrite_all", full)
    _open(node)
    with pytest.raises(
        StorageFullError, match=rf"^transfer {TRANSFER}: the node's storage is full"
    ):
        _send(node, 5)
    # The lock was released and nothing counts: the chunk can be sent again.
    assert node.federation.transfer_offset(TRANSFER) == 0
    monkeypatch.undo()
    _send(node, 6)
    assert _staged(node).read_bytes() == DATA
