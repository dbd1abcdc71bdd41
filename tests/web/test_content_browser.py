"""A removal case's page in a real browser (Debian's headless Chromium, tests/web/browser.py):
the desk lists the case with its overdue notice first, the case page shows its digests,
notices, linked request and the match it keeps, a removal is recorded by clicking its form,
axe finds no serious or critical violation, and nothing leaves the node or breaks the CSP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hanoix.api.app import create_app
from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.content.notices import NoticeState
from hanoix.services import content
from hanoix.services import content_notices as notices
from hanoix.services.node import Node
from tests.content.images import edited_copies
from tests.services.requests_world import add_people, populate, user
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
    settings = load_settings(tmp_path / "home", environ={"HANOIX_STATE": "AUT"})
    node = Node.open(settings, clock=clock)
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
    # A platform finds the removed content again: the case keeps the match, the notice reopens.
    add_people(world, [], {"platform": ({"matcher"}, "AUT-CA")})
    content.match(world, user(world, "platform"), [("u", edited_copies()["mirrored"])])
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
        assert page.get_by_test_id("matches").locator("tbody tr").count() == 1
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


def test_files_are_added_from_the_case_page_with_progress_and_the_lists_page_reads_well(
    world: Node, clock: FixedClock
) -> None:
    made = removal_world(world, clock)
    media = b"HANOIX-BROWSER-MEDIA" * (3 * 1024 * 1024 // 20)  # 3 MiB: several progress events
    with served_in_thread(create_app(world)) as base, chromium() as browser:
        page = _signed_in_page(browser, world, base, "drafter")
        watched = Watched(page, base)
        page.goto(f"{base}/content/cases/{made['quiet']}")
        form = page.get_by_test_id("add-content")
        page.locator("summary", has_text="Add content").click()
        assert accessibility_problems(page) == []
        form.get_by_label("Files (pictures, videos or any other)").set_input_files(
            [{"name": "clip.bin", "mimeType": "application/octet-stream", "buffer": media}]
        )
        with page.expect_navigation():
            form.get_by_role("button", name="Add the files").click()
        assert page.get_by_test_id("confirmation").is_visible()
        assert page.get_by_test_id("hashes").locator("tbody tr").count() == 2  # SHA-256, MD5
        assert "clip.bin" not in page.content()
        page.goto(f"{base}/content/lists")
        assert "AUT:AUT-CA" in page.get_by_test_id("own-list").inner_text()
        assert page.get_by_test_id("no-held").is_visible()
        assert accessibility_problems(page) == []
        page.locator("summary", has_text="Publish the list to other States").click()
        page.locator("summary", has_text="Withdraw a hash").click()
        assert accessibility_problems(page) == []
        screenshot(page, "removal-lists")
        page.context.close()
    assert not watched.outside, watched.outside
    assert not watched.errors, watched.errors
