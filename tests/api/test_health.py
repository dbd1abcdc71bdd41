from __future__ import annotations

from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services.node import Node


def test_health_reports_ok_and_the_schema(node: Node) -> None:
    with TestClient(create_app(node)) as client:
        response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["schema_current"] is True


def test_openapi_document_is_served(node: Node) -> None:
    with TestClient(create_app(node)) as client:
        response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Hanoi Exchange"


def test_unknown_route_is_problem_json(node: Node) -> None:
    with TestClient(create_app(node)) as client:
        response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404
