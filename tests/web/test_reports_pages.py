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
