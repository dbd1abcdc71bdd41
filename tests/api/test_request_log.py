"""The line the API logs per HTTP request, and the request id it answers with."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.logs import configure_logging
from hanoix.services.node import Node


def _http_lines(err: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "http.request"]


def test_each_request_logs_its_route_template_status_and_id(
    node: Node, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info", as_json=True)
    try:
        with TestClient(create_app(node)) as client:
            capsys.readouterr()
            found = client.get("/api/v1/requests/AUT-2026-0001", headers={"x-request-id": "r-1"})
            missing = client.get("/no/such/path")
        lines = _http_lines(capsys.readouterr().err)
    finally:
        configure_logging("warning")
    assert found.status_code == 401
    assert found.headers["x-request-id"] == "r-1"
    # A fresh id when the caller sent none, so the line and the answer can be matched.
    assert len(missing.headers["x-request-id"]) == 32
    by_id = {line["request_id"]: line for line in lines}
    assert by_id["r-1"]["route"] == "/requests/{reference}"
    assert by_id["r-1"]["status"] == 401
    assert by_id["r-1"]["method"] == "GET"
    assert "AUT-2026-0001" not in json.dumps(by_id["r-1"])  # the template, not the reference
    assert by_id[missing.headers["x-request-id"]]["route"] == "unmatched"
    assert by_id[missing.headers["x-request-id"]]["status"] == 404
