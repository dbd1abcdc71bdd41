"""Marking personal data in the model (Art. 36) and producing views without it, for logs.

A dataclass field that can hold personal data is declared with :func:`personal_field`; the mark
lives in the field's metadata, so the store, the API and the log writer can all ask the model
rather than keep their own lists. :func:`loggable` walks any value and withholds every marked
field, recursively, so a new personal field is safe the day it is declared.

Free text is marked personal by default (facts, reasons, notes): nobody can promise that a
summary of facts names no one.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from hanoix.convention.refs import Art

PERSONAL = "personal"
WITHHELD = "<withheld: personal data>"


def personal_field(**kwargs: Any) -> Any:
    """A dataclass field that may hold personal data (Art. 36); ``kwargs`` go to ``field``."""
    metadata = dict(kwargs.pop("metadata", {}) or {})
    metadata[PERSONAL] = True
    return dataclasses.field(metadata=metadata, **kwargs)


def is_personal(f: dataclasses.Field[Any]) -> bool:
    """Whether the dataclass field ``f`` is marked as holding personal data."""
    return bool(f.metadata.get(PERSONAL, False))


def personal_field_names(cls: type[Any]) -> frozenset[str]:
    """Names of the fields of dataclass ``cls`` marked as personal data.

    A field that always holds a dataclass (a request's ``terms``) is searched too, its marked
    fields named by their path (``terms.proceeding``): what is marked there is personal data of
    ``cls`` as much as its own fields are. Optional values and collections are records of
    their own, asked about by their own type.
    """
    hints = typing.get_type_hints(cls)
    names: set[str] = set()
    for f in dataclasses.fields(cls):
        if is_personal(f):
            names.add(f.name)
        held = hints[f.name]
        if isinstance(held, type) and dataclasses.is_dataclass(held):
            names.update(f"{f.name}.{name}" for name in personal_field_names(held))
    return frozenset(names)


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | tuple | list | dict | frozenset | set | Mapping):
        return len(value) == 0
    return False


def loggable(value: Any) -> Any:
    """A JSON-ready copy of ``value`` in which every personal field is withheld.

    A withheld field keeps its name with the marker :data:`WITHHELD` when it held something
    (so a reader knows data exists) and ``None`` when it was empty. Dates and times become ISO
    8601 strings, enums their values, article references their printed form.
    """
    # An article reference is a dataclass too: it is printed before records are walked.
    if isinstance(value, Art):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if is_personal(f):
                out[f.name] = None if _empty(item) else WITHHELD
            else:
                out[f.name] = loggable(item)
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Mapping):
        return {str(k): loggable(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(loggable(v) for v in value)
    if isinstance(value, tuple | list):
        return [loggable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    # Anything else (a reference type, a zone) prints as its readable form.
    return str(value)
