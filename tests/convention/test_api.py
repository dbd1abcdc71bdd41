from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services.node import Node

BASE = "/api/v1/convention"


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as test_client:
        yield test_client


def test_articles(client: TestClient) -> None:
    response = client.get(f"{BASE}/articles")
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 68
    assert body[41]["number"] == 42
    assert body[41]["basis"] == "recalled"


def test_articles_of_a_chapter(client: TestClient) -> None:
    response = client.get(f"{BASE}/articles", params={"chapter": 3})
    assert [a["number"] for a in response.json()] == [22]


def test_unknown_chapter_is_a_problem_document(client: TestClient) -> None:
    response = client.get(f"{BASE}/articles", params={"chapter": 12})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "the Convention has chapters 1 to 9; got 12"


def test_one_article_with_its_rules(client: TestClient) -> None:
    response = client.get(f"{BASE}/articles/65")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Entry into force"
    assert body["chapter_roman"] == "IX"
    names = {rule["source"] for rule in body["rules"]}
    assert "final provisions: period entry-into-force-later-party" in names


def test_unknown_article_is_404(client: TestClient) -> None:
    response = client.get(f"{BASE}/articles/70")
    assert response.status_code == 404
    assert response.json()["detail"] == "the Convention has articles 1 to 68; got 70"


def test_kinds(client: TestClient) -> None:
    response = client.get(f"{BASE}/kinds")
    assert response.status_code == 200
    kinds = response.json()
    assert [k["code"] for k in kinds][:3] == ["mla", "preservation", "traffic-disclosure"]
    assert len(kinds) == 13


def test_one_kind(client: TestClient) -> None:
    response = client.get(f"{BASE}/kinds/extradition")
    assert response.status_code == 200
    body = response.json()
    assert body["dual_criminality"]["rule"] == "required"
    assert body["contents_inferred"] is True
    assert body["periods"][0]["article"] == "Art. 37(1)"


def test_unknown_kind_is_404_with_a_suggestion(client: TestClient) -> None:
    response = client.get(f"{BASE}/kinds/extradtion")
    assert response.status_code == 404
    assert "did you mean 'extradition'?" in response.json()["detail"]


def test_notifications(client: TestClient) -> None:
    response = client.get(f"{BASE}/notifications")
    assert response.status_code == 200
    body = response.json()
    assert [n["code"] for n in body][-3:] == [
        "prevention-authority",
        "extradition-authority",
        "optional-element",
    ]
    languages = next(n for n in body if n["code"] == "languages")
    assert languages["fields"][0]["type"] == "language-codes"
