"""Small strict JSON and field codecs shared by the federation formats (pure).

Every format here is a JSON object whose signature covers its RFC 8785 canonical form, so a
value has exactly one byte representation: no duplicate members, no NaN, canonical base64,
RFC 3339 UTC times ending in ``Z``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from typing import Any

from hanoix.ledger.events import canonical_json

_ORIGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$")
_STATE = re.compile(r"^[A-Z]{3}$")
_HEX = re.compile(r"^[0-9a-f]+$")


class FieldError(ValueError):
    """One malformed field: the message says what is wrong with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON of ``value``: the custody ledger's (the standard library's C
    encoder where it writes the same bytes, ``rfc8785`` for the rest and for every error), so
    that a signature between nodes and an entry of the ledger are canonicalised alike.
    tests/federation/test_codec_canonical.py holds it to ``rfc8785`` for what travels."""
    return canonical_json(value)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the member {key!r} is given twice")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def json_object(data: bytes | str, what: str) -> dict[str, Any]:
    """Parse ``data`` as one JSON object; raise :class:`FieldError` naming ``what``."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FieldError(what, f"not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise FieldError(what, "must be a JSON object")
    return value


def members(obj: dict[str, Any], required: set[str], optional: set[str], what: str) -> None:
    missing = required - obj.keys()
    if missing:
        raise FieldError(what, f"lacks {', '.join(sorted(missing))}")
    unknown = obj.keys() - required - optional
    if unknown:
        raise FieldError(what, f"has unknown members {', '.join(sorted(unknown))}")


_CONTROL = re.compile("[\x00-\x1f]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f]")


def text(obj: dict[str, Any], name: str, *, max_length: int = 1000, multiline: bool = False) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise FieldError(name, f"must be a non-empty string of at most {max_length} characters")
    # One scan in C: a generator over the characters cost a receiver about a tenth of an
    # envelope's checks (a handful of fields per envelope).
    if (_CONTROL_BUT_NEWLINE if multiline else _CONTROL).search(value):
        raise FieldError(name, "must not contain control characters")
    return value


def optional_text(obj: dict[str, Any], name: str, *, max_length: int = 1000) -> str | None:
    if obj.get(name) is None:
        return None
    return text(obj, name, max_length=max_length)


def integer(obj: dict[str, Any], name: str, *, low: int, high: int) -> int:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FieldError(name, f"must be an integer from {low} to {high}")
    return value


def boolean(obj: dict[str, Any], name: str) -> bool:
    value = obj.get(name)
    if not isinstance(value, bool):
        raise FieldError(name, "must be true or false")
    return value


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(
    obj: dict[str, Any], name: str, *, size: int | None = None, max_size: int = 1 << 20
) -> bytes:
    value = obj.get(name)
    if not isinstance(value, str):
        raise FieldError(name, "must be a base64 string")
    if len(value) > (max_size * 4) // 3 + 4:
        raise FieldError(name, f"is larger than {max_size} bytes")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise FieldError(name, "is not valid base64") from None
    if b64(raw) != value:
        raise FieldError(name, "is not canonical base64")
    if size is not None and len(raw) != size:
        raise FieldError(name, f"must be {size} bytes")
    return raw


def hex_text(obj: dict[str, Any], name: str, *, length: int) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or len(value) != length or not _HEX.match(value):
        raise FieldError(name, f"must be {length} lower-case hex digits")
    return value


def format_time(at: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, to the microsecond when there is one."""
    if at.tzinfo is None:
        raise ValueError("federation times are timezone-aware")
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def time(obj: dict[str, Any], name: str) -> datetime:
    value = obj.get(name)
    if not isinstance(value, str) or not value.endswith("Z") or "T" not in value:
        raise FieldError(name, "must be an RFC 3339 UTC time such as 2026-11-23T12:00:00Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FieldError(name, f"{value!r} is not an RFC 3339 time") from None
    if format_time(parsed) != value:
        raise FieldError(name, f"{value!r} is not in canonical form ({format_time(parsed)})")
    return parsed


def optional_time(obj: dict[str, Any], name: str) -> datetime | None:
    if obj.get(name) is None:
        return None
    return time(obj, name)


def origin(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not _ORIGIN.match(value):
        raise FieldError(
            name, "must be a node origin: letters, digits and . _ : / -, at most 200 characters"
        )
    return value


def check_origin(value: str) -> str:
    return origin({"origin": value}, "origin")


def state(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not _STATE.match(value):
        raise FieldError(name, "must be an ISO 3166-1 alpha-3 code such as AUT")
    return value
