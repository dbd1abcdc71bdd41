"""The secretariat's global page in Chromium: it passes axe, fetches nothing off the node, and
is the screenshot docs/statistics.md shows (docs/screenshots/global-reports.png); the national
reports page with fields named as wrong passes axe too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hanoix.api.app import create_app
from tests.federation.builders import Network
from tests.services.requests_world import add_people
from tests.serving import served_in_thread
from tests.statistics.secretariat import report_withdraw_and_reissue, secretariat_network
from tests.web.browser import accessibility_problems, chromium, screenshot
from tests.web.pages import PASSWORD
from tests.web.test_pages_browser import Watched, _signed_in

pytestmark = pytest.mark.usefixtures("cheap_passwords")


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    network = secretariat_network(tmp_path)
    add_people(network["sec"].node, [], {"chief": ({"administrator"}, None)}, password=PASSWORD)
    add_people(network["aut"].node, [], {"root": ({"administrator"}, None)}, password=PASSWORD)
    yield network
    network.close()


def test_the_global_page_and_the_reports_form_pass_axe(net: Network) -> None:
    report_withdraw_and_reissue(net)
    with (
        served_in_thread(create_app(net["sec"].node)) as sec,
        served_in_thread(create_app(net["aut"].node)) as aut,
        chromium() as browser,
    ):
        page = _signed_in(browser, sec, "chief")
        watched = Watched(page, sec)
        page.goto(f"{sec}/reports/global")
        assert page.get_by_test_id("global").is_visible()
        assert not accessibility_problems(page)
        screenshot(page, "global-reports")
        assert not watched.outside and not watched.errors
        national = _signed_in(browser, aut, "root")
        national.goto(f"{aut}/reports?from=2026-01-01&to=2026-12-31&threshold=0&epsilon=x")
        assert national.locator("#problem-epsilon").is_visible()
        assert national.locator("#problem-threshold").is_visible()
        assert not accessibility_problems(national)
