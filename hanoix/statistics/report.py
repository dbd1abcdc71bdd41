"""A statistics report: the facts of one period as tables a State can publish.

:func:`build_report` is pure: the same facts, options and time give the same report (the
optional noise of differential privacy comes from :mod:`hanoix.statistics.privacy`, passed in).
The report's body is plain JSON; its canonical form is what the node signs
(:mod:`hanoix.federation.statistics`).

Tables (docs/statistics.md says what each counts):

* ``outcomes_sent`` / ``outcomes_received``: requests by kind (rows) and outcome (columns);
* ``counterparts``: requests by counterpart State (rows), sent and received (columns);
* ``refusal_grounds``: refusals by coded ground, sent and received (one refusal may cite
  several grounds, so the column is not a count of requests);
* ``preservations``: preservations by fate, sent and received;
* ``content_cases``: content-removal cases opened, by article.
* ``content_notices``: removal notices sent in the period, by where they stand (when the report
  is made) and whether a service provider or a State was asked.

Every table is suppressed (:mod:`hanoix.statistics.suppression`); times are given only when
at least ``threshold`` requests were measured.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hanoix.errors import InputError
from hanoix.statistics.facts import Direction, Facts, Fate, Measure, Outcome
from hanoix.statistics.suppression import Cell, suppress

#: The format of a report's body; a reader refuses any other.
REPORT_FORMAT = "hanoix-statistics/1"
DEFAULT_THRESHOLD = 5
MAX_THRESHOLD = 100
#: The longest period one report covers (a report is made for a year or part of one; two
#: years leave room for a Conference's reporting cycle).
MAX_DAYS = 2 * 366

#: Where a removal notice can stand, in the order of its life (hanoix.content.notices, written
#: out so that a report does not load content hashing; a test holds the two equal).
NOTICE_STATES = ("sent", "acknowledged", "removed", "refused", "reuploaded")
#: Whom a notice asks: a service provider, or another State.
NOTICE_RECIPIENTS = ("provider", "state")

DIRECTIONS = (Direction.SENT, Direction.RECEIVED)
OUTCOMES = tuple(Outcome)
FATES = tuple(Fate)
MEASURES = tuple(Measure)

Noise = Callable[[Sequence[int]], list[int]]
"""Differential privacy: noisy counts for a vector of counts (see :mod:`.privacy`)."""


@dataclass(frozen=True)
class Privacy:
    """Differential privacy of the counts by counterpart State: the stated ``epsilon`` and the
    ``noise`` that achieves it (built by :func:`hanoix.statistics.privacy.laplace_noise`)."""

    epsilon: float
    noise: Noise
    mechanism: str
    library: str


def check_period(start: date, end: date) -> None:
    """A report covers ``start`` to ``end``, both included, at most :data:`MAX_DAYS` days."""
    if end < start:
        raise InputError(
            f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()}): "
            "give --from before --to"
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise InputError(
            f"the period spans {(end - start).days + 1} days; a report covers at most "
            f"{MAX_DAYS}: split it"
        )


def check_threshold(threshold: int) -> None:
    if not 1 <= threshold <= MAX_THRESHOLD:
        raise InputError(f"the small-cell threshold must be 1 to {MAX_THRESHOLD}, not {threshold}")


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q``-quantile of ``values`` by linear interpolation between the closest ranks
    (the "inclusive" method: the median of 1, 2, 3, 4 is 2.5, its 90th percentile 3.7)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 1)


def _table(
    name: str,
    rows: Sequence[str],
    columns: Sequence[str],
    counts: Mapping[tuple[str, str], int],
    threshold: int,
    *,
    noisy: bool = False,
) -> dict[str, Any]:
    matrix = [[counts.get((row, column), 0) for column in columns] for row in rows]
    result = suppress(matrix, threshold)
    return {
        "name": name,
        "columns": list(columns),
        "rows": [
            {"label": row, "cells": list(cells), "total": total}
            for row, cells, total in zip(rows, result.cells, result.row_totals, strict=True)
        ],
        "column_totals": list(result.column_totals),
        "total": result.total,
        "withheld": {"small": result.small, "complements": result.complements},
        "noisy": noisy,
    }


def _timing(seconds: Iterable[float], threshold: int) -> dict[str, Any]:
    values = list(seconds)
    if len(values) < threshold:
        # As few as that could be one case's times: neither the count nor the times.
        return {"n": f"<{threshold}" if values else 0, "median_hours": None, "p90_hours": None}
    return {
        "n": len(values),
        "median_hours": _hours(quantile(values, 0.5)),
        "p90_hours": _hours(quantile(values, 0.9)),
    }


def build_report(
    facts: Facts,
    *,
    state: str,
    origin: str,
    generated_at: datetime,
    threshold: int = DEFAULT_THRESHOLD,
    privacy: Privacy | None = None,
) -> dict[str, Any]:
    """The report's body (JSON-ready) for ``facts``, made by the node ``origin`` of ``state``."""
    check_period(facts.start, facts.end)
    check_threshold(threshold)
    by_outcome: dict[Direction, Counter[tuple[str, str]]] = {d: Counter() for d in DIRECTIONS}
    by_counterpart: Counter[tuple[str, str]] = Counter()
    kinds: set[str] = set()
    states: set[str] = set()
    for fact in facts.requests:
        by_outcome[fact.direction][(fact.kind, fact.outcome.value)] += fact.count
        by_counterpart[(fact.counterpart, fact.direction.value)] += fact.count
        kinds.add(fact.kind)
        states.add(fact.counterpart)
    directions = [d.value for d in DIRECTIONS]
    tables: list[dict[str, Any]] = []
    for direction in DIRECTIONS:
        tables.append(
            _table(
                f"outcomes_{direction.value}",
                sorted(kinds),
                [o.value for o in OUTCOMES],
                by_outcome[direction],
                threshold,
            )
        )
    counterparts = sorted(states)
    noisy = False
    if privacy is not None and counterparts:
        flat = [by_counterpart[(s, d)] for s in counterparts for d in directions]
        released = privacy.noise(flat)
        by_counterpart = Counter(
            {
                (s, d): max(0, released[i * len(directions) + j])
                for i, s in enumerate(counterparts)
                for j, d in enumerate(directions)
            }
        )
        noisy = True
    tables.append(
        _table("counterparts", counterparts, directions, by_counterpart, threshold, noisy=noisy)
    )
    grounds: Counter[tuple[str, str]] = Counter()
    for ground in facts.grounds:
        grounds[(ground.ground, ground.direction.value)] += ground.count
    tables.append(
        _table("refusal_grounds", sorted({g for g, _ in grounds}), directions, grounds, threshold)
    )
    fates: Counter[tuple[str, str]] = Counter()
    for preservation in facts.preservations:
        fates[(preservation.fate.value, preservation.direction.value)] += preservation.count
    tables.append(_table("preservations", [f.value for f in FATES], directions, fates, threshold))
    content: Counter[tuple[str, str]] = Counter()
    for case in facts.content:
        content[(f"Art. {case.article}", "cases")] += case.count
    tables.append(
        _table(
            "content_cases",
            sorted({a for a, _ in content}, key=lambda a: int(a.split()[-1])),
            ["cases"],
            content,
            threshold,
        )
    )
    notices: Counter[tuple[str, str]] = Counter()
    for notice in facts.notices:
        notices[(notice.state, notice.recipient)] += notice.count
    tables.append(
        _table("content_notices", list(NOTICE_STATES), list(NOTICE_RECIPIENTS), notices, threshold)
    )
    timings: dict[str, Any] = {}
    for scope, contact in (("all", False), ("contact_24_7", True)):
        measured: dict[tuple[Direction, Measure], list[float]] = {}
        for durations in facts.durations:
            if contact and not durations.contact_24_7:
                continue
            key = (durations.direction, durations.measure)
            measured.setdefault(key, []).extend(durations.seconds)
        timings[scope] = {
            measure.value: {
                direction.value: _timing(measured.get((direction, measure), ()), threshold)
                for direction in DIRECTIONS
            }
            for measure in MEASURES
        }
    protection: dict[str, Any] = {
        "small_cells": {
            "threshold": threshold,
            "shown_as": f"<{threshold}",
            "complementary": "x",
        },
        "differential_privacy": None,
    }
    if privacy is not None:
        protection["differential_privacy"] = {
            "tables": ["counterparts"],
            "epsilon": privacy.epsilon,
            "mechanism": privacy.mechanism,
            "library": privacy.library,
        }
    return {
        "format": REPORT_FORMAT,
        "state": state,
        "origin": origin,
        "period": {"from": facts.start.isoformat(), "to": facts.end.isoformat()},
        "generated_at": generated_at.isoformat().replace("+00:00", "Z"),
        "protection": protection,
        "tables": tables,
        "timings": timings,
    }


def table(report: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The table ``name`` of a report's body."""
    for found in report["tables"]:
        if found["name"] == name:
            return dict(found)
    raise KeyError(name)


def cell(report: Mapping[str, Any], name: str, row: str, column: str) -> Cell:
    """One cell of one table, by its row and column labels."""
    found = table(report, name)
    position = found["columns"].index(column)
    for line in found["rows"]:
        if line["label"] == row:
            value: Cell = line["cells"][position]
            return value
    raise KeyError(row)
