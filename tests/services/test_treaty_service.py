"""Treaty use cases on a real node (SQLite and PostgreSQL): load, query, import, export."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from hanoix.clock import FixedClock
from hanoix.errors import ConflictError, FileFormatError, InputError
from hanoix.services import treaty as service
from hanoix.services.node import Node
from hanoix.store import treaty as store

SAMPLE = Path(__file__).parents[1] / "treaty" / "data" / "untc-sample-xviii-16.xml"
CSV, XML = service.ImportFormat.CSV, service.ImportFormat.UN_XML
# Forty signatories of the shipped data (the EU excluded) and the date they all ratify.
SHIPPED_STATES = [
    "DZA", "AGO", "AUS", "AUT", "AZE", "BLR", "BEL", "BRA", "BRN", "BFA", "KHM", "CHL", "CHN",
    "CRI", "CIV", "CUB", "CZE", "PRK", "COD", "DJI", "DOM", "ECU", "EGY", "FRA", "GHA", "GRC",
    "GNB", "IRN", "IRL", "JAM", "VNM", "RUS", "VEN", "NIC", "ESP", "LUX", "POL", "PRT", "SVK",
    "SVN",
]  # fmt: skip
RATIFIED = date(2027, 3, 2)
EIF = date(2027, 5, 31)


def ratifications(codes: list[str], day: date = RATIFIED) -> bytes:
    rows = "".join(f"{code},ratification,{day.isoformat()}\n" for code in codes)
    return ("participant,action,date\n" + rows).encode()


def history(node: Node) -> list[dict[str, object]]:
    with node.unit_of_work() as session:
        return store.history(session)


def test_a_new_node_holds_the_shipped_status(node: Node) -> None:
    report = service.status(node)
    assert report.summary.on == date(2026, 11, 23)
    assert report.summary.signatories == 69
    assert report.summary.parties == 0
    assert report.summary.instruments_counted == 0
    assert report.summary.instruments_needed == 40
    assert report.summary.in_force is False
    assert report.dataset.as_of == date(2026, 12, 3)
    assert [h["mode"] for h in history(node)] == ["shipped"]


def test_initialising_twice_does_not_reload(node: Node) -> None:
    node.initialise()
    assert len(history(node)) == 1


def test_the_shipped_status_warns_that_it_is_partial_and_how_to_refresh(node: Node) -> None:
    warnings = service.status(node).warnings
    assert any("partial" in w and "69 of about 77 signatories known" in w for w in warnings)
    assert any("reported by the press" in w for w in warnings)
    assert any("--format un-xml" in w and "XVIII-16.en.xml" in w for w in warnings)
    assert not any("days old" in w for w in warnings)


def test_the_status_warns_once_the_data_is_older_than_30_days(
    node: Node, clock: FixedClock
) -> None:
    # The shipped data is as of 2026-12-03; the node's clock starts earlier.
    shipped_on = service.status(node).dataset.as_of
    assert shipped_on == date(2026, 12, 3)
    clock.advance(shipped_on - clock.now().date() + timedelta(days=30))
    assert not any("days old" in w for w in service.status(node).warnings)
    clock.advance(timedelta(days=1))
    assert any("31 days old" in w for w in service.status(node).warnings)


def test_a_csv_import_merges_and_brings_the_convention_into_force(node: Node) -> None:
    summary = service.import_bytes(node, ratifications(SHIPPED_STATES), CSV, name="r.csv")
    assert (summary.added, summary.removed, summary.unchanged) == (40, 0, 77)
    assert summary.mode == "merge"
    report = service.status(node, EIF)
    assert report.summary.instruments_counted == 40
    assert report.summary.entry_into_force == EIF
    assert report.summary.in_force is True
    assert service.applies(node, "VNM", "FRA", EIF).applies is True
    # The merge keeps the shipped data's date and gaps: still partial.
    assert report.dataset.as_of == date(2026, 12, 3)
    assert any("partial" in w for w in report.warnings)


def test_importing_the_same_csv_twice_adds_nothing(node: Node) -> None:
    service.import_bytes(node, ratifications(["VNM"]), CSV, name="r.csv")
    again = service.import_bytes(node, ratifications(["VNM"]), CSV, name="r.csv")
    assert again.added == 0
    assert again.actions == 71


def test_a_conflicting_ratification_is_refused(node: Node) -> None:
    service.import_bytes(node, ratifications(["VNM"]), CSV, name="first.csv")
    with pytest.raises(ConflictError, match="duplicate ratification"):
        service.import_bytes(node, ratifications(["VNM"], date(2027, 9, 1)), CSV, name="second.csv")


def test_a_row_repeated_in_the_file_is_refused_even_if_stored(node: Node) -> None:
    content = b"participant,action,date\nVNM,signature,2025-10-25\nVNM,signature,2025-10-25\n"
    with pytest.raises(ConflictError, match="line 3"):
        service.import_bytes(node, content, CSV, name="r.csv")


def test_ratification_without_signature_is_refused(node: Node) -> None:
    with pytest.raises(InputError, match="without a prior signature") as caught:
        service.import_bytes(node, ratifications(["JPN"]), CSV, name="r.csv")
    assert "r.csv line 2" in caught.value.message


def test_an_import_with_one_bad_line_changes_nothing(node: Node) -> None:
    before = service.current_data(node)
    content = ratifications(SHIPPED_STATES[:10]) + b"VNM,ratification,2027-02-30\n"
    with pytest.raises(InputError, match="line 12"):
        service.import_bytes(node, content, CSV, name="bad.csv")
    assert service.current_data(node) == before
    assert len(history(node)) == 1


def test_an_import_refused_by_validation_changes_nothing(node: Node) -> None:
    before = service.current_data(node)
    content = ratifications(SHIPPED_STATES[:10]) + b"JPN,ratification,2027-01-01\n"
    with pytest.raises(InputError):
        service.import_bytes(node, content, CSV, name="bad.csv")
    assert service.current_data(node) == before


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(node: Node) -> None:
    content = b"participant,action,date,source\nVNM,signature,2025-10-25,caf\xe9\n"
    with pytest.raises(FileFormatError, match="line 2: not UTF-8"):
        service.import_bytes(node, content, CSV, name="latin1.csv")


def test_the_un_xml_replaces_the_table_and_keeps_other_acts(node: Node) -> None:
    service.import_bytes(
        node,
        b"participant,action,date,text\n"
        b"AUT,reservation-dispute-settlement,2025-10-25,Art. 63(2) does not bind Austria\n"
        b"AUT,withdrawal-of-reservation,2026-05-01,\n",
        CSV,
        name="aut.csv",
    )
    summary = service.import_file(node, SAMPLE, XML, as_of=date(2026, 11, 20))
    assert summary.mode == "replace-table"
    data = service.current_data(node)
    kinds = {(a.participant, a.kind.value) for a in data.actions}
    assert ("VNM", "signature") not in kinds  # reported, not in the depositary's table
    assert ("AUT", "signature") in kinds
    assert ("AUT", "withdrawal-of-reservation") in kinds
    austria = [d.kind.value for d in data.declarations if d.participant == "AUT"]
    assert austria == ["reservation-dispute-settlement"]
    # The shipped statements and the domestic approval (not in the table) are kept too.
    assert ("AZE", "domestic-approval") in kinds
    assert {d.participant for d in data.declarations} == {"AUT", "AZE"}


def test_the_un_xml_makes_the_data_complete_and_dated(node: Node) -> None:
    summary = service.import_file(node, SAMPLE, XML, as_of=date(2026, 11, 20))
    # 38 signatures not in the sample's 31 rows go; the domestic act and statements stay.
    assert (summary.added, summary.removed, summary.unchanged) == (0, 38, 39)
    report = service.status(node)
    assert report.summary.signatories == 31
    assert report.dataset.as_of == date(2026, 11, 20)
    assert report.dataset.gaps is None
    assert report.dataset.imported_from == SAMPLE.name
    # What remains unverified is Azerbaijan's domestic approval, reported by the press.
    assert [w for w in report.warnings if "partial" in w or "days old" in w] == []
    assert any("1 of the 32 treaty actions are reported" in w for w in report.warnings)


def test_a_denunciation_the_table_cannot_support_is_refused(node: Node) -> None:
    service.import_bytes(
        node,
        b"participant,action,date\nAUT,ratification,2026-05-01\nAUT,denunciation,2027-01-01\n",
        CSV,
        name="aut.csv",
    )
    # The sample table has no instrument for Austria, so its denunciation no longer stands.
    with pytest.raises(InputError, match="not a party"):
        service.import_file(node, SAMPLE, XML)
    assert ("AUT", "denunciation") in {
        (a.participant, a.kind.value) for a in service.current_data(node).actions
    }


def test_replace_makes_the_file_the_whole_data(node: Node) -> None:
    content = b"participant,action,date\nGHA,accession,2027-01-01\n"
    summary = service.import_bytes(
        node, content, CSV, name="only.csv", replace_all=True, as_of=date(2026, 11, 22)
    )
    assert (summary.added, summary.removed, summary.actions) == (1, 77, 1)
    report = service.status(node, date(2027, 1, 1))
    assert report.summary.parties == 1
    assert report.dataset.gaps is None
    assert report.dataset.as_of == date(2026, 11, 22)


def test_a_missing_file_is_an_input_error(node: Node, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        service.import_file(node, tmp_path / "nothing.csv", CSV)
    with pytest.raises(InputError, match="directory"):
        service.import_file(node, tmp_path, CSV)


def test_export_csv_reimports_to_the_same_data(node: Node) -> None:
    service.import_bytes(
        node,
        b"participant,action,date,text\nVNM,ratification,2027-01-05,\n"
        b"VNM,languages,2027-01-05,Vietnamese\n",
        CSV,
        name="vn.csv",
    )
    before = service.current_data(node)
    exported = service.export(node, service.ExportFormat.CSV)
    service.import_bytes(node, exported.encode(), CSV, name="again.csv", replace_all=True)
    after = service.current_data(node)
    assert set(after.actions) == set(before.actions)
    assert set(after.declarations) == set(before.declarations)


def test_export_json_carries_the_dataset_facts(node: Node) -> None:
    document = json.loads(service.export(node, service.ExportFormat.JSON))
    assert document["dataset"]["as_of"] == "2026-12-03"
    assert "69 of about 77 signatories known" in document["dataset"]["gaps"]
    assert len(document["actions"]) == 70
    assert document["declarations"][0].keys() >= {"form", "article", "kind", "text", "source"}
    assert document["actions"][0].keys() >= {"participant", "action", "date", "basis", "source"}


def test_participant_report(node: Node) -> None:
    service.import_bytes(node, ratifications(SHIPPED_STATES), CSV, name="r.csv")
    report = service.participant(node, "vnm", EIF)
    assert report.status.participant.code == "VNM"
    assert report.status.in_force_from == EIF
    assert [a.kind.value for a in report.status.actions] == ["signature", "ratification"]
