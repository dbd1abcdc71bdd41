"""Reading the files people hand to the node, with bounds that hold while reading.

Every input file (a request document, a ledger entry or proof, a key, a directory, a treaty
import) is read through :func:`read_input`:

* only a regular file is read: a FIFO (which would wait for ever), a device such as
  ``/dev/zero`` (which never ends) or a folder is refused at once with a message that says so;
  the file is opened without blocking, so even opening a FIFO cannot hang;
* at most ``limit`` bytes are read: the read stops at ``limit + 1`` bytes and is refused, so a
  file that grows, or lies about its size, cannot fill the memory;

and JSON through :func:`load_json`, which bounds nesting (:data:`MAX_JSON_DEPTH`) and turns every
parser failure, a ``RecursionError`` included, into a one-line :class:`FileFormatError`.
:func:`excerpt` keeps what a message quotes from a file short.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from hanoix.errors import FileFormatError, InputError

MIB = 1024 * 1024
#: The default cap: far above any document, key or proof a person writes.
DEFAULT_LIMIT = 16 * MIB
#: How deep a JSON input may nest; request documents and entries need a handful of levels.
MAX_JSON_DEPTH = 64

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    return next((what for test, what in _KINDS if test(mode)), None)


def read_input(path: Path, what: str = "input", *, limit: int = DEFAULT_LIMIT) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; otherwise an
    :class:`InputError` that names ``what`` and the file and says what to give instead."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{what} {path} is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from None
    try:
        kind = _not_regular(os.fstat(fd).st_mode)
        if kind is not None:
            raise InputError(f"{what} {path} is {kind}, not a regular file: give a file")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(1024 * 1024, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise InputError(f"{what} {path} is larger than {limit} bytes, the most read")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def _too_deep(value: Any, bound: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > bound:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def load_json(data: bytes | str, source: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``data`` parsed as JSON, nested at most ``max_depth`` levels; otherwise a one-line
    :class:`FileFormatError` naming ``source``."""
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            f"{source}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except UnicodeDecodeError:
        raise FileFormatError(f"{source}: not JSON (not UTF-8 text)") from None
    except RecursionError:
        raise FileFormatError(f"{source}: nested too deeply (at most {max_depth} levels)") from None
    if _too_deep(value, max_depth):
        raise FileFormatError(f"{source}: nested too deeply (at most {max_depth} levels)")
    return value


def read_json(path: Path, what: str = "input", *, limit: int = DEFAULT_LIMIT) -> Any:
    """:func:`read_input` then :func:`load_json`."""
    return load_json(read_input(path, what, limit=limit), f"{what} {path}")
