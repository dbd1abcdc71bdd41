"""``GET /api/v1/statistics/report`` and ``POST /api/v1/statistics/verify``: the signed report
for the readers of the node's State, verified; refused to others; bad periods named."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from tests.federation.builders import Network, make_network
from tests.services.requests_world import add_people, token
from tests.statistics.history import EMAIL, NAME, seed

YEAR = "from=2026-01-01&to=2026-12-31"


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    network = make_network(tmp_path_factory.mktemp("statistics-api"), ["aut", "vnm"])
    node = network["aut"].node
    with node.unit_of_work() as session:
        seed(session)
    add_people(
        node,
        [("VNM-CA", "central-authority", "VNM")],
        {
            "officer": ({"officer_24_7"}, "AUT-CA"),
            "examiner": ({"examiner"}, "AUT-CA"),
            "admin": ({"administrator"}, None),
            "foreigner": ({"drafter"}, "VNM-CA"),
        },
    )
    yield network
    network.close()


@pytest.fixture(scope="module")
def client(net: Network) -> Iterator[TestClient]:
    with TestClient(create_app(net["aut"].node)) as test_client:
        yield test_client


def test_a_reader_gets_the_signed_report_and_it_verifies(net: Network, client: TestClient) -> None:
    node = net["aut"].node
    answer = client.get(f"/api/v1/statistics/report?{YEAR}", headers=token(node, "officer"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["report"]["state"] == "AUT"
    assert NAME not in answer.text and EMAIL not in answer.text
    checked = client.post(
        "/api/v1/statistics/verify",
        content=answer.content,
        headers={**token(node, "admin"), "Content-Type": "application/json"},
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["origin"] == "aut.hanoix.test"
    altered = answer.content.replace(b'"total": 10', b'"total": 12', 1)
    assert altered != answer.content
    refused = client.post(
        "/api/v1/statistics/verify",
        content=altered,
        headers={**token(node, "admin"), "Content-Type": "application/json"},
    )
    assert refused.status_code == 422 and "altered" in refused.text


@pytest.mark.parametrize(("who", "status"), [("examiner", 403), ("foreigner", 403), (None, 401)])
def test_others_may_not_read_statistics(
    net: Network, client: TestClient, who: str | None, status: int
) -> None:
    headers = token(net["aut"].node, who) if who else {}
    assert client.get(f"/api/v1/statistics/report?{YEAR}", headers=headers).status_code == status


def test_bad_periods_and_epsilons_are_named(net: Network, client: TestClient) -> None:
    headers = token(net["aut"].node, "officer")
    inverted = client.get(
        "/api/v1/statistics/report?from=2026-02-01&to=2026-01-01", headers=headers
    )
    assert inverted.status_code == 422 and "before it starts" in inverted.text
    bad_day = client.get("/api/v1/statistics/report?from=soon&to=2026-01-01", headers=headers)
    assert bad_day.status_code == 422 and "YYYY-MM-DD" in bad_day.text
    epsilon = client.get(f"/api/v1/statistics/report?{YEAR}&epsilon=50", headers=headers)
    assert epsilon.status_code == 422
