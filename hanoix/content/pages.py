"""Pages of the removal desk's lists (cases, notices): an opaque cursor, as the requests list
has, holding the sort key of the last row shown.

The desk's order (overdue first, then the nearest deadline) depends on the time of reading,
so it is computed over the authority's rows and the page cut from it: a row that became
overdue between two pages may be shown on neither, as a request moving up the requests list
may. The cursor is the last row's key, not a position, so rows added meanwhile do not shift
the page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from hanoix.errors import InputError, Problem

T = TypeVar("T")

#: A sort key: numbers only, so that it survives JSON exactly and compares as it sorted.
Key = tuple[float, ...]

MAX_PAGE = 500

#: Where a deadline is missing: after every real one (a timestamp in seconds).
NO_DEADLINE = 1e13


def instant(at: datetime | None) -> float:
    """A time as a key's number (POSIX seconds; exact in JSON); none sorts last."""
    return NO_DEADLINE if at is None else at.timestamp()


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next (``None`` on the last page)."""

    items: list[T]
    next_cursor: str | None


def encode(kind: str, key: Key) -> str:
    raw = json.dumps([kind, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(kind: str, cursor: str) -> Key:
    """The key in ``cursor``; InputError for anything this node did not hand out for ``kind``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        given = json.loads(raw)
        if not isinstance(given, list) or len(given) < 2 or given[0] != kind:
            raise ValueError("bad cursor")
        key = given[1:]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in key):
            raise ValueError("bad cursor")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        message = (
            "not a cursor this node handed out for this list; use the next_cursor of a "
            "previous page, or omit it for the first page"
        )
        raise InputError(
            f"cursor: {message}", problems=[Problem(message, field="cursor")]
        ) from None
    return tuple(float(v) for v in key)


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        message = f"between 1 and {MAX_PAGE}"
        raise InputError(
            f"limit: ask for 1 to {MAX_PAGE} rows per page, not {limit}",
            problems=[Problem(message, field="limit")],
        )


def page_of(
    rows: Sequence[T],
    key: Callable[[T], Key],
    *,
    kind: str,
    limit: int,
    cursor: str | None,
) -> Page[T]:
    """The ``limit`` rows after ``cursor`` of ``rows`` sorted by ``key`` (which must tell
    every row apart), and the cursor of the next page."""
    check_limit(limit)
    ordered = sorted(rows, key=key)
    if cursor is not None:
        after = decode(kind, cursor)
        ordered = [row for row in ordered if key(row) > after]
    shown = ordered[:limit]
    following = encode(kind, key(shown[-1])) if len(ordered) > limit else None
    return Page(shown, following)
