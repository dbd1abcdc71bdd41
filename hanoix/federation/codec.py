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

import rfc8785

_ORIGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$")
_STATE = re.compile(r"^[A-Z]{3}$")
_HEX = re.compile(r"^[0-9a-f]+$")


class FieldError(ValueError):
    """One malformed field: the message says what is wrong with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


_SAFE_INTEGER = 2**53 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")


def _plain(value: Any) -> bool:
    """Whether ``json.dumps`` with sorted keys writes ``value`` exactly as RFC 8785 does.

    It does for null, booleans, integers of the safe range, strings without surrogates, and
    arrays and objects of those whose keys sort the same by code point as by UTF-16 code unit
    (true below U+D800). Floats, subclasses (enums) and anything else go the long way."""
    kind = type(value)
    if kind is str:
        return _SURROGATE.search(value) is None
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or max(key) < "\ud800"):
                return False
            if not _plain(item):
                return False
        return True
    if kind is list:
        return all(_plain(item) for item in value)
    if kind is int:
        return bool(-_SAFE_INTEGER <= value <= _SAFE_INTEGER)
    return value is None or kind is bool


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON of ``value``.

    Every envelope, receipt and signature check canonicalises several times, and the pure
    Python ``rfc8785`` costs about 80 us a time here: values ``json.dumps`` writes identically
    (nearly all of them) take its C encoder instead; the rest, and every error, stay with
    ``rfc8785``. tests/federation/test_codec_canonical.py holds the two to the same bytes."""
    if _plain(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return bytes(rfc8785.dumps(value))


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


def text(obj: dict[str, Any], name: str, *, max_length: int = 1000, multiline: bool = False) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise FieldError(name, f"must be a non-empty string of at most {max_length} characters")
    if any(ord(ch) < 0x20 and not (multiline and ch == "\n") for ch in value):
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
