"""Matches kept on a removal case: pure values and rules, no I/O (docs/content.md).

Each time content of one of the node's own cases is matched (``hanoix content match`` or
``POST /api/v1/content/match``), the case keeps a line of it: when, which signals matched, the
nearest distance, which list, and which account matched. Never the media, never its file name
(a path on someone's disk says more than it should), never who uploaded it to the platform:
the platform sends the file only, and the node knows nothing of its end user.

A platform may match thousands of uploads an hour, so a case keeps only its most recent
:data:`KEPT_PER_CASE` matches; its count of every match since it was opened is kept apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hanoix.content.cases import CASE_REF, MatchResult

#: How many matches a case keeps, the newest; older ones are dropped as new ones come.
KEPT_PER_CASE = 100


@dataclass(frozen=True)
class CaseMatch:
    """One piece of content matched against one case's entries in one list."""

    case: str
    list: str
    signals: tuple[str, ...]  # sorted: sha256, md5, pdq (any of them)
    distance: int  # the nearest: 0 for an exact digest, PDQ bits otherwise

    @property
    def case_number(self) -> int:
        found = CASE_REF.fullmatch(self.case)
        assert found is not None
        return int(found.group(1))


def case_matches(results: Iterable[MatchResult], own_list: str) -> list[CaseMatch]:
    """What to keep of ``results``: one line per file and case of the node's own list
    ``own_list`` (an imported list's entry names another node's case), with every signal that
    matched it and the nearest distance."""
    kept: list[CaseMatch] = []
    for result in results:
        by_case: dict[str, list[tuple[str, int]]] = {}
        for found in result.matches:
            if found.list == own_list and found.case and CASE_REF.fullmatch(found.case):
                by_case.setdefault(found.case, []).append((found.signal, found.distance))
        for case, signals in sorted(by_case.items()):
            kept.append(
                CaseMatch(
                    case,
                    own_list,
                    tuple(sorted({signal for signal, _ in signals})),
                    min(distance for _, distance in signals),
                )
            )
    return kept


@dataclass(frozen=True)
class KeptMatch:
    """A match as the case keeps it."""

    at: datetime
    list: str
    signals: tuple[str, ...]
    distance: int
    by: str  # the account that matched: a platform's integration, a case worker; never an end user
    reopened: bool  # whether it reopened a removed notice as a re-upload

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "list": self.list,
            "signals": list(self.signals),
            "distance": self.distance,
            "by": self.by,
            "reopened": self.reopened,
        }


@dataclass(frozen=True)
class MatchHistory:
    """A case's kept matches (the newest first) and how many there have been in all."""

    total: int
    kept: tuple[KeptMatch, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "kept": [m.as_dict() for m in self.kept],
            "kept_at_most": KEPT_PER_CASE,
        }
