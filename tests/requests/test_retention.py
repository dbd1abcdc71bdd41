"""Retention's rules (pure): which items are due at a time under a policy, the delete-by
condition that brings them forward, and erasure that empties every personal field."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hanoix.convention import RequestKind
from hanoix.convention.refs import Basis
from hanoix.errors import InputError
from hanoix.requests import Action, HistoryEntry, Side, Status
from hanoix.requests.conditions import ConditionSet
from hanoix.requests.personal import is_personal
from hanoix.requests.retention import (
    DELETE_BY_RULE,
    ERASED,
    PERIODS,
    Category,
    Held,
    RetentionPolicy,
    decided_at,
    due,
    request_items,
    without_contents,
    without_personal_data,
)
from tests.requests.samples import stored_request

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
SAMPLE_NAME = "Nguyễn Văn A"


def _decided(kind: RequestKind, at: datetime) -> object:
    request = stored_request(kind)
    last = request.history[-1]
    entry = HistoryEntry(
        seq=last.seq + 1,
        action=Action.WITHDRAW,
        from_status=request.status,
        to_status=Status.WITHDRAWN,
        at=at,
        side=Side.REQUESTING,
        actor="aut.drafter",
        authority="AUT-CA",
        note=f"no longer needed for {SAMPLE_NAME}",
    )
    return replace(
        request, status=Status.WITHDRAWN, history=(*request.history, entry), version=entry.seq
    )


def _personal_values(value: object) -> Iterator[object]:
    """Every value of a field marked personal in ``value``, however deep."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if is_personal(f):
                yield item
            else:
                yield from _personal_values(item)
    elif isinstance(value, tuple):
        for item in value:
            yield from _personal_values(item)


def test_every_category_has_a_default_with_its_article_and_basis() -> None:
    assert set(PERIODS) == set(Category)
    assert RetentionPolicy().as_dict() == {c.value: p.default_days for c, p in PERIODS.items()}
    assert (
        PERIODS[Category.PERSONAL_DATA].default_days
        < PERIODS[Category.REQUEST_CONTENTS].default_days
    )
    assert {str(p.article) for p in PERIODS.values()} == {"Art. 36(2)"}
    assert {p.basis for p in PERIODS.values()} == {Basis.RECALLED}
    # The record of who read what outlives what it is about.
    assert PERIODS[Category.ACCESS_RECORDS].default_days > max(
        p.default_days for c, p in PERIODS.items() if c is not Category.ACCESS_RECORDS
    )


def test_an_item_is_due_when_its_period_has_run_and_not_a_second_before() -> None:
    policy = RetentionPolicy.parse({"sessions": 10})
    item = Held(Category.SESSIONS, "session:x", NOW - timedelta(days=10))
    (found,) = due([item], policy, NOW)
    assert found.rule == "sessions:10d" and found.due_at == NOW
    assert due([item], policy, NOW - timedelta(seconds=1)) == []


def test_a_condition_s_deadline_comes_first_when_it_is_earlier() -> None:
    deadline = NOW - timedelta(days=1)
    item = Held(Category.PERSONAL_DATA, "AUT-2026-000001", NOW - timedelta(days=2), deadline)
    (found,) = due([item], RetentionPolicy(), NOW)
    assert found.rule == DELETE_BY_RULE and str(found.article) == "Art. 36(1)(b)"
    later = Held(Category.PERSONAL_DATA, "AUT-2026-000001", NOW - timedelta(days=400), NOW)
    assert due([later], RetentionPolicy(), NOW)[0].rule == "personal-data:365d"


def test_a_request_is_held_from_its_decision_with_its_delete_by_deadline() -> None:
    request = stored_request(RequestKind.MLA)
    assert decided_at(request) is None and request_items(request) == []
    decided = _decided(RequestKind.MLA, NOW)
    assert decided_at(decided) == NOW
    items = request_items(decided)
    assert [i.category for i in items] == [Category.PERSONAL_DATA, Category.REQUEST_CONTENTS]
    # The sample's delete-by (31 January 2027) was extended by a consent to 30 June 2027.
    assert items[0].deadline is not None and items[0].deadline.date().isoformat() == "2027-06-30"
    without = replace(decided, conditions=ConditionSet())
    assert request_items(without)[0].deadline is None


@pytest.mark.parametrize("kind", list(RequestKind), ids=lambda k: k.value)
def test_erasing_personal_data_empties_every_personal_field(kind: RequestKind) -> None:
    request = _decided(kind, NOW)
    erased = without_personal_data(request)
    before = list(_personal_values(request))
    assert any(SAMPLE_NAME in str(v) for v in before)
    left = list(_personal_values(erased))
    assert len(left) == len(before)
    assert all(v in (None, "", {}, (), ERASED) for v in left), left
    assert SAMPLE_NAME not in repr(erased)
    assert [e.seq for e in erased.history] == [e.seq for e in request.history]
    assert erased.status is request.status and erased.reference == request.reference
    assert erased.conditions.conditions[1:] == request.conditions.conditions[1:]


def test_erasing_contents_keeps_the_language_and_empties_the_other_terms() -> None:
    erased = without_contents(_decided(RequestKind.MLA, NOW))
    assert erased.terms.language == "en" and erased.terms.legal_basis_other is None
    assert not erased.contents and erased.proceeding == ""


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"personal": 3}, "unknown category 'personal'"),
        ({"sessions": -1}, "cannot be negative"),
        ({"sessions": 1.5}, "not a number of days"),
        ({"sessions": True}, "not a number of days"),
        ({"sessions": 40_000}, "more than 36500"),
    ],
)
def test_a_bad_policy_is_refused_naming_what_to_fix(given: dict[str, object], said: str) -> None:
    with pytest.raises(InputError, match=said):
        RetentionPolicy.parse(given)


def test_the_time_must_be_aware() -> None:
    with pytest.raises(InputError, match="timezone-aware"):
        due([Held(Category.SESSIONS, "s", NOW)], RetentionPolicy(), NOW.replace(tzinfo=None))
