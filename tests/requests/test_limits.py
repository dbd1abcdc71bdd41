"""The bounds on a request's free text (hanoix.requests.limits): each field's length, and the
whole request's size as it travels, with the exact problems a drafter is shown."""

from __future__ import annotations

import pytest

from hanoix.errors import InputError, Problem
from hanoix.requests.limits import (
    MAX_CONTENT_CHARS,
    MAX_CONTENT_ITEM_CHARS,
    MAX_CONTENT_ITEMS,
    MAX_LEGAL_BASIS_CHARS,
    MAX_PROCEEDING_CHARS,
    MAX_REQUEST_TEXT_BYTES,
    check_size,
    size_problems,
)


def test_the_bounds_are_those_docs_requests_md_lists() -> None:
    assert (MAX_CONTENT_CHARS, MAX_CONTENT_ITEMS, MAX_CONTENT_ITEM_CHARS) == (20_000, 200, 2_000)
    assert (MAX_PROCEEDING_CHARS, MAX_LEGAL_BASIS_CHARS) == (2_000, 2_000)
    assert MAX_REQUEST_TEXT_BYTES == 512 * 1024


def test_every_field_at_its_bound_fits() -> None:
    contents = {
        "facts": "x" * MAX_CONTENT_CHARS,
        "accounts": ["y" * MAX_CONTENT_ITEM_CHARS] * MAX_CONTENT_ITEMS,
    }
    assert size_problems(contents, "p" * MAX_PROCEEDING_CHARS, "b" * MAX_LEGAL_BASIS_CHARS) == []
    check_size(contents, None, None)


def test_each_field_one_past_its_bound_is_named_with_its_length() -> None:
    contents = {
        "facts": "x" * (MAX_CONTENT_CHARS + 1),
        "accounts": ["ok", "y" * (MAX_CONTENT_ITEM_CHARS + 1)],
        "identifiers": ["i"] * (MAX_CONTENT_ITEMS + 1),
        "flag": True,
    }
    problems = size_problems(
        contents, "p" * (MAX_PROCEEDING_CHARS + 1), "b" * (MAX_LEGAL_BASIS_CHARS + 1)
    )
    assert problems == [
        Problem("is 20001 characters; at most 20000", field="contents.facts"),
        Problem("item 1 is 2001 characters; at most 2000", field="contents.accounts"),
        Problem("has 201 items; at most 200", field="contents.identifiers"),
        Problem("is 2001 characters; at most 2000", field="proceeding"),
        Problem("is 2001 characters; at most 2000", field="legal_basis_other"),
    ]


def test_a_list_too_long_with_items_too_long_names_both() -> None:
    value = ["y" * (MAX_CONTENT_ITEM_CHARS + 1)] * (MAX_CONTENT_ITEMS + 1)
    problems = size_problems({"accounts": value}, None, None)
    assert problems[0] == Problem("has 201 items; at most 200", field="contents.accounts")
    assert len(problems) == 1 + MAX_CONTENT_ITEMS + 1
    assert problems[-1] == Problem(
        "item 200 is 2001 characters; at most 2000", field="contents.accounts"
    )


def _filler(total_bytes: int, parts: int) -> dict[str, str]:
    """Contents whose JSON as it travels is ``total_bytes`` bytes, none over its own bound."""
    each = MAX_CONTENT_CHARS - 10
    contents = {f"c{i}": "x" * each for i in range(parts)}
    used = sum(len(v) + 2 for v in contents.values()) + 2 + 2  # quotes, proceeding, legal basis
    contents["last"] = "x" * (total_bytes - used - 2)
    return contents


def test_the_whole_request_may_be_exactly_its_bound_in_bytes() -> None:
    contents = _filler(MAX_REQUEST_TEXT_BYTES, 26)
    assert size_problems(contents, None, None) == []


def test_one_byte_over_names_the_largest_field_and_both_sizes() -> None:
    contents = _filler(MAX_REQUEST_TEXT_BYTES + 1, 26)
    contents["c3"] = contents["c3"][:-1] + "é"  # two bytes in UTF-8: the largest field now
    contents["last"] = contents["last"][:-1]
    assert size_problems(contents, None, None) == [
        Problem(
            f"the request's text is {MAX_REQUEST_TEXT_BYTES + 1} bytes as it travels; at most "
            f"{MAX_REQUEST_TEXT_BYTES} fit in one message to the other State: shorten this "
            f"field ({MAX_CONTENT_CHARS - 10 + 3} bytes) or send the material as an evidence "
            "package",
            field="contents.c3",
        )
    ]


def test_the_proceeding_and_the_legal_basis_count_toward_the_whole() -> None:
    contents = _filler(MAX_REQUEST_TEXT_BYTES, 26)
    assert size_problems(contents, "p", None)[0].field == "contents.c0"
    assert size_problems(contents, None, "b")[0].field == "contents.c0"


def test_check_size_raises_with_the_first_problem_and_the_count_of_the_rest() -> None:
    too_long = "x" * (MAX_CONTENT_CHARS + 1)
    with pytest.raises(InputError) as raised:
        check_size({"facts": too_long, "summary": too_long}, None, None)
    assert raised.value.message == (
        "the request is too large to send: contents.facts: is 20001 characters; at most 20000 "
        "(and 1 more)"
    )
    assert [p.field for p in raised.value.problems] == ["contents.facts", "contents.summary"]
    with pytest.raises(InputError) as alone:
        check_size({}, "p" * (MAX_PROCEEDING_CHARS + 1), None)
    assert alone.value.message == (
        "the request is too large to send: proceeding: is 2001 characters; at most 2000"
    )
