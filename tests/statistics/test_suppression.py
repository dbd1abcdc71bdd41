"""Small-cell suppression and its complement: known answers, and no line left that pins a
withheld cell."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hanoix.statistics.suppression import suppress


def test_a_table_without_small_cells_is_shown_whole() -> None:
    result = suppress([[10, 20], [30, 0]])
    assert result.cells == ((10, 20), (30, 0))
    assert result.row_totals == (30, 30) and result.column_totals == (40, 20)
    assert result.total == 60 and result.small == 0 and result.complements == 0


def test_a_small_cell_takes_a_complement_in_its_row_and_its_column() -> None:
    # 3 alone would be row total 22 minus 12 minus 7: the smallest other count of its row (7)
    # is withheld too, then the column of each needs a second withheld cell: a rectangle.
    result = suppress([[12, 3, 7], [10, 20, 30]])
    assert result.cells == ((12, "<5", "x"), (10, "x", "x"))
    assert result.row_totals == (22, 60)
    assert result.column_totals == (22, 23, 37) and result.total == 82
    assert (result.small, result.complements) == (1, 3)


def test_a_small_total_is_withheld_and_its_parts_with_it() -> None:
    result = suppress([[1]])
    assert result.cells == (("<5",),) and result.row_totals == ("<5",)
    assert result.column_totals == ("<5",) and result.total == "<5"


def test_zeros_are_shown() -> None:
    assert suppress([[0, 0], [0, 0]]).cells == ((0, 0), (0, 0))


def test_a_complement_that_would_pin_the_small_cell_is_not_enough() -> None:
    # 1 + 5 = 6: "<5" is 1..4 and "x" is 0 or 5 and more, so with one complement the row says
    # the small cell is exactly 1. A second complement is needed.
    result = suppress([[1, 5, 9]], threshold=5)
    assert result.cells[0][0] == "<5"
    assert sum(1 for c in result.cells[0] if c == "x") + (result.row_totals[0] == "x") >= 2


def test_the_threshold_is_the_caller_s() -> None:
    assert suppress([[9, 12]], threshold=10).cells == (("<10", "x"),)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda rows: st.integers(1, 4).flatmap(
            lambda columns: st.lists(
                st.lists(st.integers(0, 12), min_size=columns, max_size=columns),
                min_size=rows,
                max_size=rows,
            )
        )
    )
)
def test_no_line_ever_holds_a_single_withheld_cell(matrix: list[list[int]]) -> None:
    result = suppress(matrix)
    hidden = {"<5", "x"}
    rows = [[*cells, total] for cells, total in zip(result.cells, result.row_totals, strict=True)]
    columns = [
        [*(row[c] for row in result.cells), result.column_totals[c]] for c in range(len(matrix[0]))
    ]
    margins = [[*result.row_totals, result.total], [*result.column_totals, result.total]]
    for line in rows + columns + margins:
        assert sum(1 for c in line if c in hidden) != 1, (matrix, result)
    # And every count shown is the true one.
    for r, row in enumerate(matrix):
        for c, count in enumerate(row):
            assert result.cells[r][c] in hidden or result.cells[r][c] == count
            if 0 < count < 5:
                assert result.cells[r][c] == "<5"


def test_a_ragged_table_is_refused() -> None:
    with pytest.raises(ValueError, match="as many cells"):
        suppress([[1, 2], [3]])


def _possible_values(
    matrix: list[list[int]], threshold: int = 5
) -> dict[tuple[int, int], set[int]]:
    """Every value each withheld inner cell can take, by trying every assignment the markers
    allow against every published number (an exhaustive search: small tables only)."""
    result = suppress(matrix, threshold)
    rows, columns = len(matrix), len(matrix[0])
    most = sum(map(sum, matrix))
    hidden = [
        (r, c) for r in range(rows) for c in range(columns) if result.cells[r][c] in ("<5", "x")
    ]

    def allowed(marker: object, total: int) -> bool:
        if isinstance(marker, int):
            return total == marker
        return 1 <= total < threshold if marker == "<5" else total == 0 or total >= threshold

    domains = [
        range(1, threshold) if result.cells[r][c] == "<5" else [0, *range(threshold, most + 1)]
        for r, c in hidden
    ]
    possible: dict[tuple[int, int], set[int]] = {p: set() for p in hidden}
    for values in itertools.product(*domains):
        table = [list(row) for row in result.cells]
        for (r, c), v in zip(hidden, values, strict=True):
            table[r][c] = v
        sums_r = [sum(row) for row in table]  # type: ignore[arg-type]
        sums_c = [sum(table[r][c] for r in range(rows)) for c in range(columns)]  # type: ignore[misc]
        if (
            all(allowed(m, t) for m, t in zip(result.row_totals, sums_r, strict=True))
            and all(allowed(m, t) for m, t in zip(result.column_totals, sums_c, strict=True))
            and allowed(result.total, sum(sums_r))
        ):
            for position, v in zip(hidden, values, strict=True):
                possible[position].add(v)
    return possible


@pytest.mark.parametrize(
    "matrix",
    [
        # Each of these gave a cell away, through a chain of lines, when each line was
        # protected on its own only.
        [[4, 3], [5, 8], [3, 1]],
        [[12, 5], [3, 1], [0, 6]],
        [[3, 1], [0, 1], [0, 2]],
        [[3, 4], [1, 3]],
        [[3, 0], [5, 12], [0, 4]],
    ],
)
def test_no_withheld_cell_can_be_worked_out_from_all_the_lines_together(
    matrix: list[list[int]],
) -> None:
    possible = _possible_values(matrix)
    # A withheld zero may be worked out (zeros are shown anyway); nothing else may.
    assert possible and all(len(v) > 1 or v == {0} for v in possible.values()), possible
