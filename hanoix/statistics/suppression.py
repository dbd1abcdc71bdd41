"""Small-cell suppression of a table with published totals, and its complement.

A count under the threshold (default 5) could point at a case: one refusal of one kind from
one State is one person's file. Such a cell is withheld and shown as ``<5`` (primary
suppression). Withholding it alone is not enough when the table publishes totals: the row
total minus the other cells of the row gives it back. So every line of the table (each row
with its total, each column with its total, the row totals with the grand total, the column
totals with the grand total) must hold no withheld cell that the line's sum pins to one value.
Further cells are withheld until none does (complementary suppression), shown as ``x``.

What a reader knows of a withheld cell is its marker: ``<5`` is 1 to threshold - 1, ``x`` is
0 or at least the threshold (a complement is never a small count: those are withheld already).
A line is safe when, from its sum and those ranges, no withheld cell has a single possible
value. Zeros are shown (a zero names nobody) and are taken as complements only when nothing
else is left, since a zero complement with one small cell would still pin it.

Each line is protected on its own, as the usual rule does; then all the lines together, twice
over: by propagating every withheld cell's bounds through every line until they settle, and by
Gaussian elimination of the lines' equations (a cell that a combination of sums fixes by
itself); more is withheld while either finds a cell with a single possible value other than
zero (a withheld zero worked out gives nothing away: zeros are shown). Neither is a full
integer audit: a system of lines that needs both at once could still narrow a cell further,
which docs/statistics.md states; tests/statistics/test_suppression.py holds the result to an
exhaustive search of every value the withheld cells could take, on small tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

#: Shown in place of a count withheld because it was small (the threshold is filled in).
SMALL = "<{threshold}"
#: Shown in place of a count withheld so that a small one cannot be worked out.
COMPLEMENT = "x"

Cell = int | str
"""A published cell: the count, or the marker that replaces it."""

_INFINITY = float("inf")


class Mark(Enum):
    SHOWN = 0
    SMALL = 1
    COMPLEMENT = 2


@dataclass(frozen=True)
class Suppressed:
    """A table after suppression: ``cells[r][c]``, ``row_totals[r]``, ``column_totals[c]`` and
    ``total``, each a count or a marker; ``withheld`` counts the cells replaced by a marker
    (small ones and complements, totals included)."""

    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    column_totals: tuple[Cell, ...]
    total: Cell
    small: int
    complements: int


def suppress(matrix: Sequence[Sequence[int]], threshold: int = 5) -> Suppressed:
    """Suppress ``matrix`` (rows of counts, every row as long) and its totals.

    Deterministic: among candidates for a complement, the smallest count wins, then the first
    in reading order (rows, then columns, totals last), so a report is the same each time.
    """
    if threshold < 1:
        raise ValueError("the threshold is at least 1")
    rows = len(matrix)
    columns = len(matrix[0]) if rows else 0
    if any(len(row) != columns for row in matrix):
        raise ValueError("every row of a table has as many cells")
    # Every published number, by position: inner cells (r, c), row totals (r, -1), column
    # totals (-1, c), the grand total (-1, -1).
    value: dict[tuple[int, int], int] = {}
    for r, row in enumerate(matrix):
        for c, count in enumerate(row):
            if count < 0:
                raise ValueError("a count is never negative")
            value[(r, c)] = count
        value[(r, -1)] = sum(row)
    for c in range(columns):
        value[(-1, c)] = sum(matrix[r][c] for r in range(rows))
    value[(-1, -1)] = sum(value[(r, -1)] for r in range(rows))
    # Each line: its members, with +1 for the parts and -1 for the total they add up to.
    lines: list[list[tuple[tuple[int, int], int]]] = []
    for r in range(rows):
        lines.append([*(((r, c), 1) for c in range(columns)), ((r, -1), -1)])
    for c in range(columns):
        lines.append([*(((r, c), 1) for r in range(rows)), ((-1, c), -1)])
    lines.append([*(((r, -1), 1) for r in range(rows)), ((-1, -1), -1)])
    lines.append([*(((-1, c), 1) for c in range(columns)), ((-1, -1), -1)])

    mark = {
        position: Mark.SMALL if 0 < count < threshold else Mark.SHOWN
        for position, count in value.items()
    }
    while True:
        # Each line on its own first (the usual rule), then every line together.
        changed = True
        while changed:
            changed = False
            for line in lines:
                while _pinned(line, value, mark, threshold):
                    candidate = _complement(line, value, mark)
                    if candidate is None:
                        break  # every member is withheld already: this line pins nothing
                    mark[candidate] = Mark.COMPLEMENT
                    changed = True
        pinned = _pinned_jointly(lines, value, mark, threshold)
        if pinned is None:
            pinned = _determined(lines, value, mark)
        if pinned is None:
            break
        # A complement in a line through the pinned cell; when each of those is withheld
        # whole, in any line with something shown (the totals), until nothing pins it.
        through = [line for line in lines if any(p == pinned for p, _ in line)]
        candidate = None
        for line in through + [line for line in lines if line not in through]:
            candidate = _complement(line, value, mark)
            if candidate is not None:
                break
        if candidate is None:
            break  # everything is withheld
        mark[candidate] = Mark.COMPLEMENT

    def shown(position: tuple[int, int]) -> Cell:
        if mark[position] is Mark.SMALL:
            return SMALL.format(threshold=threshold)
        if mark[position] is Mark.COMPLEMENT:
            return COMPLEMENT
        return value[position]

    return Suppressed(
        cells=tuple(tuple(shown((r, c)) for c in range(columns)) for r in range(rows)),
        row_totals=tuple(shown((r, -1)) for r in range(rows)),
        column_totals=tuple(shown((-1, c)) for c in range(columns)),
        total=shown((-1, -1)),
        small=sum(1 for m in mark.values() if m is Mark.SMALL),
        complements=sum(1 for m in mark.values() if m is Mark.COMPLEMENT),
    )


def _range(mark: Mark, threshold: int) -> tuple[float, float]:
    if mark is Mark.SMALL:
        return 1, threshold - 1
    return 0, _INFINITY  # a complement: 0 or at least the threshold; taken as the hull


def _pinned(
    line: list[tuple[tuple[int, int], int]],
    value: dict[tuple[int, int], int],
    mark: dict[tuple[int, int], Mark],
    threshold: int,
) -> bool:
    """Whether the line's sum leaves some withheld member of it a single possible value."""
    hidden = [(p, sign) for p, sign in line if mark[p] is not Mark.SHOWN]
    if not hidden:
        return False
    if len(hidden) == 1:
        return True
    # What the withheld members add up to (signed), known from the shown ones.
    known = -sum(sign * value[p] for p, sign in line if mark[p] is Mark.SHOWN)
    for position, sign in hidden:
        low_others = 0.0
        high_others = 0.0
        for other, other_sign in hidden:
            if other == position:
                continue
            low, high = _range(mark[other], threshold)
            if other_sign > 0:
                low_others += low
                high_others += high
            else:
                low_others -= high
                high_others -= low
        # sign * v = known - others  =>  v lies in this interval, within its own range.
        low_v, high_v = (known - high_others, known - low_others)
        if sign < 0:
            low_v, high_v = -high_v, -low_v
        own_low, own_high = _range(mark[position], threshold)
        if mark[position] is Mark.COMPLEMENT:
            # A complement is 0 or at least the threshold, never in between.
            options = [
                (max(low_v, 0), min(high_v, 0)),
                (max(low_v, threshold), min(high_v, _INFINITY)),
            ]
            possible = [(lo, hi) for lo, hi in options if lo <= hi]
            if len(possible) == 1 and possible[0][0] == possible[0][1]:
                return True
        elif max(low_v, own_low) == min(high_v, own_high):
            return True
    return False


