"""Custody events as ledger entries: canonical bytes, and bad input named field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from hanoix.ledger.errors import MalformedEntryError
from hanoix.ledger.events import (
    MAX_ENTRY_BYTES,
    MAX_NAME_LENGTH,
    CustodyEvent,
    EventKind,
    canonical_json,
    load_events,
    representability_problems,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.text(alphabet=st.characters(max_codepoint=0x7F)),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=25,
)


def good() -> dict[str, Any]:
    return {
        "kind": "package.sealed",
        "actor": "examiner:ngo.van.a",
        "authority": "VNM-MPS-A05",
        "at": "2026-11-23T09:30:00Z",
        "subject": {"package": "sha256:" + "ab" * 32},
        "details": {"bytes": 50331648, "chunks": 12},
    }


@settings(max_examples=1000, deadline=None)
@given(value=json_values)
def test_the_fast_canonical_path_writes_the_reference_bytes(value: Any) -> None:
    try:
        expected = bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as reference_error:
        with pytest.raises(type(reference_error)):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"\u00e9": 1, "e": 2, "\u20ac": 3, "z": 4, "\x7f": 5, "\ud7ff": 6},
        {"\x00\x01\x1f": '\b\t\n\f\r"\\/\x7f\u2028'},
        {"big": 2**53 - 1, "small": -(2**53 - 1), "list": [True, False, None, [], {}]},
        {"\U0001f600": 1, "\ufb01": 2},  # astral vs high BMP: UTF-16 order differs
        {"pi": 3.14159, "e": 1e21, "tiny": 5e-324, "neg": -0.0},
    ],
)
def test_canonical_edge_cases_match_the_reference(value: Any) -> None:
    assert canonical_json(value) == bytes(rfc8785.dumps(value))


def test_the_canonical_form_is_rfc_8785() -> None:
    event = CustodyEvent.from_dict(good())
    assert event.canonical_bytes() == (
        b'{"actor":"examiner:ngo.van.a","at":"2026-11-23T09:30:00Z","authority":"VNM-MPS-A05",'
        b'"details":{"bytes":50331648,"chunks":12},"kind":"package.sealed",'
        b'"subject":{"package":"sha256:' + b"ab" * 32 + b'"}}'
    )


def test_events_round_trip_and_times_are_normalised_to_utc() -> None:
    data = good()
    data["at"] = "2026-11-23T16:30:00.250000+07:00"
    event = CustodyEvent.from_dict(data)
    assert event.at == datetime(2026, 11, 23, 9, 30, 0, 250000, tzinfo=UTC)
    assert event.as_dict()["at"] == "2026-11-23T09:30:00.250000Z"
    assert CustodyEvent.from_dict(event.as_dict()) == event
    hanoi = CustodyEvent(
        EventKind.REQUEST_SENT,
        "clerk",
        "VNM-CA",
        datetime(2026, 1, 1, 7, tzinfo=timezone(timedelta(hours=7))),
        {"request": "VNM-2026-0001"},
    )
    assert json.loads(hanoi.canonical_bytes())["at"] == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "package.teleported"}, "kind"),
        ({"kind": None}, "kind"),
        ({"actor": ""}, "actor"),
        ({"actor": "   "}, "actor"),
        ({"authority": 7}, "authority"),
        ({"actor": "x" * 300}, "actor"),
        ({"at": "2026-11-23"}, "at"),
        ({"at": "2026-11-23T09:30:00"}, "at"),
        ({"at": "yesterday"}, "at"),
        ({"at": 1764000000}, "at"),
        ({"subject": {}}, "subject"),
        ({"subject": "sha256:ab"}, "subject"),
        ({"subject": {"package": ""}}, "subject.package"),
        ({"subject": {"package": 5}}, "subject.package"),
        ({"details": []}, "details"),
        ({"details": {"big": 2**60}}, "details"),
        ({"details": {"blob": "x" * 70_000}}, "details"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_each_bad_field_is_named(change: dict[str, Any], field: str) -> None:
    data = {**good(), **change}
    if change.get("kind", "") is None:
        del data["kind"]
    with pytest.raises(MalformedEntryError) as caught:
        CustodyEvent.from_dict(data)
    assert field in {problem.field for problem in caught.value.problems}
    assert field in caught.value.message or len(caught.value.problems) > 1
    assert caught.value.exit_code == 2


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(MalformedEntryError) as caught:
        CustodyEvent.from_dict({"kind": "nope", "subject": {}})
    assert {p.field for p in caught.value.problems} >= {"kind", "actor", "authority", "at"}


def test_load_events_reads_one_or_many() -> None:
    assert len(load_events(json.dumps(good()))) == 1
    assert len(load_events(json.dumps([good(), good()]))) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "empty list"),
        ('{"kind": "package.sealed", "kind": "package.sent"}', "twice"),
        ('{"details": {"x": NaN}}', "NaN"),
        ("42", "JSON object"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_load_events_refuses_what_has_no_single_canonical_form(
    text: str | bytes, message: str
) -> None:
    with pytest.raises(MalformedEntryError, match=message):
        load_events(text, source="event.json")


def test_an_event_in_a_list_is_named_by_position() -> None:
    bad = {**good(), "actor": ""}
    with pytest.raises(MalformedEntryError, match="event 1"):
        load_events(json.dumps([good(), bad]), source="events.json")


def _nested(levels: int) -> dict[str, Any]:
    """``details`` holding objects so that the entry is ``levels`` deep (the entry is 1)."""
    inner: dict[str, Any] = {}
    for _ in range(levels - 2):
        inner = {"a": inner}
    return inner


def _with_details(details: Any) -> dict[str, Any]:
    return {
        "kind": "request.created",
        "actor": "clerk",
        "authority": "VNM-CA",
        "at": "2026-11-23T10:00:00Z",
        "subject": {"request": "VNM-2026-0001"},
        "details": details,
    }


def test_an_entry_as_deep_as_the_bound_is_kept_and_one_level_more_is_refused() -> None:
    from hanoix.ledger.events import MAX_DEPTH

    kept = CustodyEvent.from_dict(_with_details(_nested(MAX_DEPTH)))
    assert rfc8785.dumps(json.loads(kept.canonical_bytes())) == kept.canonical_bytes()
    with pytest.raises(MalformedEntryError, match=f"deeper than {MAX_DEPTH}") as refused:
        CustodyEvent.from_dict(_with_details(_nested(MAX_DEPTH + 1)))
    assert refused.value.problems[0].field == "details"
    # The way a court reads a file: parsed from text, hundreds of levels deep, still refused.
    text = '{"kind": "request.created", "details": ' + "[" * 5000 + "]" * 5000 + "}"
    with pytest.raises(MalformedEntryError):
        load_events(text)


@pytest.mark.parametrize(
    ("number", "why"),
    [
        (1e20, "does not read back"),
        (2**53, "I-JSON"),
        (-(2**53), "I-JSON"),
        (10**30, "I-JSON"),
        (float("inf"), "not a JSON number"),
    ],
)
def test_numbers_that_cannot_be_re_derived_are_refused_at_append(number: Any, why: str) -> None:
    with pytest.raises(MalformedEntryError, match=why) as refused:
        CustodyEvent(
            EventKind.REQUEST_CREATED,
            "clerk",
            "VNM-CA",
            datetime(2026, 11, 23, tzinfo=UTC),
            {"request": "VNM-2026-0001"},
            {"bytes": [1, {"n": number}]},
        )
    assert "details.bytes.1.n" in str(refused.value)


@pytest.mark.parametrize("number", [2**53 - 1, -(2**53 - 1), 1.5, 1.0, 1e-7, 0.1])
def test_numbers_that_re_derive_are_kept_byte_for_byte(number: Any) -> None:
    event = CustodyEvent.from_dict(_with_details({"n": number}))
    encoded = event.canonical_bytes()
    assert rfc8785.dumps(json.loads(encoded)) == encoded


def test_a_file_with_1e20_is_refused_naming_the_path() -> None:
    with pytest.raises(MalformedEntryError, match=r"details\.n"):
        load_events(json.dumps(_with_details({"n": 1e20})))


@pytest.mark.parametrize(
    "value",
    [
        {1: "a key that is not a string"},
        {"a": 2**53},
        {"a": -(2**53)},
        [2**63],
        {"\ud800": 1},
        "\udfff",
    ],
)
def test_what_the_fast_path_must_not_take_fails_as_the_reference_does(value: Any) -> None:
    # json.dumps would write each of these (a key made a string, an integer past I-JSON, a lone
    # surrogate left for the encoder); RFC 8785 refuses them, and so must canonical_json.
    with pytest.raises(ValueError) as reference:
        rfc8785.dumps(value)
    with pytest.raises(type(reference.value)):
        canonical_json(value)


def test_the_largest_exact_integers_take_either_path_to_the_same_bytes() -> None:
    for value in (2**53 - 1, -(2**53 - 1), {"n": [2**53 - 1, -(2**53 - 1), 0, True, None]}):
        assert canonical_json(value) == bytes(rfc8785.dumps(value))


_ALL_KINDS = ", ".join(kind.value for kind in EventKind)


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        (
            {"kind": "package.teleported"},
            [
                (
                    "kind",
                    "'package.teleported' is not a custody event kind; expected one of "
                    + _ALL_KINDS,
                )
            ],
        ),
        ({"kind": None}, [("kind", "missing: what happened, e.g. package.sealed")]),
        ({"actor": ""}, [("actor", "missing or empty: who did it, as a non-empty string")]),
        (
            {"authority": 7},
            [("authority", "missing or empty: on whose behalf, as a non-empty string")],
        ),
        ({"actor": "x" * (MAX_NAME_LENGTH + 1)}, [("actor", "longer than 256 characters")]),
        (
            {"at": "2026-11-23"},
            [("at", "'2026-11-23' needs a date, a time and a zone (Z or +HH:MM)")],
        ),
        (
            {"at": "yesterday"},
            [("at", "'yesterday' is not an RFC 3339 time such as 2026-11-23T12:00:00Z")],
        ),
        (
            {"at": None},
            [("at", "missing: when it happened, as an RFC 3339 time such as 2026-11-23T12:00:00Z")],
        ),
        (
            {"at": 1764000000},
            [
                (
                    "at",
                    "1764000000 is not a string: write an RFC 3339 time such as "
                    "2026-11-23T12:00:00Z",
                )
            ],
        ),
        (
            {"subject": {}},
            [
                (
                    "subject",
                    'missing: the object concerned, e.g. {"package": "sha256:..."} or '
                    '{"request": "AUT-2026-0001"}',
                )
            ],
        ),
        ({"subject": {"package": ""}}, [("subject.package", "must be a non-empty string")]),
        (
            {"subject": {"package": "x" * (MAX_NAME_LENGTH + 1)}},
            [("subject.package", "longer than 256 characters")],
        ),
        (
            {"subject": {"p" * (MAX_NAME_LENGTH + 1): "x"}},
            [(f"subject.{'p' * 257}", "longer than 256 characters")],
        ),
        ({"details": []}, [("details", "must be a JSON object")]),
        ({"details": {"blob": "x" * 70_000}}, [("details", "too large")]),
        (
            {"colour": "red"},
            [("colour", "unknown field (expected kind, actor, authority, at, subject, details)")],
        ),
    ],
)
def test_each_bad_field_is_named_with_what_to_write(
    change: dict[str, Any], problems: list[tuple[str, str]]
) -> None:
    data = {**good(), **change}
    if "kind" in change and change["kind"] is None:
        del data["kind"]
    with pytest.raises(MalformedEntryError) as caught:
        CustodyEvent.from_dict(data)
    assert [(p.field, p.message) for p in caught.value.problems] == problems
    first_field, first_message = problems[0]
    if first_field != "details":
        assert caught.value.message == f"custody event field {first_field!r}: {first_message}"


def test_names_of_the_largest_length_are_kept() -> None:
    name = "x" * MAX_NAME_LENGTH
    event = CustodyEvent.from_dict({**good(), "actor": name, "subject": {name: name}})
    assert event.actor == name


def test_details_may_be_left_out_and_are_then_empty() -> None:
    data = good()
    del data["details"]
    assert CustodyEvent.from_dict(data).details == {}


def test_details_no_canonical_form_can_write_are_refused_on_details() -> None:
    with pytest.raises(MalformedEntryError) as caught:
        CustodyEvent.from_dict({**good(), "details": {"note": "\ud800"}})
    assert caught.value.message.startswith(
        "custody event field 'details': not representable as canonical JSON ("
    )
    (problem,) = caught.value.problems
    assert problem.field == "details"
    assert problem.message and problem.message in caught.value.message


def test_an_event_of_exactly_the_largest_size_is_kept_and_one_byte_more_is_not() -> None:
    def sized(blob: str) -> dict[str, Any]:
        return {**good(), "details": {"blob": blob}}

    base = len(CustodyEvent.from_dict(sized("")).canonical_bytes())
    largest = CustodyEvent.from_dict(sized("x" * (MAX_ENTRY_BYTES - base)))
    assert len(largest.canonical_bytes()) == MAX_ENTRY_BYTES
    with pytest.raises(MalformedEntryError) as caught:
        CustodyEvent.from_dict(sized("x" * (MAX_ENTRY_BYTES - base + 1)))
    assert caught.value.message == (
        f"custody event field 'details': the event is {MAX_ENTRY_BYTES + 1} bytes as canonical "
        f"JSON; the limit is {MAX_ENTRY_BYTES} (keep content out of the ledger)"
    )


def test_a_finding_deep_in_an_entry_names_its_member_and_a_short_path() -> None:
    key = "k" * 70
    path = f"entry.details.{key}"
    (problem,) = representability_problems({"details": {key: 2**60}})
    assert problem.field == "details"
    assert problem.message.startswith(f"{path[:28]}...{path[-28:]}: the integer {2**60} ")
    fits = "k" * (60 - len("entry.details."))
    (short,) = representability_problems({"details": {fits: 2**60}})
    assert short.message.startswith(f"entry.details.{fits}: the integer")
    (top,) = representability_problems(2**60)
    assert (top.field, top.message.split(":")[0]) == ("entry", "entry")
