"""The facts of a statistics report, read by aggregate queries on SQLite and PostgreSQL,
against the seeded history of tests/statistics/history.py."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hanoix.statistics import Direction, Fate, Measure, Outcome, build_report, cell, table
from hanoix.store import migrate
from hanoix.store.statistics import read_facts
from tests.statistics.history import NOW, seed

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def _facts(engine: Engine):  # type: ignore[no-untyped-def]
    migrate.upgrade(engine)
    with Session(engine) as session:
        seed(session)
        session.commit()
        return read_facts(session, "AUT", *YEAR, NOW)


def test_the_facts_count_each_request_once_by_direction_kind_state_and_outcome(
    engine: Engine,
) -> None:
    facts = _facts(engine)
    counts = {(f.direction, f.kind, f.counterpart, f.outcome): f.count for f in facts.requests}
    assert counts == {
        (Direction.SENT, "mla", "VNM", Outcome.EXECUTED): 6,
        (Direction.SENT, "mla", "ZAF", Outcome.REFUSED): 3,
        (Direction.SENT, "preservation", "VNM", Outcome.WITHDRAWN): 1,
        (Direction.RECEIVED, "preservation", "VNM", Outcome.EXECUTED): 7,
        (Direction.RECEIVED, "mla", "VNM", Outcome.PENDING): 4,
    }
    assert [(g.direction, g.ground, g.count) for g in facts.grounds] == [
        (Direction.SENT, "political-offence", 3)
    ]
    fates = {(p.direction, p.fate): p.count for p in facts.preservations}
    assert fates == {
        (Direction.SENT, Fate.OPEN): 1,  # withdrawn before anything was preserved
        (Direction.RECEIVED, Fate.FOLLOWED_UP_IN_TIME): 4,
        (Direction.RECEIVED, Fate.LAPSED): 2,
        (Direction.RECEIVED, Fate.OPEN): 1,
    }
    assert [(c.article, c.count) for c in facts.content] == [(14, 2), (16, 6)]
    hours = {
        (d.direction, d.measure, d.contact_24_7): sorted({round(s / 3600, 3) for s in d.seconds})
        for d in facts.durations
    }
    assert hours[(Direction.SENT, Measure.ACKNOWLEDGEMENT, False)] == [2.0]
    assert hours[(Direction.SENT, Measure.EXECUTION, False)] == [240.0]
    assert hours[(Direction.SENT, Measure.FIRST_ANSWER, False)] == [120.0, 240.0]
    assert hours[(Direction.RECEIVED, Measure.ACKNOWLEDGEMENT, True)] == [1.0]


def test_a_period_before_the_history_has_no_facts_and_a_later_one_only_its_own(
    engine: Engine,
) -> None:
    migrate.upgrade(engine)
    with Session(engine) as session:
        seed(session)
        session.commit()
        empty = read_facts(session, "AUT", date(2024, 1, 1), date(2024, 12, 31), NOW)
        assert empty.requests == () and empty.durations == () and empty.content == ()
        late = read_facts(session, "AUT", date(2025, 12, 1), date(2025, 12, 31), NOW)
        assert [(f.kind, f.outcome, f.count) for f in late.requests] == [
            ("mla", Outcome.PENDING, 1)
        ]


def test_the_report_of_the_seeded_year_has_the_known_answers(engine: Engine) -> None:
    facts = _facts(engine)
    exact = build_report(facts, state="AUT", origin="aut.example", generated_at=NOW, threshold=1)
    assert cell(exact, "outcomes_sent", "mla", "refused") == 3
    assert cell(exact, "counterparts", "VNM", "received") == 11
    assert cell(exact, "preservations", "lapsed", "received") == 2
    assert exact["timings"]["contact_24_7"]["acknowledgement"]["received"] == {
        "n": 7,
        "median_hours": 1.0,
        "p90_hours": 1.0,
    }
    report = build_report(facts, state="AUT", origin="aut.example", generated_at=NOW)
    sent = table(report, "outcomes_sent")
    assert [(r["label"], r["cells"], r["total"]) for r in sent["rows"]] == [
        ("mla", ["x", 0, "<5", 0, 0], "x"),
        ("preservation", [0, 0, 0, "<5", 0], "<5"),
    ]
    assert sent["column_totals"] == ["x", 0, "<5", "<5", 0] and sent["total"] == 10
    assert cell(report, "content_cases", "Art. 14", "cases") == "<5"
    assert cell(report, "content_cases", "Art. 16", "cases") == "x"
    assert report["timings"]["all"]["execution"]["sent"] == {
        "n": 6,
        "median_hours": 240.0,
        "p90_hours": 240.0,
    }
    assert report["timings"]["all"]["acknowledgement"]["received"]["n"] == 7
