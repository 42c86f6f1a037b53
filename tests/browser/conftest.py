"""Real-browser fixtures: Debian's /usr/bin/chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from tests.backends import in_ci

if TYPE_CHECKING:
    from playwright.async_api import Page, Route

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = REPO_ROOT / "bot" / "emulator" / "web"
SCREENSHOT_DIR = Path(os.environ.get("WEBCHAT_SCREENSHOT_DIR", "/tmp"))
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _missing(reason: str) -> None:
    # CI installs chromium, so there a missing browser is a broken environment, not a reason to skip.
    if in_ci():
        pytest.fail(f"{reason}; required when CI=true")
    pytest.skip(reason)


def require_chromium() -> str:
    if not CHROMIUM.exists():
        _missing("chromium not installed (apt-get install chromium)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        _missing("playwright not installed (pip install -e '.[test]')")
    return str(CHROMIUM)


class BrowserLog:
    """JavaScript errors seen by the page; a test fails if the chat page throws."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"pageerror: {error}")


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
async def page(browser_log: BrowserLog) -> AsyncIterator[Page]:
    executable = require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        context = await browser.new_context(viewport={"width": 1280, "height": 820}, locale="en-US", timezone_id="UTC")

        async def local_only(route: Route) -> None:
            # The sandbox works offline; any request leaving 127.0.0.1 is a bug in the page.
            host = urlsplit(route.request.url).hostname or ""
            if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
                await route.continue_()
            else:
                browser_log.errors.append(f"blocked outside request: {route.request.url}")
                await route.abort()

        await context.route("**/*", local_only)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", browser_log.on_console)
        page.on("pageerror", browser_log.on_page_error)
        try:
            yield page
        finally:
            await context.close()
            await browser.close()