def _pinned_jointly(
    lines: list[list[tuple[tuple[int, int], int]]],
    value: dict[tuple[int, int], int],
    mark: dict[tuple[int, int], Mark],
    threshold: int,
) -> tuple[int, int] | None:
    """The first withheld cell that the lines together pin to one value, or None.

    Bounds propagation: each withheld cell starts with what its marker says (1 to threshold -
    1, or 0 or at least the threshold), and every line narrows each of its withheld members
    from the bounds of the others, over and over until nothing narrows. A chain of lines (a
    column gives two cells' sum, a row bounds one of them) is caught that no line alone shows.
    """
    bounds: dict[tuple[int, int], tuple[float, float]] = {}
    for position, held in mark.items():
        if held is Mark.SHOWN:
            bounds[position] = (value[position], value[position])
        else:
            bounds[position] = _range(held, threshold)
    for _ in range(100):  # it settles in a few rounds; the bound only guards a pathological case
        narrowed = False
        for line in lines:
            for position, sign in line:
                if mark[position] is Mark.SHOWN:
                    continue
                low_rest = high_rest = 0.0
                for other, other_sign in line:
                    if other == position:
                        continue
                    low, high = bounds[other]
                    if other_sign > 0:
                        low_rest, high_rest = low_rest + low, high_rest + high
                    else:
                        low_rest, high_rest = low_rest - high, high_rest - low
                # sign * v + rest = 0
                low_v, high_v = -high_rest, -low_rest
                if sign < 0:
                    low_v, high_v = -high_v, -low_v
                old_low, old_high = bounds[position]
                low_v, high_v = max(old_low, low_v), min(old_high, high_v)
                if mark[position] is Mark.COMPLEMENT:
                    # A complement is 0 or at least the threshold, never in between.
                    if 1 <= low_v < threshold:
                        low_v = threshold
                    if 1 <= high_v < threshold:
                        high_v = 0
                if (low_v, high_v) != (old_low, old_high) and low_v <= high_v:
                    bounds[position] = (low_v, high_v)
                    narrowed = True
        if not narrowed:
            break
    for position, held in mark.items():
        low, high = bounds[position]
        # A complement worked out to be zero gives nothing away: zeros are shown anyway.
        if held is not Mark.SHOWN and low == high and high != 0:
            return position
    return None


