"""The administrators' routes for the node's users: list, deactivate and activate, unlock,
tokens, second factor. Everyone else gets 403."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services import auth
from hanoix.services.node import Node

pytestmark = pytest.mark.usefixtures("cheap_passwords")

PASSWORD = "correct horse battery"


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with node.unit_of_work() as session:
        auth.add_authority(
            session, node.clock, auth.Authority("VNM-247", "A05", "contact-24-7", "VNM")
        )
        for name, roles, authority in (
            ("lan", {"officer_24_7"}, "VNM-247"),
            ("root", {"administrator"}, None),
        ):
            auth.add_user(
                session,
                node.clock,
                username=name,
                display_name=name,
                roles=roles,
                authority=authority,
                password=PASSWORD,
            )
    with TestClient(create_app(node)) as c:
        yield c


def _token(node: Node, name: str) -> dict[str, str]:
    with node.unit_of_work() as session:
        token = auth.issue_token(session, node.clock, auth.user_id(session, name), "t")
    return {"Authorization": f"Bearer {token}"}


def test_only_administrators_manage_users(client: TestClient, node: Node) -> None:
    lan = _token(node, "lan")
    assert client.get("/api/v1/users", headers=lan).status_code == 403
    assert client.post("/api/v1/users/root/deactivate", headers=lan).status_code == 403
    assert client.get("/api/v1/users").status_code == 401
    listed = client.get("/api/v1/users", headers=_token(node, "root"))
    assert listed.status_code == 200
    assert [u["username"] for u in listed.json()] == ["lan", "root"]
    assert listed.json()[0]["second_factor"] == "none"
    assert "password_hash" not in listed.json()[0]


def test_a_deactivated_users_session_and_tokens_are_401_at_once(
    client: TestClient, node: Node
) -> None:
    root = _token(node, "root")
    lan = _token(node, "lan")
    client.post("/api/v1/auth/login", json={"username": "lan", "password": PASSWORD})
    assert client.get("/api/v1/auth/me").status_code == 200
    done = client.post("/api/v1/users/lan/deactivate", headers=root)
    assert done.status_code == 200
    assert done.json()["active"] is False
    assert client.get("/api/v1/auth/me").status_code == 401  # the cookie's session
    assert client.get("/api/v1/auth/me", headers=lan).status_code == 401
    client.cookies.clear()
    again = client.post("/api/v1/users/lan/activate", headers=root)
    assert again.json()["active"] is True
    assert client.get("/api/v1/auth/me", headers=lan).status_code == 401  # stays revoked
    assert client.post("/api/v1/users/ghost/deactivate", headers=root).status_code == 404


def test_an_administrator_cannot_deactivate_themselves(client: TestClient, node: Node) -> None:
    refused = client.post("/api/v1/users/root/deactivate", headers=_token(node, "root"))
    assert refused.status_code == 403
    assert "another administrator" in refused.json()["detail"]


def test_unlock_after_a_lockout(client: TestClient, node: Node) -> None:
    with node.unit_of_work() as session:
        lan = auth.user_id(session, "lan")
    for _ in range(node.credentials.policy.lockout_after):
        node.credentials.record_failure("lan", None, lan)
    listed = {
        u["username"]: u for u in client.get("/api/v1/users", headers=_token(node, "root")).json()
    }
    assert listed["lan"]["locked"] is True
    login = {"username": "lan", "password": PASSWORD}
    assert client.post("/api/v1/auth/login", json=login).status_code in (401, 429)
    unlocked = client.post("/api/v1/users/lan/unlock", headers=_token(node, "root"))
    assert unlocked.status_code == 200
    assert unlocked.json()["locked"] is False
    assert client.post("/api/v1/auth/login", json=login).status_code == 200


def test_an_administrator_lists_and_revokes_a_users_tokens(client: TestClient, node: Node) -> None:
    root = _token(node, "root")
    lan = _token(node, "lan")
    listed = client.get("/api/v1/users/lan/tokens", headers=root).json()
    assert len(listed) == 1
    token_id = listed[0]["id"]
    assert client.delete(f"/api/v1/users/root/tokens/{token_id}", headers=root).status_code == 404
    assert client.delete(f"/api/v1/users/lan/tokens/{token_id}", headers=root).status_code == 204
    assert client.get("/api/v1/auth/me", headers=lan).status_code == 401
    assert client.get("/api/v1/users/lan/tokens", headers=root).json() == []
    assert len(client.get("/api/v1/users/lan/tokens?all=true", headers=root).json()) == 1


def test_an_administrator_removes_a_second_factor(client: TestClient, node: Node) -> None:
    auth.enrol_totp(node, "lan")
    root = _token(node, "root")
    before = client.get("/api/v1/users", headers=root).json()
    assert before[0]["second_factor"] == "totp-unconfirmed"
    removed = client.delete("/api/v1/users/lan/totp", headers=root)
    assert removed.status_code == 200
    assert removed.json()["second_factor"] == "none"
