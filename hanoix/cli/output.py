"""How every command reports: JSON on stdout, human text on stderr.

Scripts read stdout; people read stderr. A command builds one result value and hands it to
:func:`report` with a function that renders it for people, so the two can never disagree.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

# Human text goes to stderr by contract; stdout stays clean for JSON.
human = Console(stderr=True, highlight=False, soft_wrap=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    to_dict = getattr(value, "as_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(value: Any, *, indent: int | None = 2) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, indent=indent)


def report(value: Any, as_json: bool, render: Callable[[Console], None]) -> None:
    """Print ``value`` as JSON on stdout, or call ``render`` to show it on stderr."""
    if as_json:
        sys.stdout.write(to_json(value) + "\n")
        sys.stdout.flush()
    else:
        render(human)


def finding(message: str, field: str | None, article: str | None, basis: str | None) -> str:
    """One finding as a line: the article and field it concerns, what is wrong, and how sure
    the rule behind it is (the basis), e.g. ``Art. 40(14) language: ... (basis: recalled)``."""
    where = " ".join(part for part in (article, field) if part)
    prefix = f"{where}: " if where else ""
    return f"{prefix}{message}" + (f" (basis: {basis})" if basis else "")


def transfer_progress(first_column: str, *, transient: bool = False) -> Progress:
    """A progress bar of bytes on stderr: what, bar, bytes done, speed, time left."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    return Progress(
        TextColumn(first_column),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=human,
        transient=transient,
    )
