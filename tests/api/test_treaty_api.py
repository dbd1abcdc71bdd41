"""``/api/v1/treaty``: the same answers as the CLI, errors as problem+json."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services import treaty as service
from hanoix.services.node import Node

FORTY = [
    "DZA", "AGO", "AUS", "AUT", "AZE", "BLR", "BEL", "BRA", "BRN", "BFA", "KHM", "CHL", "CHN",
    "CRI", "CIV", "CUB", "CZE", "PRK", "COD", "DJI", "DOM", "ECU", "EGY", "FRA", "GHA", "GRC",
    "GNB", "IRN", "IRL", "JAM", "VNM", "RUS", "VEN", "NIC", "ESP", "LUX", "POL", "PRT", "SVK",
    "SVN",
]  # fmt: skip


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as test_client:
        yield test_client


@pytest.fixture
def in_force(node: Node) -> Node:
    rows = "".join(f"{code},ratification,2027-03-02\n" for code in FORTY)
    content = ("participant,action,date\n" + rows).encode()
    service.import_bytes(node, content, service.ImportFormat.CSV, name="forty.csv")
    return node


def test_status_defaults_to_the_node_clock(client: TestClient) -> None:
    response = client.get("/api/v1/treaty/status")
    assert response.status_code == 200
    body = response.json()
    assert body["on"] == "2026-11-23"
    assert body["signatories"] == 69
    assert body["parties"] == 0
    assert body["instruments_counted"] == 0
    assert body["instruments_needed"] == 40
    assert body["entry_into_force"] is None
    assert body["in_force"] is False
    assert body["dataset"]["as_of"] == "2026-12-03"
    assert any("partial" in w for w in body["warnings"])


def test_status_on_a_date_after_forty_instruments(client: TestClient, in_force: Node) -> None:
    body = client.get("/api/v1/treaty/status", params={"on": "2027-05-31"}).json()
    assert body["instruments_counted"] == 40
    assert body["fortieth_deposit"] == "2027-03-02"
    assert body["entry_into_force"] == "2027-05-31"
    assert body["in_force"] is True


def test_a_bad_date_is_a_problem_document(client: TestClient) -> None:
    response = client.get("/api/v1/treaty/status", params={"on": "2026-13-01"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "on: 2026-13-01 is not a date; write YYYY-MM-DD" in response.json()["detail"]


def test_a_participant(client: TestClient, in_force: Node) -> None:
    response = client.get("/api/v1/treaty/participants/vnm", params={"on": "2027-06-01"})
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "VNM"
    assert body["name"] == "Viet Nam"
    assert body["standing"] == "party"
    assert body["in_force_from"] == "2027-05-31"
    assert [a["action"] for a in body["actions"]] == ["signature", "ratification"]


def test_azerbaijans_reservations_and_domestic_approval_as_shipped(client: TestClient) -> None:
    # Issue 12: the shipped data's statements appear in the participant's record, as lodged.
    body = client.get("/api/v1/treaty/participants/AZE", params={"on": "2026-12-03"}).json()
    assert body["standing"] == "signed"
    reservations = [d for d in body["declarations"] if d["form"] == "reservation"]
    assert [(d["article"], d["kind"]) for d in reservations] == [
        ("Art. 7(2)", "optional-element"),
        ("Art. 9(2)", "optional-element"),
        ("Art. 11(3)", "reservation-misuse-of-devices"),
        ("Art. 63(3)", "reservation-dispute-settlement"),
    ]
    extradition = next(d for d in body["declarations"] if d["kind"] == "extradition-authority")
    assert (extradition["text"], extradition["basis"]) == ("Ministry of Justice", "reported")
    domestic = [a for a in body["actions"] if a["action"] == "domestic-approval"]
    assert [(a["date"], a["basis"]) for a in domestic] == [("2026-02-23", "reported")]
    assert "not a deposit" in body["message"]


def test_an_unknown_participant_is_404_with_a_suggestion(client: TestClient) -> None:
    response = client.get("/api/v1/treaty/participants/VNN")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "VNM (Viet Nam)" in response.json()["detail"]


def test_applies_yes_and_no(client: TestClient, in_force: Node) -> None:
    yes = client.get("/api/v1/treaty/applies", params={"a": "VNM", "b": "FRA", "on": "2027-05-31"})
    assert yes.status_code == 200
    assert yes.json()["applies"] is True
    no = client.get("/api/v1/treaty/applies", params={"a": "VNM", "b": "USA", "on": "2027-05-31"})
    assert no.status_code == 200
    body = no.json()
    assert body["applies"] is False
    assert [r["reason"] for r in body["reasons"]] == ["in-force", "not-signed"]


def test_applies_needs_both_participants(client: TestClient) -> None:
    response = client.get("/api/v1/treaty/applies", params={"a": "VNM"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_export_csv_and_json(client: TestClient) -> None:
    as_csv = client.get("/api/v1/treaty/export")
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 77
    assert rows[0].keys() >= {"participant", "action", "date"}
    as_json = client.get("/api/v1/treaty/export", params={"format": "json"})
    assert as_json.headers["content-type"].startswith("application/json")
    assert len(as_json.json()["actions"]) == 70
    assert client.get("/api/v1/treaty/export", params={"format": "xml"}).status_code == 422


def test_the_routes_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/treaty/status",
        "/api/v1/treaty/participants/{code}",
        "/api/v1/treaty/applies",
        "/api/v1/treaty/export",
    } <= paths.keys()
