"""The secretariat's global tables on the web (``/reports/global``) and the API
(``GET /api/v1/statistics/global``): two national nodes report over federation, one
withdraws and reissues; the secretariat's auditors and administrators read the tables and each
State's report with its status and protection, in French; nobody else does, and a national
node has no such page."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services import secretariat
from tests.federation.builders import Network
from tests.services.requests_world import add_people, token
from tests.statistics.history import EMAIL, NAME
from tests.statistics.secretariat import report_withdraw_and_reissue, secretariat_network
from tests.web.pages import PASSWORD, signed_in_browser

pytestmark = pytest.mark.usefixtures("cheap_passwords")

PERIOD = "from=2026-01-01&to=2026-12-31"


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    network = secretariat_network(tmp_path_factory.mktemp("global"))
    add_people(
        network["sec"].node,
        [("UNO-SEC", "central-authority", "UNO")],
        {
            "chief": ({"administrator"}, None),
            "auditor": ({"auditor"}, "UNO-SEC"),
            "clerk": ({"drafter"}, "UNO-SEC"),
        },
        password=PASSWORD,
    )
    add_people(network["aut"].node, [], {"root": ({"administrator"}, None)}, password=PASSWORD)
    yield network
    network.close()


def test_the_secretariat_reads_the_global_tables_and_each_report(net: Network) -> None:
    # Before any report (this is the one test of the module that reports), the page says so.
    assert not secretariat.received_periods(net["sec"].node)
    with signed_in_browser(net["sec"].node, "chief") as client:
        page = client.get("/reports/global")
        assert page.status_code == 200 and 'data-testid="no-reports"' in page.text

    report_withdraw_and_reissue(net)

    with signed_in_browser(net["sec"].node, "chief") as client:
        # With no period asked for, the latest period reported on is shown.
        page = client.get("/reports/global", headers={"Accept-Language": "fr"})
        assert page.status_code == 200, page.text
        html = page.text
        assert 'href="/reports/global"' in html  # the header's link
        rows = re.findall(r'<tr data-status="([a-z]+)"><th scope="row">([A-Z]+)</th>', html)
        assert sorted(rows) == [("received", "ZAF"), ("reissued", "AUT"), ("withdrawn", "AUT")]
        assert "réémis, compte" in html and "retiré, ne compte pas" in html and "epsilon 1<" in html
        assert "Pays déclarants : demandes envoyées et reçues" in html
        by_state = re.search(r'data-table="by_state">(.*?)</table>', html, re.S)
        assert by_state and by_state.group(1).count("<td>10</td>") == 2
        assert re.search(r'data-table="preservations">.*?&gt;=2', html, re.S)
        chart = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
        assert chart
        drawn = base64.b64decode(chart.group(1)).decode()
        assert "<script" not in drawn and "Demandes par pays déclarant" in drawn
        for value in (NAME, EMAIL):
            assert value not in html and value not in drawn
        assert client.get("/reports/global?from=2026-12-31&to=2026-01-01").status_code == 400
        empty = client.get("/reports/global?from=2025-01-01&to=2025-12-31")
        assert empty.status_code == 200 and 'data-testid="nothing-counts"' in empty.text

    api = TestClient(create_app(net["sec"].node))
    answer = api.get(
        f"/api/v1/statistics/global?{PERIOD}", headers=token(net["sec"].node, "auditor")
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["states"] == ["AUT", "ZAF"]
    assert [(r["state"], r["status"], r["epsilon"]) for r in body["reports"]] == [
        ("AUT", "withdrawn", None),
        ("ZAF", "received", None),
        ("AUT", "reissued", 1.0),
    ]
    assert NAME not in answer.text and EMAIL not in answer.text


def test_others_may_not_and_a_national_node_has_no_global_tables(net: Network) -> None:
    with signed_in_browser(net["sec"].node, "clerk") as client:
        assert client.get("/reports/global").status_code == 403
        assert 'href="/reports/global"' not in client.get("/").text
    api = TestClient(create_app(net["sec"].node))
    denied = api.get(f"/api/v1/statistics/global?{PERIOD}", headers=token(net["sec"].node, "clerk"))
    assert denied.status_code == 403
    with signed_in_browser(net["aut"].node, "root") as client:
        assert client.get("/reports/global").status_code == 404
        assert 'href="/reports/global"' not in client.get("/").text
    national = TestClient(create_app(net["aut"].node))
    missing = national.get(
        f"/api/v1/statistics/global?{PERIOD}", headers=token(net["aut"].node, "root")
    )
    assert missing.status_code == 404 and "not a secretariat" in missing.text
