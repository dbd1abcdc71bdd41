"""Signing in and out of the web pages, the form token, and the user's own account."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.services import auth, second_factor
from hanoix.services.node import Node
from tests.web.pages import PASSWORD, add_people, form_token, sign_in

pytestmark = pytest.mark.usefixtures("cheap_passwords")

NEW_PASSWORD = "a longer passphrase now"


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    add_people(node)
    with TestClient(create_app(node), base_url="https://node.test") as c:
        yield c


def test_the_sign_in_page_gives_a_form_token_bound_to_an_http_only_cookie(
    client: TestClient,
) -> None:
    page = client.get("/sign-in")
    assert page.status_code == 200
    cookie = page.headers["set-cookie"].lower()
    assert cookie.startswith("hanoix_form=") and "httponly" in cookie
    assert "samesite=strict" in cookie and "secure" in cookie
    assert form_token(page.text)
    assert 'data-testid="whoami"' not in page.text
    again = client.get("/sign-in")
    assert form_token(again.text) == form_token(page.text)  # one secret per browser
    assert "set-cookie" not in again.headers


def test_signing_in_shows_who_the_user_is_and_for_which_authority(client: TestClient) -> None:
    landed = sign_in(client, "lan")
    whoami = re.search(r'data-testid="whoami">(.*?)</span>\s*<form', landed, re.S)
    assert whoami, landed
    assert "Lan Nguyen" in whoami.group(1)
    assert "VNM-247" in whoami.group(1)
    assert "24/7 officer" in whoami.group(1)
    assert "Sign out" in landed
    # The session is the API's: the same cookie answers /api/v1/auth/me.
    me = client.get("/api/v1/auth/me").json()
    assert me["username"] == "lan" and me["authority"] == "VNM-247"


def test_the_session_cookie_is_strict_http_only_and_secure_and_ends_the_pre_session(
    client: TestClient,
) -> None:
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"csrf_token": form_token(page.text), "username": "lan", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("hanoix_session_")).lower()
    assert "httponly" in session and "samesite=strict" in session and "secure" in session
    assert any(c.startswith('hanoix_form=""') for c in cookies)  # deleted


def test_a_wrong_password_says_so_keeps_the_username_and_never_echoes_the_password(
    client: TestClient,
) -> None:
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"csrf_token": form_token(page.text), "username": "lan", "password": "wrong-12345"},
    )
    assert response.status_code == 401
    assert 'value="lan"' in response.text
    assert "wrong-12345" not in response.text
    assert 'role="alert"' in response.text
    assert client.get("/api/v1/auth/me").status_code == 401


def test_an_empty_form_asks_for_both_fields(client: TestClient) -> None:
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"csrf_token": form_token(page.text)})
    assert response.status_code == 400
    assert "Type your username and your password." in response.text


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_sign_in_never_sends_the_user_to_another_site(client: TestClient, target: str) -> None:
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "csrf_token": form_token(page.text),
            "username": "lan",
            "password": PASSWORD,
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_a_page_of_a_signed_in_user_sends_a_stranger_to_sign_in_and_back(
    client: TestClient,
) -> None:
    response = client.get("/account/password", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/account/password"
    page = client.get(response.headers["location"])
    assert 'name="next" value="/account/password"' in page.text
    landed = client.post(
        "/sign-in",
        data={
            "csrf_token": form_token(page.text),
            "username": "minh",
            "password": PASSWORD,
            "next": "/account/password",
        },
    )
    assert landed.url.path == "/account/password"
    assert "Current password" in landed.text


def test_htmx_is_sent_to_sign_in_by_moving_the_whole_page(client: TestClient) -> None:
    response = client.get("/account", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 204
    assert response.headers["hx-redirect"] == "/sign-in?next=/account"


def test_an_api_token_does_not_open_a_page(client: TestClient, node: Node) -> None:
    with node.unit_of_work() as session:
        token = auth.issue_token(session, node.clock, auth.user_id(session, "lan"), "script")
    response = client.get(
        "/account", headers={"Authorization": f"Bearer {token}"}, follow_redirects=False
    )
    assert response.status_code == 303


def test_a_form_without_the_token_is_refused_and_changes_nothing(client: TestClient) -> None:
    sign_in(client, "minh")
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "reload the page" in response.text
    forged = client.post(
        "/account/password",
        data={
            "csrf_token": "A" * 43,
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert forged.status_code == 403
    client.cookies.clear()
    sign_in(client, "minh")  # the old password still works


def test_the_form_token_of_one_session_does_not_work_for_another(
    client: TestClient, node: Node
) -> None:
    sign_in(client, "minh")
    old_token = form_token(client.get("/account").text)
    with TestClient(create_app(node), base_url="https://node.test") as other:
        sign_in(other, "minh")
        response = other.post("/sign-out", data={"csrf_token": old_token})
        assert response.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_form_sent_from_another_site_is_refused_even_with_the_token(
    client: TestClient, headers: dict[str, str]
) -> None:
    sign_in(client, "minh")
    token = form_token(client.get("/account").text)
    response = client.post("/sign-out", data={"csrf_token": token}, headers=headers)
    assert response.status_code == 403
    assert client.get("/account", follow_redirects=False).status_code == 200
    same_site = client.post(
        "/sign-out",
        data={"csrf_token": token},
        headers={"Origin": "https://node.test", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert same_site.status_code == 303


def test_htmx_sends_the_token_as_a_header(client: TestClient) -> None:
    sign_in(client, "minh")
    page = client.get("/account").text
    token = form_token(page)
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in page
    response = client.post(
        "/sign-out", headers={"X-CSRF-Token": token, "HX-Request": "true"}, follow_redirects=False
    )
    assert response.status_code == 303


def test_signing_out_ends_the_session_for_good(client: TestClient, node: Node) -> None:
    sign_in(client, "lan")
    cookie_name, session_id = next(
        (name, value) for name, value in client.cookies.items() if name.startswith("hanoix_s")
    )
    token = form_token(client.get("/account").text)
    response = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    assert client.get("/account", follow_redirects=False).status_code == 303
    # The old cookie, replayed, opens nothing.
    with TestClient(create_app(node), base_url="https://node.test") as replaying:
        replaying.cookies.set(cookie_name, session_id)
        assert replaying.get("/api/v1/auth/me").status_code == 401
        assert replaying.get("/account", follow_redirects=False).status_code == 303


def _change(client: TestClient, current: str, new: str, repeat: str | None = None) -> str:
    token = form_token(client.get("/account/password").text)
    response = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": current,
            "new_password": new,
            "repeat_password": new if repeat is None else repeat,
        },
    )
    return f"{response.status_code} {response.url.path} {response.text}"


def test_changing_the_password_checks_every_field(client: TestClient) -> None:
    sign_in(client, "minh")
    differ = _change(client, PASSWORD, NEW_PASSWORD, "something else entirely")
    assert differ.startswith("400") and "The two new passwords differ" in differ
    short = _change(client, PASSWORD, "short")
    assert short.startswith("400") and "at least 12 characters" in short
    assert 'aria-invalid="true" aria-describedby="new_password-problem"' in short
    same = _change(client, PASSWORD, PASSWORD)
    assert same.startswith("400") and "the new password is the current one" in same
    wrong = _change(client, "not the password", NEW_PASSWORD)
    assert wrong.startswith("400") and "the current password is wrong" in wrong
    assert 'aria-describedby="current_password-problem"' in wrong
    for text in (differ, short, wrong):
        assert NEW_PASSWORD not in text and PASSWORD not in text


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(
    client: TestClient, node: Node
) -> None:
    with TestClient(create_app(node), base_url="https://node.test") as elsewhere:
        sign_in(elsewhere, "minh")
        sign_in(client, "minh")
        done = _change(client, PASSWORD, NEW_PASSWORD)
        assert done.startswith("200 /account") and "Your password is changed" in done
        assert client.get("/account", follow_redirects=False).status_code == 200
        assert elsewhere.get("/account", follow_redirects=False).status_code == 303
    with TestClient(create_app(node), base_url="https://node.test") as fresh:
        page = fresh.get("/sign-in")
        refused = fresh.post(
            "/sign-in",
            data={"csrf_token": form_token(page.text), "username": "minh", "password": PASSWORD},
        )
        assert refused.status_code == 401
        sign_in(fresh, "minh", NEW_PASSWORD)


def test_a_second_factor_is_enrolled_confirmed_and_then_asked_at_sign_in(
    client: TestClient, node: Node, clock: FixedClock
) -> None:
    sign_in(client, "thu")
    page = client.get("/account/second-factor")
    assert "Set up a second factor" in page.text
    enrolled = client.post("/account/second-factor", data={"csrf_token": form_token(page.text)})
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', enrolled.text)
    assert secret, enrolled.text
    wrong = client.post(
        "/account/second-factor/confirm",
        data={"csrf_token": form_token(enrolled.text), "code": "000000"},
    )
    assert wrong.status_code == 400 and "that code does not match" in wrong.text
    confirmed = client.post(
        "/account/second-factor/confirm",
        data={
            "csrf_token": form_token(enrolled.text),
            "code": second_factor.code_at(secret.group(1), clock.now()),
        },
    )
    assert confirmed.url.path == "/account" and "Your second factor is on" in confirmed.text
    assert "on (authenticator app)" in confirmed.text
    clock.advance(timedelta(seconds=30))
    with TestClient(create_app(node), base_url="https://node.test") as later:
        page = later.get("/sign-in")
        asked = later.post(
            "/sign-in",
            data={"csrf_token": form_token(page.text), "username": "thu", "password": PASSWORD},
        )
        assert asked.status_code == 401 and "the 6-digit code" in asked.text
        assert re.search(r'id="code"[^>]* required', asked.text)
        sign_in(later, "thu", code=second_factor.code_at(secret.group(1), clock.now()))


def test_a_role_that_needs_a_second_factor_is_sent_to_enrol_first(
    tmp_path: Path, clock: FixedClock
) -> None:
    settings = load_settings(tmp_path / "home", environ={}, totp_required_roles=("approver",))
    node = Node.open(settings, clock=clock)
    node.initialise()
    try:
        add_people(node)
        with TestClient(create_app(node), base_url="https://node.test") as client:
            landed = sign_in(client, "thu")
            assert "Your role needs a second factor" in landed
            moved = client.get("/account", follow_redirects=False)
            assert moved.status_code == 303
            assert moved.headers["location"] == "/account/second-factor"
    finally:
        node.close()


def test_french_is_complete_and_chosen_by_the_browser_or_the_user(client: TestClient) -> None:
    page = client.get("/sign-in", headers={"Accept-Language": "de-AT, fr;q=0.8, en;q=0.5"})
    assert '<html lang="fr" dir="ltr">' in page.text
    assert "Se connecter" in page.text and page.headers["content-language"] == "fr"
    sign_in(client, "minh")
    token = form_token(client.get("/account").text)
    saved = client.post(
        "/account/preferences",
        data={"csrf_token": token, "language": "fr", "time_zone": "Asia/Ho_Chi_Minh"},
    )
    assert "Vos préférences sont enregistrées." in saved.text
    assert '<option value="Asia/Ho_Chi_Minh" selected>' in saved.text
    english = client.get("/account", headers={"Accept-Language": "en"})
    assert "Se déconnecter" in english.text  # the user's choice beats the browser's


@pytest.mark.parametrize(
    ("field", "value"), [("language", "xx"), ("time_zone", "Mars/Olympus_Mons")]
)
def test_an_unknown_preference_is_refused_with_what_to_do(
    client: TestClient, field: str, value: str
) -> None:
    sign_in(client, "minh")
    token = form_token(client.get("/account").text)
    response = client.post("/account/preferences", data={"csrf_token": token, field: value})
    assert response.status_code == 400
    assert "not available" in response.text or "choose one from the list" in response.text


def test_names_are_escaped(client: TestClient, node: Node) -> None:
    with node.unit_of_work() as session:
        auth.add_user(
            session,
            node.clock,
            username="mallory",
            display_name='<script>alert("x")</script>',
            roles={"drafter"},
            authority="VNM-MPS",
            password=PASSWORD,
        )
    landed = sign_in(client, "mallory")
    assert '<script>alert("x")</script>' not in landed
    assert "&lt;script&gt;" in landed


def test_pages_carry_no_inline_script_or_style_and_are_not_cached(client: TestClient) -> None:
    sign_in(client, "minh")
    for path in ("/", "/sign-in", "/account", "/account/password", "/account/second-factor"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "unsafe-inline" not in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), path
        assert not re.search(r"\sstyle=", page.text), path
        assert not re.search(r"\son[a-z]+=", page.text), path


def test_htmx_is_served_by_the_node_with_its_licence(client: TestClient) -> None:
    script = client.get("/static/vendor/htmx-2.0.7/htmx.min.js")
    licence = client.get("/static/vendor/htmx-2.0.7/LICENSE")
    assert script.status_code == 200 and "htmx" in script.text[:2000]
    assert licence.status_code == 200 and "Zero-Clause BSD" in licence.text
