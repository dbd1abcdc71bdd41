from __future__ import annotations

from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services.node import Node


def test_home_page_describes_the_node(node: Node) -> None:
    with TestClient(create_app(node)) as client:
        response = client.get("/")
        css = client.get("/static/hanoix.css")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "Hanoi Exchange" in response.text
    assert node.engine.dialect.name in response.text
    assert "Instruments counted" in response.text
    assert "0 of 40" in response.text
    assert css.status_code == 200
