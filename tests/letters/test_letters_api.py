"""GET /api/v1/requests/{ref}/letter: the letter as application/pdf for whoever may read the
request; a clear problem for an unknown language; the same 404 as the request elsewhere."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.letters import signing
from hanoix.services.node import Node
from tests.services.requests_world import outgoing, token


def test_the_api_gives_the_letter_signed_once_approved(world_node: Node) -> None:
    approved = outgoing(world_node, "approved")
    draft = outgoing(world_node, "draft")
    path = "/api/v1/requests/{}/letter"
    with TestClient(create_app(world_node), base_url="https://node.test") as client:
        editor = token(world_node, "editor")
        letter = client.get(path.format(approved.reference), params={"lang": "es"}, headers=editor)
        assert letter.status_code == 200
        assert letter.headers["content-type"] == "application/pdf"
        assert letter.headers["x-letter-draft"] == "false"
        assert f'filename="{approved.reference}-es.pdf"' in letter.headers["content-disposition"]
        assert signing.read_signature(letter.content) is not None
        unsigned = client.get(path.format(draft.reference), headers=editor)
        assert unsigned.headers["x-letter-draft"] == "true"
        assert signing.read_signature(unsigned.content) is None
        unknown = client.get(path.format(draft.reference), params={"lang": "xx"}, headers=editor)
        assert unknown.status_code == 422, unknown.text
        assert "no letter wording for language 'xx'" in unknown.json()["detail"]
        outsider = client.get(path.format(draft.reference), headers=token(world_node, "vnm-clerk"))
        missing = client.get(path.format("AUT-2026-999999"), headers=editor)
        assert outsider.status_code == missing.status_code == 404
