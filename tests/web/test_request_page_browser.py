"""A request's page in a real browser (Debian's headless Chromium, the harness of
tests/web/browser.py): axe finds no serious or critical violation before or after a step, the
step is taken by clicking its form, and nothing leaves the node or breaks the CSP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from hanoix.api.app import create_app
from hanoix.config import load_settings
from hanoix.convention import RequestKind, kind_spec
from hanoix.requests import Status
from hanoix.services import auth
from hanoix.services import requests as service
from hanoix.services.node import Node
from tests.services.exchange_world import exchange_network, return_evidence
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


def _signed_in_page(browser: Any, node: Node, base: str, username: str) -> Any:
    """A page of a new browser context signed in as ``username`` (a session of the node's,
    in its cookie: these users have no password)."""
    with node.unit_of_work() as session:
        session_id = auth.start_session(session, node.clock, auth.user_id(session, username))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    cookie = {"domain": urlsplit(base).hostname, "path": "/"}
    context.add_cookies([{"name": auth.session_cookie_name(node), "value": session_id, **cookie}])
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def test_an_approver_refuses_a_request_on_a_coded_ground_by_clicking(world: Node) -> None:
    request = incoming(world, "in_execution", RequestKind.PRESERVATION)
    ground = kind_spec(RequestKind.PRESERVATION).refusal_grounds[0]
    with served_in_thread(create_app(world)) as base, chromium() as browser:
        page = _signed_in_page(browser, world, base, "approver")
        context = page.context
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


def test_the_evidence_pages_of_both_sides_pass_axe(tmp_path: Path) -> None:
    net = exchange_network(tmp_path)
    try:
        returned = return_evidence(net, tmp_path)
        reference, package_id = returned.reference, returned.sent.package_id
        requested, requesting = net["v"].node, net["a"].node
        with (
            served_in_thread(create_app(requested)) as vnm,
            served_in_thread(create_app(requesting)) as aut,
            chromium() as browser,
        ):
            # Viet Nam's examiner, executing the request: the upload form.
            examiner = _signed_in_page(browser, requested, vnm, "examiner")
            watched = [Watched(examiner, vnm)]
            examiner.goto(f"{vnm}/requests/{reference}/evidence")
            assert examiner.locator("#upload-form").is_visible()
            assert accessibility_problems(examiner) == []
            # A file uploaded by the page's script: the files ready to seal, and the seal form.
            upload = tmp_path / "chat-log.txt"
            upload.write_text("12:01 they asked for the ransom\n")
            examiner.set_input_files("#files", str(upload))
            with examiner.expect_navigation():
                examiner.get_by_role("button", name="Upload").click()
            assert examiner.get_by_role("button", name="Seal and send").is_visible()
            assert accessibility_problems(examiner) == []
            # Austria's examiner: the packages received, one of them, its printable report.
            reader = _signed_in_page(browser, requesting, aut, "examiner")
            watched.append(Watched(reader, aut))
            reader.goto(f"{aut}/requests/{reference}/evidence")
            assert reader.get_by_role("link", name=package_id).is_visible()
            assert accessibility_problems(reader) == []
            reader.goto(f"{aut}/requests/{reference}/evidence/packages/{package_id}")
            assert reader.get_by_role("link", name="Download a copy").is_visible()
            assert accessibility_problems(reader) == []
            reader.goto(f"{aut}/requests/{reference}/evidence/packages/{package_id}/report")
            assert reader.get_by_test_id("result").inner_text().startswith("Verified")
            assert accessibility_problems(reader) == []
            # Opened under the conditions on use: what it holds.
            reader.goto(f"{aut}/requests/{reference}/evidence/packages/{package_id}")
            with reader.expect_navigation():
                reader.get_by_role("button", name="Open it").click()
            assert "mailbox/mailbox.mbox" in reader.inner_text("main")
            assert accessibility_problems(reader) == []
        for seen in watched:
            assert not seen.outside, seen.outside
            assert not seen.errors, seen.errors
    finally:
        net.close()