#: A prime for the exact elimination below (arithmetic modulo it: no fractions to grow).
_PRIME = 2**61 - 1
#: Above this many withheld cells the elimination is skipped (its cost grows as the cube).
MAX_ELIMINATED = 150


def _determined(
    lines: list[list[tuple[tuple[int, int], int]]],
    value: dict[tuple[int, int], int],
    mark: dict[tuple[int, int], Mark],
) -> tuple[int, int] | None:
    """The first withheld non-zero cell that the lines' sums fix by themselves, or None.

    The lines are equations over the withheld cells; a cell is fixed when some combination of
    them leaves it alone (``b = (7 - e) - (5 - e)``: the chains bounds cannot follow). Gaussian
    elimination to reduced row echelon form, modulo a large prime: the cell is fixed exactly
    when its column has a pivot whose row holds nothing else.
    """
    hidden = [p for p, held in mark.items() if held is not Mark.SHOWN]
    if not hidden or len(hidden) > MAX_ELIMINATED:
        return None
    column = {p: i for i, p in enumerate(hidden)}
    rows: list[dict[int, int]] = []
    for line in lines:
        row = {column[p]: sign % _PRIME for p, sign in line if p in column}
        if row:
            rows.append(row)
    pivots: dict[int, dict[int, int]] = {}  # pivot column: its row (pivot entry 1)
    for row in rows:
        for col, pivot_row in pivots.items():
            factor = row.get(col)
            if factor:
                for c, v in pivot_row.items():
                    row[c] = (row.get(c, 0) - factor * v) % _PRIME
                row = {c: v for c, v in row.items() if v}
        if not row:
            continue
        lead = min(row)
        inverse = pow(row[lead], _PRIME - 2, _PRIME)
        row = {c: v * inverse % _PRIME for c, v in row.items()}
        for col, pivot_row in pivots.items():  # keep every pivot row reduced
            factor = pivot_row.get(lead)
            if factor:
                for c, v in row.items():
                    pivot_row[c] = (pivot_row.get(c, 0) - factor * v) % _PRIME
                pivots[col] = {c: v for c, v in pivot_row.items() if v}
        pivots[lead] = row
    for col, row in sorted(pivots.items()):
        position = hidden[col]
        if len(row) == 1 and value[position] != 0:
            return position
    return None


def _complement(
    line: list[tuple[tuple[int, int], int]],
    value: dict[tuple[int, int], int],
    mark: dict[tuple[int, int], Mark],
) -> tuple[int, int] | None:
    """The shown member of the line to withhold next: the smallest non-zero inner cell, then
    the line's total, then a zero."""
    shown = [(p, sign) for p, sign in line if mark[p] is Mark.SHOWN]
    parts = sorted((value[p], i) for i, (p, sign) in enumerate(shown) if sign > 0 and value[p])
    if parts:
        return shown[parts[0][1]][0]
    for position, sign in shown:
        if sign < 0:
            return position
    return shown[0][0] if shown else None
