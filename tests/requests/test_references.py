"""Request references: shape, parsing, and the local year."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hanoix.errors import InputError
from hanoix.requests.references import (
    RequestReference,
    check_state_code,
    make_reference,
    reference_year,
)


def test_reference_prints_state_year_and_six_digit_sequence() -> None:
    assert str(RequestReference("AUT", 2026, 123)) == "AUT-2026-000123"


def test_reference_grows_a_digit_past_a_million() -> None:
    ref = RequestReference("VNM", 2027, 1_234_567)
    assert str(ref) == "VNM-2027-1234567"
    assert RequestReference.parse(str(ref)) == ref


@given(
    state=st.from_regex(r"[A-Z]{3}", fullmatch=True),
    year=st.integers(1000, 9999),
    sequence=st.integers(1, 10**9),
)
def test_reference_round_trips(state: str, year: int, sequence: int) -> None:
    ref = RequestReference(state, year, sequence)
    assert RequestReference.parse(str(ref)) == ref


@pytest.mark.parametrize(
    "text", ["AUT-2026-123", "aut-2026-000123", "AUTX-2026-000123", "AUT/2026/000123", ""]
)
def test_malformed_reference_is_refused_with_the_expected_shape(text: str) -> None:
    with pytest.raises(InputError, match="AUT-2026-000123"):
        RequestReference.parse(text)


@pytest.mark.parametrize(
    ("state", "year", "sequence"), [("AT", 2026, 1), ("AUT", 26, 1), ("AUT", 2026, 0)]
)
def test_invalid_parts_are_refused(state: str, year: int, sequence: int) -> None:
    with pytest.raises(InputError):
        RequestReference(state, year, sequence)


def test_year_is_the_requesting_states_local_year() -> None:
    # 23:30 UTC on 31 December is already 1 January in Vienna (UTC+1) and Hanoi (UTC+7).
    at = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert reference_year(at, "Europe/Vienna") == 2027
    assert reference_year(at, "America/New_York") == 2026
    assert str(make_reference("AUT", at, "Europe/Vienna", 1)) == "AUT-2027-000001"


def test_naive_time_is_refused() -> None:
    with pytest.raises(InputError, match="timezone-aware"):
        reference_year(datetime(2026, 1, 1), "Europe/Vienna")


def test_each_part_out_of_range_is_named_with_what_it_got() -> None:
    assert str(RequestReference("AUT", 1000, 1)) == "AUT-1000-000001"
    assert str(RequestReference("AUT", 9999, 1)) == "AUT-9999-000001"
    with pytest.raises(InputError, match=r"^a reference year has four digits, got 10000$"):
        RequestReference("AUT", 10000, 1)
    with pytest.raises(InputError, match=r"^a reference year has four digits, got 999$"):
        RequestReference("AUT", 999, 1)
    with pytest.raises(InputError, match=r"^a reference sequence starts at 1, got 0$"):
        RequestReference("AUT", 2026, 0)
    with pytest.raises(
        InputError,
        match=r"^requesting State 'Aut' is not an ISO 3166-1 alpha-3 code: write three capital "
        r"letters, like 'AUT' or 'VNM'$",
    ):
        RequestReference("Aut", 2026, 1)


def test_a_state_code_is_checked_by_its_shape_and_named_as_the_caller_says() -> None:
    assert check_state_code("VNM") == "VNM"
    with pytest.raises(InputError, match=r"^State 'VN' is not an ISO 3166-1 alpha-3 code"):
        check_state_code("VN")
    with pytest.raises(InputError, match=r"^requested State 'vnm' is not"):
        check_state_code("vnm", what="requested State")
