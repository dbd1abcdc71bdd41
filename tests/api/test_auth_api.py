from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.services import auth, second_factor
from hanoix.services.node import Node

pytestmark = pytest.mark.usefixtures("cheap_passwords")

PASSWORD = "correct horse battery"
LOGIN = "/api/v1/auth/login"


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
        auth.add_user(
            session,
            node.clock,
            username="root",
            display_name="Root",
            roles={"administrator"},
            authority=None,
            password=PASSWORD,
        )
    with TestClient(create_app(node)) as c:
        yield c


def _sign_in(client: TestClient, username: str = "lan", **extra: str) -> None:
    response = client.post(LOGIN, json={"username": username, "password": PASSWORD, **extra})
    assert response.status_code == 200, response.text


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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


def test_a_token_that_never_expires_is_refused_naming_the_maximum(client: TestClient) -> None:
    _sign_in(client)
    for asked in (None, 91, 100000):
        refused = client.post("/api/v1/auth/tokens", json={"name": "x", "lifetime_days": asked})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "1 to 90 days" in refused.json()["detail"]
        assert refused.json()["problems"][0]["field"] == "lifetime_days"
    issued = client.post("/api/v1/auth/tokens", json={"name": "x"})
    assert issued.status_code == 201
    assert issued.json()["expires_at"] == "2027-02-21T12:00:00Z"


def test_a_token_cannot_make_another(client: TestClient) -> None:
    _sign_in(client)
    token = client.post("/api/v1/auth/tokens", json={"name": "x"}).json()["token"]
    client.cookies.clear()
    again = client.post("/api/v1/auth/tokens", json={"name": "y"}, headers=_bearer(token))
    assert again.status_code == 403
    assert "web session" in again.json()["detail"]


def test_signing_out_kills_the_tokens_made_in_the_session(client: TestClient) -> None:
    _sign_in(client)
    token = client.post("/api/v1/auth/tokens", json={"name": "x"}).json()["token"]
    assert client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 401


def test_you_list_and_revoke_your_own_tokens(client: TestClient) -> None:
    _sign_in(client)
    first = client.post("/api/v1/auth/tokens", json={"name": "one", "lifetime_days": 3}).json()
    client.post("/api/v1/auth/tokens", json={"name": "two"})
    listed = client.get("/api/v1/auth/tokens").json()
    assert [t["name"] for t in listed] == ["one", "two"] or {t["name"] for t in listed} == {
        "one",
        "two",
    }
    assert all(t["status"] == "live" and t["from_web_session"] for t in listed)
    assert "token" not in listed[0]
    assert client.delete(f"/api/v1/auth/tokens/{first['id']}").status_code == 204
    assert client.get("/api/v1/auth/me", headers=_bearer(first["token"])).status_code == 401
    assert [t["name"] for t in client.get("/api/v1/auth/tokens").json()] == ["two"]
    everything = client.get("/api/v1/auth/tokens?all=true").json()
    assert sorted(t["status"] for t in everything) == ["live", "revoked"]
    assert client.delete("/api/v1/auth/tokens/0000000000000000").status_code == 404


def test_throttled_sign_in_is_429_with_retry_after(client: TestClient, node: Node) -> None:
    for _ in range(5):
        wrong = client.post(LOGIN, json={"username": "lan", "password": "wrong password!"})
        assert wrong.status_code == 401
        assert wrong.json()["detail"] == auth.SIGN_IN_REFUSED
    right = client.post(LOGIN, json={"username": "lan", "password": PASSWORD})
    assert right.status_code == 429
    assert right.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(right.headers["retry-after"]) <= 60
    assert node.clock.now()  # the clock did not move: still refused
    assert client.post(LOGIN, json={"username": "lan", "password": PASSWORD}).status_code == 429


def test_a_busy_node_answers_503(tmp_path: Path, db_url: str, clock: FixedClock) -> None:
    settings = load_settings(
        tmp_path / "busy", environ={}, database_url=db_url, login_concurrency=1, login_queue=0
    )
    node = Node.open(settings, clock=clock)
    node.initialise()
    try:
        with TestClient(create_app(node)) as client, node.credentials.gate.slot():
            # The one password check allowed is under way, and no room is left to wait.
            busy = client.post(LOGIN, json={"username": "lan", "password": PASSWORD})
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "1"
        assert busy.headers["content-type"].startswith("application/problem+json")
    finally:
        node.close()


