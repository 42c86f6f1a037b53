"""Issue 9 item 16 in a real browser: the web chat of a token-guarded sandbox works when opened from the printed
link (the token travels in the fragment and is sent as a header), and says what is missing without it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import aiohttp
import pytest

from bot.emulator.client import EmulatorClient
from bot.emulator.control import TOKEN_HEADER
from bot.emulator.server import EmulatorConfig, RunningEmulator, start_emulator
from bot.sandbox import WEB_DIR
from tests.browser.conftest import BrowserLog, browser_log, page  # noqa: F401 - fixtures

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = pytest.mark.browser
TOKEN = "test-token-0123456789abcdef"


@pytest.fixture
async def guarded() -> AsyncIterator[RunningEmulator]:
    running = await start_emulator(EmulatorConfig(web_dir=WEB_DIR, flood_limits=False, control_token=TOKEN))
    http = aiohttp.ClientSession(headers={TOKEN_HEADER: TOKEN})
    client = EmulatorClient(running.base_url, session=http)
    try:
        await client.user("Alice")
        yield running
    finally:
        await http.close()
        await running.stop()


async def test_page_opened_from_the_link_sends_the_token(
    guarded: RunningEmulator,
    page: Page,  # noqa: F811
    browser_log: BrowserLog,  # noqa: F811
) -> None:
    from playwright.async_api import expect

    await page.goto(f"{guarded.base_url}/#token={TOKEN}")
    await expect(page.get_by_test_id("user-picker").locator("option", has_text="Alice")).to_have_count(1)
    assert "token" not in page.url  # taken out of the address bar (and kept for the tab)
    await page.reload()
    await expect(page.get_by_test_id("user-picker").locator("option", has_text="Alice")).to_have_count(1)
    assert browser_log.errors == []


async def test_page_without_the_token_says_so(guarded: RunningEmulator, page: Page) -> None:  # noqa: F811
    from playwright.async_api import expect

    await page.goto(f"{guarded.base_url}/")
    await expect(page.get_by_text("needs its token").first).to_be_visible()
    await expect(page.get_by_test_id("user-picker").locator("option", has_text="Alice")).to_have_count(0)
