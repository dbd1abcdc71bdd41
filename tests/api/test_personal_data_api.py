"""``POST /api/v1/personal-data/find``: the data-protection officer finds where the node holds
an identifier; anyone else is refused, and a too-short identifier is a clear 422."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services.node import Node
from tests.services.requests_world import add_people, outgoing, populate, token


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    populate(node)
    add_people(node, [], {"dpo": ({"data_protection_officer"}, "AUT-CA")})
    outgoing(node, "sent", proceeding="against Erika Mustermann")
    with TestClient(create_app(node)) as test_client:
        yield test_client


def test_the_officer_finds_the_request_and_who_acted_on_it(client: TestClient, node: Node) -> None:
    answer = client.post(
        "/api/v1/personal-data/find",
        json={"identifier": "Mustermann"},
        headers=token(node, "dpo"),
    )
    assert answer.status_code == 200, answer.text
    (place,) = answer.json()["places"]
    assert place["kind"] == "request" and "terms.proceeding" in place["where"]
    assert {a["actor"] for a in place["accesses"]} >= {"editor", "approver2"}


def test_others_are_refused_and_a_short_identifier_is_unprocessable(
    client: TestClient, node: Node
) -> None:
    refused = client.post(
        "/api/v1/personal-data/find",
        json={"identifier": "Mustermann"},
        headers=token(node, "admin"),
    )
    assert refused.status_code == 403
    short = client.post(
        "/api/v1/personal-data/find", json={"identifier": "Mu"}, headers=token(node, "dpo")
    )
    assert short.status_code == 422 and "too short to search safely" in short.text
