"""A request read through the API before retention erased its personal data: the copy the
client holds is not confirmed afterwards (the erasure makes no new version), and the answer
names the erasure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services.node import Node
from tests.services.requests_world import outgoing, populate, token


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    populate(node)
    with TestClient(create_app(node)) as test_client:
        yield test_client


def test_a_copy_read_before_an_erasure_is_not_confirmed_after_it(
    client: TestClient, node: Node, clock: Any
) -> None:
    from datetime import timedelta

    from hanoix.services import retention

    request = outgoing(node, "withdrawn", proceeding="against Ludmila Petrova")
    path = f"/api/v1/requests/{request.reference}"
    headers = token(node, "editor")
    first = client.get(path, headers=headers)
    tag = first.headers["ETag"]
    assert client.get(path, headers={**headers, "If-None-Match": tag}).status_code == 304
    clock.advance(timedelta(days=366))
    retention.run(node)
    headers = token(node, "editor")  # the first token has long expired
    again = client.get(path, headers={**headers, "If-None-Match": tag})
    assert again.status_code == 200 and "Petrova" not in again.text
    assert again.json()["erasures"][0]["rule"] == "personal-data:365d"
