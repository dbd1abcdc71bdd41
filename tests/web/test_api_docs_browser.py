"""/api/v1/docs in a real browser (Debian's headless chromium, driven by Playwright): the page
renders the node's API and not one request leaves 127.0.0.1, and the Content-Security-Policy
refuses nothing the page needs.

Skipped only where chromium is absent and CI is not set; in CI, scripts/test-setup.sh installs
chromium, and its absence fails the test.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from hanoix.api.app import create_app
from hanoix.config import load_settings
from hanoix.services.node import Node

CHROMIUM = Path("/usr/lib/chromium/chromium")
# From /work/shared/ENVIRONMENT.md: the last flag also stops the DNS look-ups Chromium makes
# to outside hosts on its own, so that only the page's own requests are seen.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


def _chromium_or_skip() -> Path:
    if CHROMIUM.is_file():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: scripts/test-setup.sh installs it when CI=true")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs this test")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite node's app under uvicorn on a free loopback port, in a thread (the page
    does not depend on the database: one is enough)."""
    node = Node.open(load_settings(tmp_path / "home", environ={}))
    node.initialise()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(node), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/api/v1/health", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        node.close()


def test_the_api_docs_render_offline_with_no_request_leaving_the_node(served: str) -> None:
    executable = _chromium_or_skip()
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
