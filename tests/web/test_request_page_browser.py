"""A request's page in a real browser (Debian's headless Chromium, the harness of
tests/web/browser.py): axe finds no serious or critical violation before or after a step, the
step is taken by clicking its form, and nothing leaves the node or breaks the CSP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hanoix.api.app import create_app
from hanoix.config import load_settings
from hanoix.convention import RequestKind, kind_spec
from hanoix.requests import Status
from hanoix.services import auth
from hanoix.services import requests as service
from hanoix.services.node import Node
from tests.services.requests_world import incoming, populate, user
from tests.serving import served_in_thread
from tests.web.browser import accessibility_problems, chromium
from tests.web.test_pages_browser import Watched


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Node]:
    node = Node.open(load_settings(tmp_path / "home", environ={}))
    node.initialise()
    populate(node)
    try:
        yield node
    finally:
        node.close()


def test_an_approver_refuses_a_request_on_a_coded_ground_by_clicking(world: Node) -> None:
    request = incoming(world, "in_execution", RequestKind.PRESERVATION)
    ground = kind_spec(RequestKind.PRESERVATION).refusal_grounds[0]
    with world.unit_of_work() as session:
        session_id = auth.start_session(session, world.clock, auth.user_id(session, "approver"))
    with served_in_thread(create_app(world)) as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        cookie = {"domain": urlsplit(base).hostname, "path": "/"}
        context.add_cookies(
            [{"name": auth.session_cookie_name(world), "value": session_id, **cookie}]
        )
        page = context.new_page()
        page.set_default_timeout(60_000)
        watched = Watched(page, base)
        page.goto(f"{base}/requests/{request.reference}")
        assert accessibility_problems(page) == []

        refuse = page.get_by_test_id("action-refuse")
        refuse.locator("summary").click()
        assert accessibility_problems(page) == []  # the open form too
        refuse.locator(f"#refuse-ground-{ground.code}").check()
        refuse.get_by_label("Reasons (required)").fill("the measure is not available here")
        refuse.locator("#refuse-confirm").check()
        with page.expect_navigation():
            refuse.get_by_role("button", name="Refuse").click()

        assert page.get_by_test_id("confirmation").is_visible()
        assert page.get_by_test_id("status").inner_text() == "Refused"
        assert page.get_by_test_id("refusal-grounds").inner_text() == ground.code
        assert accessibility_problems(page) == []
        context.close()
    assert not watched.outside, watched.outside
    assert not watched.errors, watched.errors
    after = service.show(world, user(world, "auditor"), str(request.reference)).request
    assert after.status is Status.REFUSED and after.refusal is not None
    assert after.refusal.grounds == (ground.code,)
