"""Helpers for tests of the web pages: a node with users of each role, a browser-like client."""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi.testclient import TestClient

from hanoix.services import auth
from hanoix.services.node import Node

PASSWORD = "correct horse battery"
_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_people(node: Node) -> None:
    """Viet Nam's 24/7 point of contact (Lan), its central authority (Minh drafts, Thu
    approves) and an administrator."""
    with node.unit_of_work() as session:
        auth.add_authority(
            session, node.clock, auth.Authority("VNM-247", "A05", "contact-24-7", "VNM")
        )
        auth.add_authority(
            session, node.clock, auth.Authority("VNM-MPS", "MPS", "central-authority", "VNM")
        )
    add_users(
        node,
        {
            "lan": ("Lan Nguyen", {"officer_24_7"}, "VNM-247"),
            "minh": ("Minh Tran", {"drafter"}, "VNM-MPS"),
            "thu": ("Thu Le", {"approver"}, "VNM-MPS"),
            "root": ("Root", {"administrator"}, None),
        },
    )


def add_users(node: Node, users: Mapping[str, tuple[str, set[str], str | None]]) -> None:
    """Users who sign in with :data:`PASSWORD`: username: (name, roles, authority)."""
    with node.unit_of_work() as session:
        for username, (name, roles, authority) in users.items():
            auth.add_user(
                session,
                node.clock,
                username=username,
                display_name=name,
                roles=roles,
                authority=authority,
                password=PASSWORD,
            )


def form_token(html: str) -> str:
    found = _FORM_TOKEN.search(html)
    assert found, "the page has no form token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, **extra: str) -> str:
    """Sign in through the sign-in page as a browser does; returns the page landed on."""
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "csrf_token": form_token(page.text),
            "username": username,
            "password": password,
            **extra,
        },
    )
    assert response.status_code == 200, response.text
    return response.text


def assert_nothing_inline(html: str, where: str) -> None:
    """The page has no inline script, style attribute or event handler (the CSP forbids them)."""
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), where
    assert not re.search(r"\sstyle=", html), where
    assert not re.search(r"\son[a-z]+=", html), where


def signed_in_browser(node: Node, username: str) -> TestClient:
    """A browser-like client of ``node``'s pages, signed in as ``username``."""
    from hanoix.api.app import create_app

    client = TestClient(create_app(node), base_url="https://node.test")
    sign_in(client, username)
    return client
