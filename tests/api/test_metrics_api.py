"""The metrics endpoint (administrators and auditors only, Prometheus' text format) and the
load balancer's probes (liveness touches nothing; readiness needs the database at this
version's schema)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from hanoix.api.app import create_app
from hanoix.services.node import Node
from hanoix.store.db import make_engine
from tests.federation.multinode import free_port
from tests.services.requests_world import outgoing, populate, token


def test_metrics_are_for_administrators_and_auditors_only(node: Node) -> None:
    populate(node)
    outgoing(node, "draft")
    with TestClient(create_app(node)) as client:
        assert client.get("/api/v1/metrics").status_code == 401
        assert client.get("/api/v1/metrics", headers=token(node, "drafter")).status_code == 403
        answers = [
            client.get("/api/v1/metrics", headers=token(node, who)) for who in ("auditor", "admin")
        ]
    for response in answers:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        families = {f.name: f for f in text_string_to_metric_families(response.text)}
        [draft] = [s for s in families["hanoix_requests"].samples if s.labels["status"] == "draft"]
        assert draft.value == 1 and draft.labels["kind"] == "mla"
        # Figures about the node, never a request's reference.
        assert "AUT-" not in response.text.replace("AUT-CA", "")


def test_liveness_and_readiness_answer_200_on_a_node_at_its_schema(node: Node) -> None:
    with TestClient(create_app(node)) as client:
        assert client.get("/api/v1/health/live").json() == {"status": "ok", "reason": None}
        ready = client.get("/api/v1/health/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"


def test_a_schema_behind_this_version_is_not_ready(node: Node) -> None:
    with node.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001_initial'"))
    with TestClient(create_app(node)) as client:
        ready = client.get("/api/v1/health/ready")
        live = client.get("/api/v1/health/live")
    assert ready.status_code == 503
    assert "0001_initial" in ready.json()["reason"] and "hanoix init" in ready.json()["reason"]
    assert live.status_code == 200


def test_a_database_that_cannot_be_reached_is_not_ready_and_scrapes_as_down(node: Node) -> None:
    node.engine.dispose()  # its connections would hold the test's database open
    node.engine = make_engine(f"postgresql://x@127.0.0.1:{free_port()}/x")
    with TestClient(create_app(node)) as client:
        ready = client.get("/api/v1/health/ready")
        live = client.get("/api/v1/health/live")
    assert ready.status_code == 503 and ready.json()["reason"] == "the database is unreachable"
    assert live.status_code == 200
    exposition = node.metrics.exposition().decode()
    assert "hanoix_database_up 0.0" in exposition
