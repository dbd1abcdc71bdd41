"""A small disk that fills: a tmpfs of a few MiB mounted for one test, grown or removed after.

A tmpfs answers a write past its size with ``ENOSPC`` at the moment of the write, exactly as a
full disk does, for file data, directories and SQLite's database and journal alike. What it does
not show is a disk's own behaviour (an ``fsync`` that fails later, a file system that keeps a
reserve for root): those are not simulated. Mounting needs root (``CAP_SYS_ADMIN``); where it is
not permitted the test is skipped, saying so.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def small_disk(path: Path, size: str = "8m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (created if missing); unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root (CAP_SYS_ADMIN)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        # Lazily: a process of the test may still hold a file open on it.
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def resize(path: Path, size: str) -> None:
    """Give the mounted tmpfs at ``path`` a new size (space freed, or taken away)."""
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True)


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def files_under(path: Path) -> list[str]:
    """Every file and folder under ``path``, hidden ones included, relative and sorted."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def fill(path: Path) -> int:
    """Write ``path`` until the disk refuses another byte; return how many were written."""
    written = 0
    with path.open("wb", buffering=0) as ballast:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    written += ballast.write(b"\0" * size) or 0
            except OSError:
                continue
    return written
