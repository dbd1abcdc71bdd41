"""``hanoix treaty``: exit codes 0/1/2, JSON keys, atomic imports, export and chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).parents[1] / "treaty" / "data" / "untc-sample-xviii-16.xml"
STATUS_KEYS = {
    "on",
    "signatories",
    "parties",
    "instruments_counted",
    "instruments_needed",
    "entry_into_force",
    "in_force",
    "warnings",
}
FORTY = [
    "DZA", "AGO", "AUS", "AUT", "AZE", "BLR", "BEL", "BRA", "BRN", "BFA", "KHM", "CHL", "CHN",
    "CRI", "CIV", "CUB", "CZE", "PRK", "COD", "DJI", "DOM", "ECU", "EGY", "FRA", "GHA", "GRC",
    "GNB", "IRN", "IRL", "JAM", "VNM", "RUS", "VEN", "NIC", "ESP", "LUX", "POL", "PRT", "SVK",
    "SVN",
]  # fmt: skip


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "node"


def write_ratifications(path: Path, codes: list[str], day: str = "2027-03-02") -> Path:
    path.write_text(
        "participant,action,date\n" + "".join(f"{c},ratification,{day}\n" for c in codes),
        encoding="utf-8",
    )
    return path


def test_status_works_out_of_the_box_and_reports_json(cli: Any, home: Path) -> None:
    result = cli("--home", home, "treaty", "status", "--on", "2026-11-23", "--json")
    assert result.exit_code == 0, result.stderr
    body = result.json()
    assert body.keys() >= STATUS_KEYS
    assert body["on"] == "2026-11-23"
    assert body["signatories"] == 69
    assert body["parties"] == 0
    assert body["instruments_counted"] == 0
    assert body["instruments_needed"] == 40
    assert body["entry_into_force"] is None
    assert body["in_force"] is False
    assert any("partial" in w for w in body["warnings"])
    # The warnings reach people on stderr too, with how to refresh.
    assert "warning:" in result.stderr
    assert "--format un-xml" in result.stderr
    assert (home / "hanoix.db").is_file()


def test_status_for_people_goes_to_stderr(cli: Any, home: Path) -> None:
    result = cli("--home", home, "treaty", "status", "--on", "2026-11-23")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "signatories          69" in result.stderr


@pytest.mark.parametrize("bad", ["2026-13-01", "23/11/2026", "2026-11-23T10:00", "today"])
def test_a_bad_date_is_a_usage_error(cli: Any, home: Path, bad: str) -> None:
    result = cli("--home", home, "treaty", "status", "--on", bad)
    assert result.exit_code == 2
    assert f"--on: {bad} is not a date; write YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.stderr


def test_participant_json(cli: Any, home: Path) -> None:
    result = cli("--home", home, "treaty", "participant", "EUU", "--on", "2026-11-23", "--json")
    assert result.exit_code == 0, result.stderr
    body = result.json()
    assert body["code"] == "EUU"
    assert body["kind"] == "reio"
    assert body["standing"] == "signed"
    assert body["in_force_from"] is None
    assert [a["action"] for a in body["actions"]] == ["signature"]
    assert body["declarations"] == []


def test_a_participant_shows_what_it_lodged_as_lodged(cli: Any, home: Path) -> None:
    # Issue 12: Azerbaijan's reservations at signature and its approval law, said as such.
    result = cli("--home", home, "treaty", "participant", "AZE", "--on", "2026-12-03")
    assert result.exit_code == 0, result.stderr
    assert (
        "2025-10-25  reservation under Art. 9(2) (optional-element) [verified]: " in result.stderr
    )
    assert "reservation under Art. 63(3) (reservation-dispute-settlement)" in result.stderr
    assert "2026-02-23  domestic approval (in its own law; not a deposit) [reported]" in (
        result.stderr
    )
    assert "not a deposit with the Secretary-General" in result.stderr


def test_an_unknown_name_in_the_depositarys_xml_is_named_and_mapped(
    cli: Any, home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "status.xml"
    path.write_bytes(
        SAMPLE.read_bytes().replace(b"<Entry>Jamaica</Entry>", b"<Entry>Lao PDR</Entry>")
    )
    refused = cli("--home", home, "treaty", "import", path)
    assert refused.exit_code == 2
    assert "status.xml row 31 (Lao PDR): unknown participant name 'Lao PDR'" in refused.stderr
    assert "--map 'Lao PDR=ISO3'" in refused.stderr
    mapped = cli("--home", home, "treaty", "import", path, "--map", "Lao PDR=LAO", "--json")
    assert mapped.exit_code == 0, mapped.stderr
    lao = cli("--home", home, "treaty", "participant", "LAO", "--json").json()
    assert [a["action"] for a in lao["actions"]] == ["signature"]
    bad = cli("--home", home, "treaty", "import", path, "--map", "Lao PDR")
    assert bad.exit_code == 2 and "write NAME=ISO3" in bad.stderr


def test_an_unknown_state_suggests_the_closest(cli: Any, home: Path) -> None:
    result = cli("--home", home, "treaty", "participant", "VNN", "--json")
    assert result.exit_code == 2
    assert "VNM (Viet Nam)" in result.stderr
    assert result.json()["error"] == "unknown-state"


def test_applies_answers_no_with_exit_1_and_reasons(cli: Any, home: Path) -> None:
    result = cli("--home", home, "treaty", "applies", "VNM", "FRA", "--on", "2026-11-23", "--json")
    assert result.exit_code == 1
    body = result.json()
    assert body["applies"] is False
    assert [r["reason"] for r in body["reasons"]] == [
        "convention-not-in-force",
        "signed-not-ratified",
        "signed-not-ratified",
    ]
    assert all(r["message"] for r in body["reasons"])


def test_applies_for_people_says_why(cli: Any, home: Path) -> None:
    result = cli("--home", home, "treaty", "applies", "VNM", "USA", "--on", "2026-11-23")
    assert result.exit_code == 1
    assert "does not apply between VNM and USA" in result.stderr
    assert "neither signed nor joined" in result.stderr


def test_after_forty_ratifications_applies_answers_yes(
    cli: Any, home: Path, tmp_path: Path
) -> None:
    csv_file = write_ratifications(tmp_path / "forty.csv", FORTY)
    imported = cli("--home", home, "treaty", "import", csv_file, "--json")
    assert imported.exit_code == 0, imported.stderr
    assert imported.json()["added"] == 40
    status = cli("--home", home, "treaty", "status", "--on", "2027-05-31", "--json").json()
    assert status["entry_into_force"] == "2027-05-31"
    assert status["in_force"] is True
    answer = cli("--home", home, "treaty", "applies", "VNM", "FRA", "--on", "2027-05-31", "--json")
    assert answer.exit_code == 0
    assert answer.json()["applies"] is True
    day_before = cli("--home", home, "treaty", "applies", "VNM", "FRA", "--on", "2027-05-30")
    assert day_before.exit_code == 1


def test_an_import_with_one_bad_line_changes_nothing(cli: Any, home: Path, tmp_path: Path) -> None:
    before = cli("--home", home, "treaty", "export", "--format", "csv")
    assert before.exit_code == 0
    bad = write_ratifications(tmp_path / "bad.csv", FORTY[:20])
    with bad.open("a", encoding="utf-8") as handle:
        handle.write("VNM,ratifcation,2027-03-02\n")
    result = cli("--home", home, "treaty", "import", bad)
    assert result.exit_code == 2
    assert "bad.csv line 22" in result.stderr
    assert "did you mean 'ratification'" in result.stderr
    after = cli("--home", home, "treaty", "export", "--format", "csv")
    assert after.stdout == before.stdout


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("XYZ,signature,2025-10-25", "unknown State code 'XYZ'"),
        ("VNM,signature,2025/10/25", "is not a date; write YYYY-MM-DD"),
        ("JPN,ratification,2027-01-01", "without a prior signature"),
        ("VNM,signature,2026-01-01", "duplicate signature"),
    ],
)
def test_bad_imports_exit_2_with_a_clear_message(
    cli: Any, home: Path, tmp_path: Path, row: str, expected: str
) -> None:
    path = tmp_path / "one.csv"
    path.write_text(f"participant,action,date\n{row}\n", encoding="utf-8")
    result = cli("--home", home, "treaty", "import", path, "--json")
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_duplicate_ratification_is_refused(cli: Any, home: Path, tmp_path: Path) -> None:
    first = write_ratifications(tmp_path / "first.csv", ["VNM"])
    assert cli("--home", home, "treaty", "import", first).exit_code == 0
    second = write_ratifications(tmp_path / "second.csv", ["VNM"], "2027-06-01")
    result = cli("--home", home, "treaty", "import", second, "--json")
    assert result.exit_code == 2
    assert result.json()["error"] == "conflict"
    assert "duplicate ratification" in result.stderr


def test_the_un_xml_imports_by_its_suffix(cli: Any, home: Path) -> None:
    result = cli("--home", home, "treaty", "import", SAMPLE, "--as-of", "2026-11-20", "--json")
    assert result.exit_code == 0, result.stderr
    body = result.json()
    assert body["format"] == "un-xml"
    # The 31 signatures of the sample, and the domestic act and statements kept beside them.
    assert body["unchanged"] == 39
    status = cli("--home", home, "treaty", "status", "--on", "2026-11-23", "--json").json()
    assert status["signatories"] == 31


def test_a_malformed_xml_is_refused(cli: Any, home: Path, tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_bytes(SAMPLE.read_bytes().replace(b"25 Oct\t 2025", b"25 Okt 2025", 1))
    result = cli("--home", home, "treaty", "import", path)
    assert result.exit_code == 2
    assert "broken.xml row 1 (Algeria)" in result.stderr


def test_an_unknown_format_is_a_usage_error(cli: Any, home: Path) -> None:
    result = cli("--home", home, "treaty", "import", SAMPLE, "--format", "xlsx")
    assert result.exit_code == 2


def test_export_json_and_to_a_file(cli: Any, home: Path, tmp_path: Path) -> None:
    result = cli("--home", home, "treaty", "export", "--format", "json")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["actions"]) == 70
    target = tmp_path / "status.csv"
    written = cli("--home", home, "treaty", "export", "-o", target)
    assert written.exit_code == 0
    assert target.read_text(encoding="utf-8").startswith(
        "participant,action,date,basis,source,text,article\n"
    )


def test_chart_writes_a_png(cli: Any, home: Path, tmp_path: Path) -> None:
    target = tmp_path / "chart.png"
    result = cli("--home", home, "treaty", "chart", "-o", target, "--on", "2026-11-23", "--json")
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    body = result.json()
    assert body["instruments_counted"] == 0
    assert body["projected_entry_into_force"] is None


def test_chart_projects_from_two_deposits(cli: Any, home: Path, tmp_path: Path) -> None:
    first = write_ratifications(tmp_path / "a.csv", ["VNM"], "2026-06-01")
    second = write_ratifications(tmp_path / "b.csv", ["FRA"], "2026-07-01")
    assert cli("--home", home, "treaty", "import", first).exit_code == 0
    assert cli("--home", home, "treaty", "import", second).exit_code == 0
    target = tmp_path / "chart.png"
    body = cli(
        "--home", home, "treaty", "chart", "-o", target, "--on", "2026-11-23", "--json"
    ).json()
    # One deposit every 30 days; 38 more needed after 1 July 2026, then 90 days.
    assert body["projected_entry_into_force"] == "2029-11-12"
    assert target.stat().st_size > 1000


def test_chart_needs_a_png_name_and_an_existing_folder(
    cli: Any, home: Path, tmp_path: Path
) -> None:
    assert cli("--home", home, "treaty", "chart", "-o", tmp_path / "c.jpg").exit_code == 2
    missing = cli("--home", home, "treaty", "chart", "-o", tmp_path / "no" / "c.png")
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr
