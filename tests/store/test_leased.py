"""Leased memory-mapped reading: same bytes as read(), and no crash when another program
wants to write the file meanwhile: it waits, and the reader stops with a clear error."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hanoix.store import leased
from hanoix.store.leased import LeaseBrokenError, LeasedReader, open_for_reading
from tests.evidence.helpers import authority, seal_folder

DATA = random.Random(7).randbytes(3 * 1024 * 1024 + 11)

# Opens the file for writing (a blocking open, as an editor or a copy would) and reports.
_WRITER = textwrap.dedent(
    """
    import os, sys, time
    started = time.monotonic()
    fd = os.open(sys.argv[1], os.O_WRONLY)
    print(f"opened after {time.monotonic() - started:.2f}s", flush=True)
    os.close(fd)
    """
)


@pytest.fixture(autouse=True)
def _prepared() -> None:
    leased.prepare()


def _file(tmp_path: Path, data: bytes = DATA) -> Path:
    path = tmp_path / "evidence.bin"
    path.write_bytes(data)
    return path


def test_reads_the_same_bytes_as_read(tmp_path: Path) -> None:
    with open_for_reading(_file(tmp_path)) as reader:
        assert isinstance(reader, LeasedReader)
        assert reader.read(10) == DATA[:10]
        buffer = bytearray(1024 * 1024)
        assert reader.readinto(buffer) == len(buffer)
        assert bytes(buffer) == DATA[10 : 10 + len(buffer)]
        reader.seek(-5, os.SEEK_END)
        assert reader.read() == DATA[-5:]
        assert reader.read(10) == b""
        reader.seek(3)
        assert reader.tell() == 3
        assert reader.read(4) == DATA[3:7]


def test_a_file_open_for_writing_elsewhere_is_read_the_ordinary_way(tmp_path: Path) -> None:
    path = _file(tmp_path)
    with path.open("ab"), open_for_reading(path) as reader:
        assert not isinstance(reader, LeasedReader)
        assert reader.read() == DATA


def test_an_empty_file_is_read_the_ordinary_way(tmp_path: Path) -> None:
    with open_for_reading(_file(tmp_path, b"")) as reader:
        assert isinstance(reader, io.FileIO)
        assert reader.read() == b""


def test_without_prepare_in_the_main_thread_nothing_is_leased(tmp_path: Path) -> None:
    path = _file(tmp_path)
    script = textwrap.dedent(
        f"""
        import threading
        from hanoix.store.leased import open_for_reading, LeasedReader
        kinds = []
        def read():
            with open_for_reading({str(path)!r}) as reader:
                kinds.append(isinstance(reader, LeasedReader))
        thread = threading.Thread(target=read)
        thread.start(); thread.join()
        print(kinds)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[False]"


def test_a_program_that_opens_the_file_for_writing_waits_and_the_read_stops(
    tmp_path: Path,
) -> None:
    path = _file(tmp_path)
    reader = open_for_reading(path)
    assert isinstance(reader, LeasedReader)
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 20
        while not reader.broken and time.monotonic() < deadline:
            time.sleep(0.05)  # the SIGIO handler runs in this (the main) thread meanwhile
        assert reader.broken
        assert writer.poll() is None, "the writer must wait while the lease is held"
        with pytest.raises(LeaseBrokenError, match="opened for writing by another program"):
            reader.read(10)
    finally:
        reader.close()
    out, _ = writer.communicate(timeout=20)
    assert out.startswith("opened after")
    assert path.read_bytes() == DATA


def test_sealing_stops_cleanly_when_a_source_is_opened_for_writing(tmp_path: Path) -> None:
    source = tmp_path / "case"
    source.mkdir()
    path = source / "image.dd"
    path.write_bytes(random.Random(8).randbytes(40 * 1024 * 1024))
    sender, receiver = authority(21), authority(22, "Police", "VNM")
    writers: list[subprocess.Popen[str]] = []

    def on_progress(_: int) -> None:
        if not writers:
            writers.append(
                subprocess.Popen(
                    [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
                )
            )
            time.sleep(1.0)  # the pipeline's buffers fill; the lease break arrives meanwhile

    package = tmp_path / "case.hxp"
    with pytest.raises(LeaseBrokenError, match=r"image\.dd was opened for writing"):
        seal_folder(source, package, sender, receiver, progress=on_progress)
    out, _ = writers[0].communicate(timeout=30)
    assert out.startswith("opened after")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case"]


def _resident_file_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1])
    raise AssertionError("no RssFile in /proc/self/status")


def _peak_resident_while_lending(tmp_path: Path, *, hold_first: bool) -> int:
    """Lend a 96 MiB file a MiB at a time, touching every page and releasing each view (all
    but the first, with ``hold_first``); return the peak growth of resident file pages, KiB."""
    path = tmp_path / "large.bin"
    with path.open("wb") as out:
        for _ in range(96):
            out.write(os.urandom(1024 * 1024))
    before = _resident_file_kib()
    peak = 0
    with open_for_reading(path) as reader:
        assert isinstance(reader, LeasedReader)
        held = reader.lend(1024 * 1024) if hold_first else None
        while True:
            view = reader.lend(1024 * 1024)
            if not len(view):
                view.release()
                break
            bytes(view[::4096])  # touch every page, as hashing does
            view.release()
            peak = max(peak, _resident_file_kib() - before)
        if held is not None:
            held.release()
    return peak


def test_pages_are_let_go_of_once_the_views_over_them_are_released(tmp_path: Path) -> None:
    peak = _peak_resident_while_lending(tmp_path, hold_first=False)
    assert peak < 40 * 1024, f"{peak} KiB of the file stayed resident"


def test_a_view_still_lent_keeps_the_pages_from_it_on(tmp_path: Path) -> None:
    # The view lent first is still in use: nothing after its start may be let go of.
    assert _peak_resident_while_lending(tmp_path, hold_first=True) > 64 * 1024


def test_a_folder_is_refused_without_leaking_its_descriptor(tmp_path: Path) -> None:
    before = len(list(Path("/proc/self/fd").iterdir()))
    for _ in range(3):
        with pytest.raises(IsADirectoryError):
            open_for_reading(tmp_path)
    assert len(list(Path("/proc/self/fd").iterdir())) == before
