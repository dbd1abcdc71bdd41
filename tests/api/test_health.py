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


def test_only_an_administrator_or_auditor_learns_the_version_and_schema(node: Node) -> None:
    import hanoix
    from hanoix.store import migrate
    from tests.services.requests_world import populate, token

    populate(node)
    with TestClient(create_app(node)) as client:
        anonymous = client.get("/api/v1/health").json()
        bad = client.get("/api/v1/health", headers={"Authorization": "Bearer hxt_x_y"})
        drafter = client.get("/api/v1/health", headers=token(node, "drafter")).json()
        admin = client.get("/api/v1/health", headers=token(node, "admin")).json()
        auditor = client.get("/api/v1/health", headers=token(node, "auditor")).json()
    for told_nothing in (anonymous, bad.json(), drafter):
        assert told_nothing["version"] is None and told_nothing["schema_revision"] is None
        assert told_nothing["status"] == "ok" and told_nothing["schema_current"] is True
    assert bad.status_code == 200  # a bad token is a stranger here, not an error
    for told in (admin, auditor):
        assert told["version"] == hanoix.__version__
        assert told["schema_revision"] == migrate.HEAD_REVISION


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


def test_a_database_that_cannot_be_reached_is_a_503_problem_with_retry_after(node: Node) -> None:
    from hanoix.store.db import make_engine, session_factory
    from tests.federation.multinode import free_port

    # Nothing listens on this port: every unit of work fails to connect, as when the server
    # is stopped (tests/faults/test_database_outage.py stops a real one).
    node.sessions = session_factory(make_engine(f"postgresql://x@127.0.0.1:{free_port()}/x"))
    with TestClient(create_app(node)) as client:
        response = client.post("/api/v1/auth/login", json={"username": "a", "password": "b"})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["type"].endswith("/database-unavailable")
    assert body["detail"].startswith("the node's database is unavailable (")
