"""The reports page: the period's tables and SVG charts in the reader's language, the signed
report to download, nothing for an examiner, a bad period named on the page."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.services.node import Node
from tests.statistics.history import EMAIL, NAME, NOW, seed
from tests.web.pages import add_users, assert_nothing_inline, sign_in

pytestmark = pytest.mark.usefixtures("cheap_passwords")

YEAR = "from=2026-01-01&to=2026-12-31"


@pytest.fixture
def aut(tmp_path: Path) -> Iterator[Node]:
    settings = load_settings(tmp_path / "home", environ={}, state="AUT")
    node = Node.open(settings, clock=FixedClock(NOW))
    node.initialise()
    with node.unit_of_work() as session:
        seed(session)
    add_users(
        node,
        {
            "clerk": ("Anna Berger", {"drafter"}, "AUT-CA"),
            "examiner": ("Eva Klein", {"examiner"}, "AUT-CA"),
        },
    )
    yield node
    node.close()


def _client(node: Node, who: str) -> TestClient:
    client = TestClient(create_app(node), base_url="https://node.test")
    sign_in(client, who)
    return client


def test_a_reader_sees_the_tables_and_charts_in_french(aut: Node) -> None:
    with _client(aut, "clerk") as client:
        page = client.get(f"/reports?{YEAR}", headers={"Accept-Language": "fr"})
        assert page.status_code == 200, page.text
        html = page.text
        assert_nothing_inline(html, "/reports")
        assert "Demandes envoyées, par type et issue" in html and "exécutée en partie" in html
        assert 'href="/reports"' in html  # the header's link
        charts = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
        assert len(charts) == 3
        drawn = base64.b64decode(charts[0]).decode()
        assert drawn.startswith("<svg") and "<script" not in drawn and "Demandes par issue" in drawn
        table = re.search(r'data-table="outcomes_sent">(.*?)</table>', html, re.S)
        assert table and "&lt;5" in table.group(1)
        assert "Mutual legal assistance (mla)" in table.group(1)
        for value in (NAME, EMAIL):
            assert value not in html and value not in drawn
        signed = client.get(f"/reports/signed.json?{YEAR}")
        assert signed.status_code == 200
        assert "attachment" in signed.headers["content-disposition"]
        assert json.loads(signed.content)["report"]["period"]["from"] == "2026-01-01"


def test_an_examiner_may_not_and_a_bad_period_is_named(aut: Node) -> None:
    with _client(aut, "examiner") as client:
        assert client.get(f"/reports?{YEAR}").status_code == 403
        assert client.get(f"/reports/signed.json?{YEAR}").status_code == 403
        assert 'href="/reports"' not in client.get("/").text
    with _client(aut, "clerk") as client:
        inverted = client.get("/reports?from=2026-02-01&to=2026-01-01")
        assert inverted.status_code == 400 and "before it starts" in inverted.text


def test_the_threshold_and_epsilon_are_asked_for_and_the_csv_is_there(aut: Node) -> None:
    with _client(aut, "clerk") as client:
        page = client.get(f"/reports?{YEAR}&threshold=10&epsilon=1")
        assert page.status_code == 200, page.text
        html = page.text
        assert "Counts under 10 are withheld" in html and "epsilon 1.0" in html
        table = re.search(r'data-table="outcomes_sent">(.*?)</table>', html, re.S)
        assert table and "&lt;10" in table.group(1)
        query = "from=2026-01-01&amp;to=2026-12-31&amp;threshold=10&amp;epsilon=1.0"
        assert f'href="/reports/report.csv?{query}"' in html
        assert f'href="/reports/signed.json?{query}"' in html
        csv = client.get("/reports/report.csv?from=2026-01-01&to=2026-12-31&threshold=10")
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert "attachment" in csv.headers["content-disposition"]
        lines = csv.text.splitlines()
        assert lines[0] == "section,table,row,column,value"
        assert any(line.startswith("table,outcomes_sent,") and "<10" in line for line in lines)
        assert NAME not in csv.text and EMAIL not in csv.text
        signed = client.get("/reports/signed.json?from=2026-01-01&to=2026-12-31&threshold=10")
        assert json.loads(signed.content)["report"]["protection"]["small_cells"]["threshold"] == 10


def test_each_field_that_cannot_be_used_is_named_on_the_page(aut: Node) -> None:
    with _client(aut, "clerk") as client:
        page = client.get(
            "/reports?from=2026-13-01&to=2026-12-31&threshold=many&epsilon=50",
            headers={"Accept-Language": "fr"},
        )
        assert page.status_code == 400
        html = page.text
        for name in ("from", "threshold", "epsilon"):
            assert f'aria-invalid="true" aria-describedby="problem-{name}"' in html
            assert f'id="problem-{name}"' in html
        assert (
            'id="to" name="to" type="text" inputmode="numeric" value="2026-12-31" maxlength="40">'
            in html
        )
        assert "nombre entier de 1 à 100" in html and "de 0.01 à 10.0" in html
        assert 'value="many"' in html and 'data-testid="report"' not in html
        assert (
            client.get("/reports/report.csv?from=2026-01-01&to=2026-12-31&epsilon=0").status_code
            == 400
        )
    with _client(aut, "examiner") as client:
        assert client.get(f"/reports/report.csv?{YEAR}").status_code == 403
