"""``hanoix statistics report`` and ``verify`` end to end: the signed report, CSV, the HTML page
with its SVG charts, a tampered or foreign file, bad periods and epsilons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from hanoix.config import load_settings
from hanoix.store.db import make_engine
from tests.cli.test_federation_cli import _home, _signed_directory
from tests.statistics.history import EMAIL, NAME, seed

YEAR = ("--from", "2026-01-01", "--to", "2026-12-31")


def _seeded(cli: Any, tmp_path: Path) -> Path:
    authority = tmp_path / "authority"
    assert cli("keys", "new", "--out", authority, "--json").exit_code == 0
    home = _home(cli, tmp_path, "aut", "AUT", 18490)
    signed = _signed_directory(cli, tmp_path, authority, home)
    assert cli("--home", home, "directory", "trust", authority / "signing.pub").exit_code == 0
    assert cli("--home", home, "directory", "import", signed).exit_code == 0
    engine = make_engine(load_settings(home, environ={}).effective_database_url)
    with Session(engine) as session:
        seed(session)
        session.commit()
    engine.dispose()
    return home


def test_report_verify_and_every_format_without_personal_data(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _seeded(cli, tmp_path)
    # Every log line the commands write is in their stderr, searched below with the rest.
    monkeypatch.setenv("HANOIX_LOG_LEVEL", "debug")
    signed = cli("--home", home, "statistics", "report", *YEAR, "--json")
    assert signed.exit_code == 0, signed.stderr
    document = signed.json()
    assert document["format"] == "hanoix-signed-statistics/1"
    assert document["report"]["protection"]["small_cells"]["threshold"] == 5
    report_file = tmp_path / "report.json"
    report_file.write_text(signed.stdout)
    verified = cli("--home", home, "statistics", "verify", report_file, "--json")
    assert verified.exit_code == 0, verified.stderr
    assert verified.json()["valid"] is True and verified.json()["state"] == "AUT"

    csv = cli("--home", home, "statistics", "report", *YEAR, "--csv")
    assert csv.exit_code == 0 and "table,outcomes_sent,mla,refused,<5" in csv.stdout
    page = tmp_path / "report.html"
    written = cli("--home", home, "statistics", "report", *YEAR, "-o", page)
    assert written.exit_code == 0, written.stderr
    html = page.read_text()
    assert html.count("<svg") == 3 and "<metadata" not in html
    # Kinds by their titles in the page (the CSV above keeps the codes).
    assert "<th scope='row'>Mutual legal assistance (mla)</th>" in html
    for fetched in ("<script", "src=", 'href="http', "href='http", "@import", "url(http"):
        assert fetched not in html
    summary = cli("--home", home, "statistics", "report", *YEAR)
    assert summary.exit_code == 0 and "Requests by counterpart State" in summary.stderr
    # Issue 17, item 7: the names and e-mail addresses in the requests reach no output.
    outputs = [signed, csv, written, summary, verified]
    for output in (html, *(o.stdout + o.stderr for o in outputs)):
        for value in (NAME, EMAIL, "Quastelbaum", "example.org"):
            assert value not in output

    document["report"]["tables"][1]["rows"][0]["total"] = 999
    report_file.write_text(json.dumps(document))
    tampered = cli("--home", home, "statistics", "verify", report_file)
    assert tampered.exit_code == 1 and "altered" in tampered.stderr
    document["signature"]["origin"] = "zzz.hanoix.test"
    report_file.write_text(json.dumps(document))
    foreign = cli("--home", home, "statistics", "verify", report_file)
    assert foreign.exit_code == 1 and "foreign" in foreign.stderr
    report_file.write_text("not a report")
    assert cli("--home", home, "statistics", "verify", report_file).exit_code == 2


def test_bad_input_is_named_with_exit_2(cli: Any, tmp_path: Path) -> None:
    home = _home(cli, tmp_path, "aut", "AUT", 18491)
    inverted = cli(
        "--home", home, "statistics", "report", "--from", "2026-02-01", "--to", "2026-01-01"
    )
    assert inverted.exit_code == 2 and "before it starts" in inverted.stderr
    bad_day = cli(
        "--home", home, "statistics", "report", "--from", "yesterday", "--to", "2026-01-01"
    )
    assert bad_day.exit_code == 2 and "YYYY-MM-DD" in bad_day.stderr
    epsilon = cli("--home", home, "statistics", "report", *YEAR, "--epsilon", "50")
    assert epsilon.exit_code == 2 and "epsilon must be" in epsilon.stderr
    both = cli("--home", home, "statistics", "report", *YEAR, "--json", "--csv")
    assert both.exit_code == 2 and "one of" in both.stderr
    national = cli("--home", home, "statistics", "global", *YEAR)
    assert national.exit_code == 2 and "not a secretariat" in national.stderr
    nowhere = cli("--home", home, "statistics", "send", *YEAR, "--secretariat", "un.example")
    assert nowhere.exit_code == 2 and "directory" in nowhere.stderr
    # An empty period on a node without a directory: still a signed report.
    empty = cli("--home", home, "statistics", "report", *YEAR, "--json")
    assert empty.exit_code == 0 and empty.json()["report"]["tables"][0]["total"] == 0
