"""A removal case's page in a real browser (Debian's headless Chromium, tests/web/browser.py):
the desk lists the case with its overdue notice first, the case page shows its digests,
notices and linked request, a removal is recorded by clicking its form, axe finds no serious
or critical violation, and nothing leaves the node or breaks the CSP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hanoix.api.app import create_app
from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.content.notices import NoticeState
from hanoix.services import content_notices as notices
from hanoix.services.node import Node
from tests.services.requests_world import populate, user
from tests.serving import served_in_thread
from tests.web.browser import accessibility_problems, chromium, screenshot
from tests.web.test_content_pages import removal_world
from tests.web.test_pages_browser import Watched
from tests.web.test_request_page_browser import _signed_in_page


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6))


@pytest.fixture
def world(tmp_path: Path, clock: FixedClock) -> Iterator[Node]:
    node = Node.open(load_settings(tmp_path / "home", environ={}), clock=clock)
    node.initialise()
    populate(node)
    try:
        yield node
    finally:
        node.close()


def test_an_officer_finds_the_overdue_case_and_records_the_removal_by_clicking(
    world: Node, clock: FixedClock
) -> None:
    made = removal_world(world, clock)
    with served_in_thread(create_app(world)) as base, chromium() as browser:
        page = _signed_in_page(browser, world, base, "drafter")
        watched = Watched(page, base)
        page.goto(f"{base}/desk/removal")
        assert accessibility_problems(page) == []
        rows = page.get_by_test_id("removal-cases").locator("tbody tr")
        assert rows.first.get_attribute("data-case") == made["case"]
        rows.first.get_by_role("link", name=made["case"]).click()
        page.wait_for_url(f"**/content/cases/{made['case']}")
        assert (
            page.get_by_test_id("notices").locator("tbody tr").first.get_attribute("data-notice")
            == made["late"]
        )
        screenshot(page, "removal-case")
        answer = page.get_by_test_id(f"answer-{made['late']}")
        answer.locator("summary").click()
        assert accessibility_problems(page) == []
        answer.get_by_label("The provider's confirmation reference").fill("ET-2026-118")
        with page.expect_navigation():
            answer.get_by_role("button", name="Removed").click()
        assert page.get_by_test_id("confirmation").is_visible()
        assert accessibility_problems(page) == []
        page.context.close()
    assert not watched.outside, watched.outside
    assert not watched.errors, watched.errors
    [late] = [
        n
        for n in notices.list_notices(world, user(world, "drafter"))
        if n.reference == made["late"]
    ]
    assert late.state is NoticeState.REMOVED and late.confirmation == "ET-2026-118"
