from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.config import load_settings
from hanoix.services import auth
from hanoix.services.node import Node

PASSWORD = "correct horse battery"


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with node.unit_of_work() as session:
        auth.add_authority(
            session, node.clock, auth.Authority("VNM-247", "A05", "contact-24-7", "VNM")
        )
        auth.add_user(
            session,
            node.clock,
            username="lan",
            display_name="Lan",
            roles={"officer_24_7"},
            authority="VNM-247",
            password=PASSWORD,
        )
    with TestClient(create_app(node)) as c:
        yield c


def test_me_needs_authentication(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_login_sets_a_strict_http_only_cookie_and_me_works(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "lan", "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["authority"] == "VNM-247"
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_wrong_password_is_401(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "lan", "password": "nope"})
    assert response.status_code == 401


def test_bearer_token_from_a_session(client: TestClient) -> None:
    client.post("/api/v1/auth/login", json={"username": "lan", "password": PASSWORD})
    issued = client.post("/api/v1/auth/tokens", json={"name": "script", "lifetime_days": 7})
    assert issued.status_code == 201
    token = issued.json()["token"]
    client.cookies.clear()
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "lan"
    bad = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer hxt_x_y"})
    assert bad.status_code == 401


def test_two_nodes_on_one_host_keep_their_own_sessions(tmp_path: Path) -> None:
    # Browsers keep cookies per host, not per port: the demo's three nodes share 127.0.0.1.
    clients = []
    for name in ("vnm", "aut"):
        other = Node.open(load_settings(tmp_path / name, environ={"HANOIX_STATE": "VNM"}))
        other.initialise()
        with other.unit_of_work() as session:
            auth.add_authority(
                session, other.clock, auth.Authority("VNM-247", "A05", "contact-24-7", "VNM")
            )
            auth.add_user(
                session,
                other.clock,
                username="lan",
                display_name="Lan",
                roles={"officer_24_7"},
                authority="VNM-247",
                password=PASSWORD,
            )
        clients.append(TestClient(create_app(other)))
    first, second = clients
    browser: dict[str, str] = {}  # one cookie jar for the host, as a browser keeps

    def call(client: TestClient, method: str, path: str, **kwargs: Any) -> Any:
        client.cookies.clear()
        cookie = "; ".join(f"{name}={value}" for name, value in browser.items())
        response = client.request(method, path, headers={"Cookie": cookie}, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0].strip('"')
            if "max-age=0" in header.lower():
                browser.pop(name, None)
            else:
                browser[name] = value
        return response

    for client in (first, second):
        login = {"username": "lan", "password": PASSWORD}
        assert call(client, "POST", "/api/v1/auth/login", json=login).status_code == 200
    assert len(browser) == 2
    assert call(first, "GET", "/api/v1/auth/me").status_code == 200
    assert call(second, "GET", "/api/v1/auth/me").status_code == 200
    assert call(second, "POST", "/api/v1/auth/logout").status_code == 204
    assert call(first, "GET", "/api/v1/auth/me").status_code == 200
    assert call(second, "GET", "/api/v1/auth/me").status_code == 401
    for client in clients:
        client.app.state.node.close()  # type: ignore[attr-defined]