def test_sign_in_with_a_second_factor(client: TestClient, node: Node) -> None:
    _sign_in(client)
    enrolled = client.post("/api/v1/auth/totp")
    assert enrolled.status_code == 201
    secret = enrolled.json()["secret"]
    assert enrolled.json()["uri"].startswith("otpauth://totp/")
    bad = client.post("/api/v1/auth/totp/confirm", json={"code": "000000"})
    assert bad.status_code == 422
    code = second_factor.code_at(secret, node.clock.now())
    assert client.post("/api/v1/auth/totp/confirm", json={"code": code}).status_code == 204
    assert client.post("/api/v1/auth/totp").status_code == 409
    client.cookies.clear()
    asked = client.post(LOGIN, json={"username": "lan", "password": PASSWORD})
    assert asked.status_code == 401
    assert asked.json()["type"].endswith("/second-factor-required")
    clock = node.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(seconds=30))
    _sign_in(client, totp=second_factor.code_at(secret, clock.now()))
    replayed = client.post(
        LOGIN,
        json={
            "username": "lan",
            "password": PASSWORD,
            "totp": second_factor.code_at(secret, clock.now()),
        },
    )
    assert replayed.status_code == 401


def test_a_token_cannot_enrol_a_second_factor(client: TestClient) -> None:
    _sign_in(client)
    token = client.post("/api/v1/auth/tokens", json={"name": "x"}).json()["token"]
    client.cookies.clear()
    assert client.post("/api/v1/auth/totp", headers=_bearer(token)).status_code == 403


@pytest.fixture
def strict_node(tmp_path: Path, db_url: str, clock: FixedClock) -> Iterator[Node]:
    settings = load_settings(
        tmp_path / "strict", environ={}, database_url=db_url, totp_required_roles="approver"
    )
    node = Node.open(settings, clock=clock)
    node.initialise()
    with node.unit_of_work() as session:
        auth.add_authority(
            session, clock, auth.Authority("AUT-CA", "Ministry", "central-authority", "AUT")
        )
        auth.add_user(
            session,
            clock,
            username="mia",
            display_name="Mia",
            roles={"approver"},
            authority="AUT-CA",
            password=PASSWORD,
        )
    yield node
    node.close()


def test_an_approver_without_a_second_factor_may_only_enrol_one(strict_node: Node) -> None:
    with TestClient(create_app(strict_node)) as client:
        _sign_in(client, "mia")
        me = client.get("/api/v1/auth/me").json()
        assert me["must_enrol_second_factor"] is True
        for method, path in (
            ("GET", "/api/v1/requests"),
            ("POST", "/api/v1/auth/tokens"),
            ("GET", "/api/v1/auth/tokens"),
        ):
            refused = client.request(method, path, json={"name": "x"})
            assert refused.status_code == 403, (path, refused.text)
            assert "second factor" in refused.json()["detail"]
        secret = client.post("/api/v1/auth/totp").json()["secret"]
        code = second_factor.code_at(secret, strict_node.clock.now())
        assert client.post("/api/v1/auth/totp/confirm", json={"code": code}).status_code == 204
        assert client.get("/api/v1/requests").status_code == 200


def test_the_throttle_counts_the_address_a_trusted_proxy_forwards(node: Node) -> None:
    attempts = {"username": "nobody", "password": "wrong password!"}
    app = create_app(node)
    proxy = TestClient(app, client=("127.0.0.1", 40000))
    for number in range(21):
        forwarded = {"X-Forwarded-For": f"198.51.100.{number}"}
        body = {**attempts, "username": f"nobody{number}"}
        # Twenty-one clients behind the proxy, one failure each: none is throttled.
        assert proxy.post(LOGIN, json=body, headers=forwarded).status_code == 401
    # From a peer that is not a trusted proxy, the header is ignored: its own address counts.
    outsider = TestClient(app, client=("192.0.2.50", 40000))
    for number in range(20):
        spoofed = {"X-Forwarded-For": f"203.0.113.{number}"}
        body = {**attempts, "username": f"spray{number}"}
        assert outsider.post(LOGIN, json=body, headers=spoofed).status_code == 401
    blocked = outsider.post(
        LOGIN,
        json={**attempts, "username": "spray-last"},
        headers={"X-Forwarded-For": "203.0.113.99"},
    )
    assert blocked.status_code == 429
    assert "from this address" in blocked.json()["detail"]
