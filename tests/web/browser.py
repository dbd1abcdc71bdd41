"""Driving Debian's headless Chromium with Playwright for tests of the pages.

Never ``playwright install``: it downloads a browser from outside the registries. Chromium is
installed by scripts/test-setup.sh in CI; a developer's machine without it skips these tests.
axe-core (the npm package's file, pinned, MPL-2.0, under tests/web/vendor) is injected into a
page to check it for accessibility problems.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

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
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# What axe calls serious or critical: a page with one of these fails.
BLOCKING_IMPACTS = ("serious", "critical")


def chromium_or_skip() -> Path:
    if CHROMIUM.is_file():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: scripts/test-setup.sh installs it when CI=true")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs this test")


@contextmanager
def chromium() -> Iterator[Any]:
    """A Playwright browser on Debian's Chromium."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), chromium_sandbox=False, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def accessibility_problems(page: Any) -> list[str]:
    """The serious and critical violations axe finds on the page as it is now, one line each
    (rule, impact, the first offending element)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern: the
        # page keeps refusing inline scripts of its own while it is checked.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {json.dumps(v['nodes'][0]['target'])}"
        for v in result["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


def screenshot(page: Any, name: str) -> Path:
    """Write the page to docs/screenshots/<name>.png (the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target
