"""Pages of the removal desk's lists: walking the cursors gives every row once, in order,
whatever the page size; a cursor of another list, or altered, is refused saying so."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hanoix.content.pages import MAX_PAGE, NO_DEADLINE, instant, page_of
from hanoix.errors import InputError

Row = tuple[float, float, float]


def _key(row: Row) -> tuple[float, ...]:
    return row


def _walk(rows: list[Row], limit: int) -> list[Row]:
    seen: list[Row] = []
    cursor = None
    for _ in range(len(rows) + 2):
        page = page_of(rows, _key, kind="cases", limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        seen += page.items
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
    raise AssertionError("the pages never ended")


@given(
    st.sets(
        st.tuples(
            st.sampled_from([0.0, 1.0]),
            st.floats(0, 2e9, allow_nan=False) | st.just(NO_DEADLINE),
            st.integers(-(10**6), 0).map(float),
        ),
        max_size=40,
    ),
    st.integers(1, 7),
)
def test_walking_the_pages_gives_every_row_once_in_order(rows: set[Row], limit: int) -> None:
    ordered = sorted(rows)
    assert _walk(list(rows), limit) == ordered


def test_a_row_added_meanwhile_does_not_shift_the_next_page() -> None:
    rows: list[Row] = [(0.0, 1.0, -3.0), (0.0, 2.0, -2.0), (1.0, NO_DEADLINE, -1.0)]
    first = page_of(rows, _key, kind="cases", limit=2, cursor=None)
    rows.append((0.0, 0.5, -4.0))  # sorts before the page already shown
    second = page_of(rows, _key, kind="cases", limit=2, cursor=first.next_cursor)
    assert second.items == [(1.0, NO_DEADLINE, -1.0)] and second.next_cursor is None


def test_a_foreign_or_altered_cursor_and_a_bad_limit_are_refused() -> None:
    rows: list[Row] = [(0.0, 1.0, -1.0), (0.0, 2.0, -2.0)]
    cursor = page_of(rows, _key, kind="notices", limit=1, cursor=None).next_cursor
    assert cursor is not None
    for bad in (cursor, cursor[:-2], "!!", "W10", "WyJjYXNlcyIsdHJ1ZV0"):
        with pytest.raises(InputError, match="cursor") as refused:
            page_of(rows, _key, kind="cases", limit=1, cursor=bad)
        assert [p.field for p in refused.value.problems] == ["cursor"]
    for limit in (0, MAX_PAGE + 1):
        with pytest.raises(InputError, match="limit"):
            page_of(rows, _key, kind="cases", limit=limit, cursor=None)
    assert instant(None) == NO_DEADLINE
