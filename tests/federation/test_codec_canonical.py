"""The canonical JSON every signature covers: the fast path writes exactly what RFC 8785 says,
and whatever it cannot write identically is left to ``rfc8785`` (errors included)."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from hanoix.federation import codec

# Keys and strings from the whole of Unicode, surrogates included, so that the UTF-16 order of
# keys, the escapes of control characters and the refusal of lone surrogates are all drawn.
_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _TEXT
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=25,
)


def _reference(value: Any) -> bytes | type[Exception]:
    try:
        return bytes(rfc8785.dumps(value))
    except ValueError as exc:  # rfc8785's own errors, and UnicodeEncodeError for a bad key
        return type(exc)


def _ours(value: Any) -> bytes | type[Exception]:
    try:
        return codec.canonical(value)
    except ValueError as exc:  # rfc8785's own errors, and UnicodeEncodeError for a bad key
        return type(exc)


@settings(max_examples=600, deadline=None)
@given(_VALUES)
def test_canonical_is_byte_for_byte_rfc8785_or_its_error(value: Any) -> None:
    assert _ours(value) == _reference(value)


@pytest.mark.parametrize(
    "value",
    [
        # Keys that sort differently by code point and by UTF-16 code unit.
        {"\U0001f600": 1, "\uffff": 2, "a": 3},
        {"é": '\x00\x1f\x7f\u2028"\\'},
        {"big": 2**53 - 1, "small": -(2**53) + 1},
        [True, False, None, 0, -0, 1.0, 1e21, 1e-7],
    ],
)
def test_values_at_the_edges_of_the_fast_path_match(value: Any) -> None:
    assert codec.canonical(value) == bytes(rfc8785.dumps(value))


def test_enums_are_written_as_rfc8785_writes_them() -> None:
    class Colour(StrEnum):
        RED = "red"

    class Size(IntEnum):
        LARGE = 3

    value = {"colour": Colour.RED, "size": Size.LARGE}
    assert codec.canonical(value) == bytes(rfc8785.dumps(value))


@pytest.mark.parametrize("value", [2**53, -(2**53), "\ud800", {"k": float("nan")}])
def test_what_rfc8785_refuses_is_refused_the_same_way(value: Any) -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        codec.canonical(value)
