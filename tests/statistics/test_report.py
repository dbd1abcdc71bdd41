"""The report's body from plain facts: tables, quantiles, withheld times, the protection it
states, the period's checks and OpenDP's noise."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hanoix.errors import InputError
from hanoix.statistics import (
    Direction,
    Durations,
    Facts,
    Measure,
    Outcome,
    RequestCount,
    build_report,
    cell,
    quantile,
    table,
)
from hanoix.statistics.facts import Fate, preservation_fate
from hanoix.statistics.privacy import check_epsilon, laplace_noise

AT = datetime(2026, 12, 1, tzinfo=UTC)


def _facts(**more: object) -> Facts:
    return Facts(start=date(2026, 1, 1), end=date(2026, 12, 31), **more)  # type: ignore[arg-type]


def _report(facts: Facts, **options: object) -> dict[str, object]:
    return build_report(facts, state="AUT", origin="aut.example", generated_at=AT, **options)  # type: ignore[arg-type]


def test_quantiles_interpolate_between_ranks() -> None:
    assert quantile([4, 1, 3, 2], 0.5) == 2.5
    assert quantile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert quantile([7], 0.9) == 7


def test_an_empty_period_gives_an_empty_report_that_says_its_protection() -> None:
    report = _report(_facts())
    assert report["period"] == {"from": "2026-01-01", "to": "2026-12-31"}
    counterparts = table(report, "counterparts")
    assert counterparts["rows"] == [] and counterparts["total"] == 0
    assert report["protection"]["small_cells"]["threshold"] == 5  # type: ignore[index]
    assert report["protection"]["differential_privacy"] is None  # type: ignore[index]
    assert report["timings"]["all"]["execution"]["sent"]["n"] == 0  # type: ignore[index]


def test_times_of_fewer_requests_than_the_threshold_are_withheld() -> None:
    hours = [3600.0 * h for h in (1, 2, 3, 4)]
    few = Durations(Direction.RECEIVED, Measure.ACKNOWLEDGEMENT, tuple(hours))
    report = _report(_facts(durations=(few,)))
    assert report["timings"]["all"]["acknowledgement"]["received"] == {  # type: ignore[index]
        "n": "<5",
        "median_hours": None,
        "p90_hours": None,
    }
    enough = Durations(Direction.RECEIVED, Measure.ACKNOWLEDGEMENT, (*hours, 3600.0 * 10))
    report = _report(_facts(durations=(enough,)))
    assert report["timings"]["all"]["acknowledgement"]["received"] == {  # type: ignore[index]
        "n": 5,
        "median_hours": 3.0,
        "p90_hours": 7.6,
    }
    # Not through the 24/7 network: not in its times.
    assert report["timings"]["contact_24_7"]["acknowledgement"]["received"]["n"] == 0  # type: ignore[index]


def test_an_inverted_or_too_long_period_is_refused() -> None:
    with pytest.raises(InputError, match="before it starts"):
        _report(Facts(start=date(2026, 2, 1), end=date(2026, 1, 1)))
    with pytest.raises(InputError, match="at most"):
        _report(Facts(start=date(2020, 1, 1), end=date(2026, 1, 1)))


def test_a_preservation_s_fate() -> None:
    end = datetime(2026, 6, 1, tzinfo=UTC)
    before, after = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    assert preservation_fate(end, before, after) is Fate.FOLLOWED_UP_IN_TIME
    assert preservation_fate(end, after, after) is Fate.LAPSED
    assert preservation_fate(end, None, before) is Fate.OPEN
    assert preservation_fate(None, None, after) is Fate.OPEN


def _by_state() -> Facts:
    return _facts(
        requests=tuple(
            RequestCount(Direction.SENT, "mla", state, Outcome.EXECUTED, n)
            for state, n in (("VNM", 40), ("ZAF", 25), ("NGA", 70))
        )
    )


def test_differential_privacy_is_stated_and_noises_only_the_counts_by_state() -> None:
    # Threshold 1: the noisy zeros of the received column would otherwise be withheld.
    report = _report(_by_state(), privacy=laplace_noise(1.0), threshold=1)
    stated = report["protection"]["differential_privacy"]  # type: ignore[index]
    assert stated["epsilon"] == 1.0 and stated["library"] == "opendp 0.16.0"
    assert stated["tables"] == ["counterparts"]
    assert table(report, "counterparts")["noisy"] is True
    assert table(report, "outcomes_sent")["noisy"] is False
    assert cell(report, "outcomes_sent", "mla", "executed") == 135  # exact: not noised
    noisy = [cell(report, "counterparts", s, "sent") for s in ("NGA", "VNM", "ZAF")]
    assert all(isinstance(n, int) and n >= 0 for n in noisy)
    # The noise has scale 1/ε: at ε = 1 the three counts cannot all stray by 30.
    assert sum(abs(n - t) for n, t in zip(noisy, (70, 40, 25), strict=True)) < 90  # type: ignore[operator]


def test_the_noise_is_opendp_s_and_varies() -> None:
    privacy = laplace_noise(0.1)
    draws = {tuple(privacy.noise([100, 100, 100])) for _ in range(5)}
    assert len(draws) > 1


@pytest.mark.parametrize("epsilon", [0.0, -1.0, 11.0, float("nan"), float("inf")])
def test_an_epsilon_out_of_range_is_refused(epsilon: float) -> None:
    with pytest.raises(InputError, match="epsilon must be"):
        check_epsilon(epsilon)


def test_removal_notices_are_counted_by_where_they_stand_and_whom_they_asked() -> None:
    from hanoix.content.notices import NoticeState, RecipientKind
    from hanoix.statistics import NoticeCount
    from hanoix.statistics.report import NOTICE_RECIPIENTS, NOTICE_STATES

    # The report writes the states and recipients out; they are hanoix.content's.
    assert tuple(s.value for s in NoticeState) == NOTICE_STATES
    assert tuple(r.value for r in RecipientKind) == NOTICE_RECIPIENTS
    notices = (
        NoticeCount("provider", "removed", 12),
        NoticeCount("provider", "sent", 7),
        NoticeCount("state", "refused", 2),
        NoticeCount("provider", "refused", 6),
    )
    report = _report(_facts(notices=notices))
    found = table(report, "content_notices")
    assert found["columns"] == ["provider", "state"]
    assert [row["label"] for row in found["rows"]] == list(NOTICE_STATES)
    assert cell(report, "content_notices", "removed", "provider") == 12
    # Two refusals asked of States: withheld, and more cells with them, so that no total
    # gives them away.
    assert cell(report, "content_notices", "refused", "state") == "<5"
    assert found["withheld"]["small"] >= 1 and found["withheld"]["complements"] >= 1
