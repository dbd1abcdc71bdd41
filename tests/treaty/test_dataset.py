"""What a reader of treaty data is told about it: its source, its date, its gaps, and the data
shipped with the node (shared/data/README.md: 69 dated signatures, 65 verified and 4 reported,
no instrument deposited, compiled on 2026-12-03; the depositary's XML is at the UNTC address
below)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from hanoix.treaty import shipped
from hanoix.treaty.actions import ActionKind, SourceBasis, TreatyAction
from hanoix.treaty.dataset import DatasetInfo, TreatyData, data_warnings

AS_OF = date(2026, 12, 3)
UNTC = "https://treaties.un.org/doc/Publication/MTDSG/Volume%20II/Chapter%20XVIII/XVIII-16.en.xml"
REFRESH = f"to refresh, download {UNTC} and run `hanoix treaty import FILE --format un-xml`"


def _signature(code: str, basis: SourceBasis | None) -> TreatyAction:
    return TreatyAction(code, ActionKind.SIGNATURE, date(2025, 10, 25), basis)


def _data(
    *actions: TreatyAction, as_of: date | None = AS_OF, gaps: str | None = None
) -> TreatyData:
    return TreatyData(tuple(actions), (), DatasetInfo("test", as_of, gaps=gaps))


def test_the_facts_about_a_dataset_are_written_in_full() -> None:
    info = DatasetInfo(
        "import",
        AS_OF,
        "un-xml",
        datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
        "XVIII-16.en.xml",
        "no declarations",
    )
    assert info.as_dict() == {
        "source": "import",
        "format": "un-xml",
        "as_of": "2026-12-03",
        "imported_at": "2026-12-04T09:30:00+00:00",
        "imported_from": "XVIII-16.en.xml",
        "gaps": "no declarations",
    }
    assert DatasetInfo("empty", None).as_dict() == {
        "source": "empty",
        "format": "csv",
        "as_of": None,
        "imported_at": None,
        "imported_from": None,
        "gaps": None,
    }


def test_no_data_is_empty_and_undated() -> None:
    data = TreatyData(())
    assert (data.declarations, data.info) == ((), DatasetInfo("empty", None))
    assert data_warnings(data, AS_OF) == ["the treaty data has no date", REFRESH]


def test_complete_verified_recent_data_needs_no_warning() -> None:
    data = _data(_signature("AUT", SourceBasis.VERIFIED), _signature("VNM", None))
    assert data_warnings(data, AS_OF) == []


def test_partial_data_says_what_it_misses_then_how_to_refresh() -> None:
    data = _data(_signature("AUT", SourceBasis.VERIFIED), gaps="Canada's day is unknown")
    assert data_warnings(data, AS_OF) == [
        "the treaty data is partial: Canada's day is unknown",
        REFRESH,
    ]


def test_rows_reported_by_the_press_are_counted() -> None:
    data = _data(
        _signature("AUT", SourceBasis.VERIFIED),
        _signature("VNM", SourceBasis.REPORTED),
        _signature("URY", SourceBasis.REPORTED),
    )
    assert data_warnings(data, AS_OF) == [
        "2 of the 3 treaty actions are reported by the press, not verified against the depositary",
        REFRESH,
    ]


@pytest.mark.parametrize(
    ("today", "stale"),
    [(date(2027, 1, 2), False), (date(2027, 1, 3), True), (date(2027, 3, 3), True)],
)
def test_data_more_than_thirty_days_old_is_stale(today: date, stale: bool) -> None:
    days = (today - AS_OF).days
    expected = [
        f"the treaty data is {days} days old (as of 2026-12-03); status changes with every deposit",
        REFRESH,
    ]
    assert data_warnings(_data(), today) == (expected if stale else [])


def test_every_warning_at_once_in_order() -> None:
    data = _data(_signature("VNM", SourceBasis.REPORTED), as_of=None, gaps="few rows")
    assert data_warnings(data, AS_OF) == [
        "the treaty data is partial: few rows",
        "1 of the 1 treaty actions are reported by the press, not verified against the depositary",
        "the treaty data has no date",
        REFRESH,
    ]


# --- the shipped data -----------------------------------------------------------------------


def test_the_shipped_data_states_its_source_date_and_gaps_from_its_sidecar() -> None:
    info = shipped.shipped_info()
    assert info.source.startswith(
        "shipped with hanoix (treaty-status.csv): shared/data/treaty-status.csv of 2026-12-03 "
        "(UN Treaty Collection status page XVIII-16 and the Dutch treaty database record 013891"
    )
    assert (info.as_of, info.format, info.imported_at, info.imported_from) == (
        AS_OF,
        "csv",
        None,
        None,
    )
    assert info.gaps is not None
    assert info.gaps.startswith("69 of about 77 signatories known")


def test_the_shipped_data_has_69_signatures_4_reported_and_warns_on_the_day() -> None:
    data = shipped.shipped_data()
    assert data.info == shipped.shipped_info()
    signatures = [a for a in data.actions if a.kind is ActionKind.SIGNATURE]
    assert len(signatures) == 69
    assert sum(a.basis is SourceBasis.REPORTED for a in signatures) == 4
    assert all(
        a.origin and a.origin.startswith("shipped treaty-status.csv line ") for a in signatures
    )
    warnings = data_warnings(data, AS_OF)
    assert warnings[0].startswith("the treaty data is partial: 69 of about 77 signatories known")
    # The 4 signatures and Azerbaijan's domestic approval are reported by the press.
    assert warnings[1:] == [
        f"5 of the {len(data.actions)} treaty actions are reported by the press, not verified "
        "against the depositary",
        REFRESH,
    ]


def test_a_sidecar_that_miscounts_the_signatories_is_a_packaging_mistake(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = shipped._read

    def read(name: str) -> str:
        text = real(name)
        if name == "treaty-status.json":
            meta = json.loads(text)
            meta["signatories_known"] = 70
            return json.dumps(meta)
        return text

    monkeypatch.setattr(shipped, "_read", read)
    with pytest.raises(
        ValueError, match=r"^treaty-status.csv has 69 signatories; its sidecar says 70$"
    ):
        shipped.shipped_data()
