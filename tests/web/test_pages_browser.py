"""The pages in a real browser (Debian's headless Chromium): a user signs in, finds their way
by keyboard, and every page passes axe with no serious or critical violation, sends nothing
off the node and breaks no rule of the Content-Security-Policy. The screenshots it takes are
the ones the README shows (docs/screenshots/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hanoix.api.app import create_app
from hanoix.config import load_settings
from hanoix.convention import RequestKind
from hanoix.services.node import Node
from tests.services.requests_world import AUTHORITIES, USERS, incoming, outgoing
from tests.services.requests_world import add_people as add_world
from tests.serving import served_in_thread
from tests.web.browser import accessibility_problems, chromium, screenshot
from tests.web.pages import PASSWORD, add_people
from tests.web.test_desks import arrive

pytestmark = pytest.mark.usefixtures("cheap_passwords")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    node = Node.open(load_settings(tmp_path / "home", environ={}, state="VNM"))
    node.initialise()
    add_people(node)
    try:
        with served_in_thread(create_app(node)) as base:
            yield base
    finally:
        node.close()


class Watched:
    """What a page did that it should not: requests off the node, CSP refusals, script errors."""

    def __init__(self, page: Any, base: str) -> None:
        self.outside: list[str] = []
        self.errors: list[str] = []
        page.on(
            "request",
            lambda request: (
                None if request.url.startswith(base + "/") else self.outside.append(request.url)
            ),
        )
        # A page answered 4xx is the page's own answer (a refused form); a file of the page
        # that fails to load is not.
        page.on(
            "response",
            lambda response: (
                self.errors.append(f"{response.status} {response.url}")
                if response.status >= 400 and response.request.resource_type != "document"
                else None
            ),
        )
        page.on(
            "console",
            lambda message: (
                self.errors.append(message.text)
                if message.type == "error" and not message.text.startswith("Failed to load")
                else None
            ),
        )
        page.on("pageerror", lambda error: self.errors.append(str(error)))


def _checked(page: Any, name: str | None = None) -> None:
    problems = accessibility_problems(page)
    assert not problems, f"{page.url}: {problems}"
    if name:
        screenshot(page, name)


def test_a_user_signs_in_by_keyboard_and_every_page_is_accessible(served: str) -> None:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(60_000)
        watched = Watched(page, served)

        page.goto(f"{served}/")
        _checked(page, "front-page")
        # The first Tab reaches the link that skips to the content, and focus is visible.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"

        page.goto(f"{served}/account")
        assert page.url == f"{served}/sign-in?next=/account"
        _checked(page, "sign-in")
        # The username field has the focus as the page opens: type, Tab, type, Enter.
        assert page.evaluate("document.activeElement.id") == "username"
        page.keyboard.type("lan")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{served}/account", page.inner_text("main")
        whoami = page.get_by_test_id("whoami").inner_text()
        assert "Lan Nguyen" in whoami and "VNM-247" in whoami and "24/7 officer" in whoami
        _checked(page, "account")

        for path in ("/account/password", "/account/second-factor", "/"):
            page.goto(f"{served}{path}")
            _checked(page)

        page.goto(f"{served}/account/password")
        page.get_by_label("Current password").fill("not the password")
        page.locator("#new_password").fill("a longer passphrase")
        page.get_by_label("New password again").fill("a longer passphrase")
        with page.expect_navigation():
            page.get_by_role("button", name="Change the password").click()
        assert "the current password is wrong" in page.inner_text("main")
        _checked(page, "change-password-refused")

        with page.expect_navigation():
            page.get_by_role("button", name="Sign out").click()
        assert page.url == f"{served}/sign-in"
        page.goto(f"{served}/account")
        assert "/sign-in" in page.url
        context.close()
    assert not watched.outside, watched.outside
    assert not watched.errors, watched.errors


def test_the_pages_in_french(served: str) -> None:
    with chromium() as browser:
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{served}/sign-in")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.get_by_role("button", name="Se connecter").is_visible()
        _checked(page, "sign-in-fr")
        context.close()


@pytest.fixture
def austria(tmp_path: Path) -> Iterator[tuple[str, Node]]:
    """Austria's node with the requests world's people (each with a password) and a few
    cases: what the README's screenshots show."""
    node = Node.open(load_settings(tmp_path / "aut", environ={"HANOIX_STATE": "AUT"}))
    node.initialise()
    add_world(node, AUTHORITIES, {**USERS, "vnm-duty": USERS["duty"]}, password=PASSWORD)
    try:
        with served_in_thread(create_app(node)) as base:
            yield base, node
    finally:
        node.close()


def _signed_in(browser: Any, base: str, username: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(f"{base}/sign-in")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    return page


def test_the_main_pages_read_well_and_pass_axe(austria: tuple[str, Node]) -> None:
    base, node = austria
    sent = outgoing(node, "sent", kind=RequestKind.MLA, author="drafter")
    outgoing(node, "awaiting_approval", kind=RequestKind.PRESERVATION, author="drafter")
    draft = outgoing(node, "draft", kind=RequestKind.TRAFFIC_DISCLOSURE, author="drafter")
    urgent = incoming(node, "received", kind=RequestKind.PRESERVATION)
    arrive(node, urgent=True, reference=str(urgent.reference))
    with chromium() as browser:
        duty = _signed_in(browser, base, "duty")
        duty.goto(f"{base}/desk/24-7")
        duty.wait_for_timeout(1500)  # one poll of the live list
        _checked(duty, "desk-24-7")
        drafter = _signed_in(browser, base, "drafter")
        drafter.goto(f"{base}/desk/requests")
        _checked(drafter, "desk-requests")
        drafter.goto(f"{base}/requests/new/preservation")
        drafter.select_option("#f-requested-state", "VNM")
        drafter.fill("#f-contents-offence", "Extortion by ransomware (Art. 7 and 11)")
        drafter.wait_for_timeout(1500)  # the live check's answer
        _checked(drafter, "drafting-preservation")
        drafter.goto(f"{base}/requests/{sent.reference}")
        _checked(drafter, "request-page")
        # A saved draft reopens in its form, checked as the user types, and saves in place.
        drafter.goto(f"{base}/requests/{draft.reference}")
        with drafter.expect_navigation():
            drafter.get_by_test_id("edit-draft").click()
        assert drafter.input_value("#f-requested-state") == "VNM"
        drafter.fill("#f-proceeding", "")
        drafter.wait_for_timeout(1500)  # the live check's answer
        assert "Art. 40(19)" in drafter.inner_text("#findings")
        _checked(drafter)
        drafter.fill("#f-proceeding", "StA Wien 123 Js 456/26 (ransomware)")
        with drafter.expect_navigation():
            drafter.get_by_role("button", name="Save the draft").click()
        assert drafter.get_by_test_id("confirmation").is_visible()
        assert drafter.url.endswith(f"/requests/{draft.reference}?done=edit")
        drafter.goto(f"{base}/treaty")
        _checked(drafter, "treaty-status")
        auditor = _signed_in(browser, base, "auditor")
        auditor.goto(f"{base}/ledger")
        _checked(auditor, "custody-ledger")
