"""/api/v1/docs in a real browser (Debian's headless chromium, driven by Playwright): the page
renders the node's API and not one request leaves 127.0.0.1, and the Content-Security-Policy
refuses nothing the page needs.

Skipped only where chromium is absent and CI is not set; in CI, scripts/test-setup.sh installs
chromium, and its absence fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hanoix.api.app import create_app
from hanoix.config import load_settings
from hanoix.services.node import Node
from tests.serving import served_in_thread
from tests.web.browser import CHROMIUM_ARGS, chromium_or_skip


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite node's app under uvicorn on a free loopback port, in a thread (the page
    does not depend on the database: one is enough)."""
    node = Node.open(load_settings(tmp_path / "home", environ={}))
    node.initialise()
    try:
        with served_in_thread(create_app(node)) as base:
            yield base
    finally:
        node.close()


def test_the_api_docs_render_offline_with_no_request_leaving_the_node(served: str) -> None:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    refused: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), chromium_sandbox=False, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(90_000)  # a loaded two-core machine parses 1.5 MB slowly
            page.on("request", lambda request: requested.append(request.url))
            page.on(
                "console",
                lambda message: (
                    refused.append(message.text)
                    if "Content Security Policy" in message.text or message.type == "error"
                    else None
                ),
            )
            page.goto(f"{served}/api/v1/docs", wait_until="networkidle")
            title = page.locator(".swagger-ui .info .title")
            title.wait_for()
            assert "Hanoi Exchange" in title.inner_text()
            # The operations are listed (the document was fetched and read, not refused).
            assert page.locator(".opblock").count() > 20
            page.locator(".opblock-summary").first.click()
            page.wait_for_load_state("networkidle")
        finally:
            browser.close()
    outside = [url for url in requested if not url.startswith(served + "/")]
    assert requested and not outside, outside
    assert f"{served}/api/v1/openapi.json" in requested
    assert not refused, refused
