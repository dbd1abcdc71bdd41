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


def test_the_anonymous_home_page_names_no_path_and_no_schema_revision(node: Node) -> None:
    from hanoix.store import migrate

    revision = migrate.current_revision(node.engine)
    home = str(node.settings.home.resolve())
    with TestClient(create_app(node)) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert revision and revision not in response.text
    assert home not in response.text
    assert str(node.settings.home.resolve().parent) not in response.text
    assert "schema" not in response.text.lower()


def test_the_pages_link_to_docs_served_by_the_node(node: Node) -> None:
    with TestClient(create_app(node)) as client:
        page = client.get("/")
        docs = client.get("/api/v1/docs")
    assert 'href="/api/v1/docs"' in page.text
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text
