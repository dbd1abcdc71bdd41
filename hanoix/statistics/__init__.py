"""Statistics for the Conference of the States Parties (Art. 57, which reviews implementation:
recalled, its existence verified from a secondary source; Art. 55, sharing statistics:
recalled; FACTS.md §8) and issue 17: pure, no I/O.

:mod:`.facts` are what a node counts, :mod:`.suppression` withholds the small cells and their
complements, :mod:`.privacy` adds OpenDP's noise when a State asks for it, :mod:`.report`
builds the report's body and :mod:`.charts` draws it. Signing is the federation's
(:mod:`hanoix.federation.statistics`); reading the facts from the store is the service's
(:mod:`hanoix.services.statistics`).
"""

from hanoix.statistics.facts import (
    ContentCount,
    Direction,
    Durations,
    Facts,
    Fate,
    GroundCount,
    Measure,
    NoticeCount,
    Outcome,
    PreservationCount,
    RequestCount,
    outcome_of,
    preservation_fate,
)
from hanoix.statistics.report import (
    DEFAULT_THRESHOLD,
    REPORT_FORMAT,
    Privacy,
    build_report,
    cell,
    check_period,
    quantile,
    table,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "REPORT_FORMAT",
    "ContentCount",
    "Direction",
    "Durations",
    "Facts",
    "Fate",
    "GroundCount",
    "Measure",
    "NoticeCount",
    "Outcome",
    "PreservationCount",
    "Privacy",
    "RequestCount",
    "build_report",
    "cell",
    "check_period",
    "outcome_of",
    "preservation_fate",
    "quantile",
    "table",
]
