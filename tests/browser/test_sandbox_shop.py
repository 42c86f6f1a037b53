"""The real shop in the sandbox, as a newcomer meets it: `python -m bot run` without a token, then a browser.

Alice buys from the demo catalog through the web chat: catalog -> category -> product -> add to cart ->
/cart -> checkout -> pickup -> card -> pays with the test card -> "paid". Button labels are the shop's English
locale (bot/locales/en/*.yaml); the test matches their text without the leading emoji.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Locator, Page, expect

from tests.browser.conftest import REPO_ROOT, SCREENSHOT_DIR, BrowserLog

pytestmark = pytest.mark.browser

START_TIMEOUT_S = 60
SECRETS = ("TELEGRAM_BOT_TOKEN", "PAYMENT_PROVIDER_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "DATABASE_URL")


@dataclass
class RunningSandbox:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_until_serving(sandbox: RunningSandbox) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    printed = re.compile(re.escape(sandbox.url) + r"\b")
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if sandbox.process.poll() is not None:
                pytest.fail(f"the sandbox exited with {sandbox.process.returncode}:\n{sandbox.log_tail()}")
            if printed.search(sandbox.log.read_text(errors="replace")):
                try:
                    async with http.get(sandbox.url + "/control/state") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
            await asyncio.sleep(0.2)
    pytest.fail(f"the sandbox did not print and serve {sandbox.url} within {START_TIMEOUT_S}s:\n{sandbox.log_tail()}")


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[RunningSandbox]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in SECRETS}
    env["PYTHONUNBUFFERED"] = "1"
    log = tmp_path / "sandbox.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--port", str(port), "--data-dir", str(tmp_path / "data")],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    sandbox = RunningSandbox(f"http://127.0.0.1:{port}", process, log)
    try:
        yield sandbox
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
async def sandbox(sandbox_process: RunningSandbox) -> AsyncIterator[RunningSandbox]:
    await wait_until_serving(sandbox_process)
    yield sandbox_process


def button(page: Page, label: str) -> Locator:
    """The newest inline button with this label (older messages may carry stale copies)."""
    return page.get_by_test_id("inline-button").filter(has_text=label).last


def bot_message(page: Page, text: str | re.Pattern[str]) -> Locator:
    return page.locator("[data-testid=message][data-from=bot]").filter(has_text=text).last


async def test_alice_buys_with_the_test_card(sandbox: RunningSandbox, page: Page, browser_log: BrowserLog) -> None:
    await page.goto(sandbox.url + "/")
    picker = page.get_by_test_id("user-picker")
    for name in ("Alice", "李雷", "Lena", "Sam", "Ada"):
        await expect(picker.locator("option", has_text=name)).to_have_count(1)
    await picker.select_option(label="Alice")
    chats = page.get_by_test_id("chat-item")
    await expect(chats.filter(has_text="Neighbours")).to_have_count(1)
    await chats.filter(has=page.get_by_test_id("chat-item-title").get_by_text("groupcart", exact=True)).click()

    composer = page.get_by_test_id("composer-input")
    await composer.fill("/start")
    await page.get_by_test_id("send-button").click()
    await expect(bot_message(page, "Welcome to the shop")).to_be_visible()

    await button(page, "Catalog").click()
    await expect(bot_message(page, "Choose a category")).to_be_visible()
    await button(page, "Fresh fruit").click()
    await expect(bot_message(page, "Fresh fruit")).to_be_visible()
    await button(page, "Fuji apples").click()
    product = bot_message(page, "Crisp and sweet Fuji apples")
    await expect(product).to_be_visible()
    await expect(product.get_by_test_id("message-photo")).to_have_js_property("complete", True)

    await product.get_by_test_id("inline-button").filter(has_text=re.compile(r"Add \d+ to cart")).click()
    added = page.get_by_test_id("toast").filter(has_text="Added 1")
    await expect(added.or_(bot_message(page, "Added 1"))).to_be_visible()

    await composer.fill("/cart")
    await page.get_by_test_id("send-button").click()
    cart = bot_message(page, "Your cart")
    await expect(cart).to_contain_text("Fuji apples, 2 kg × 1")

    await button(page, "Checkout").click()
    await expect(bot_message(page, "How would you like to get your order?")).to_be_visible()
    await button(page, "Pick up: Central Store").click()
    await expect(bot_message(page, "Choose how to pay")).to_be_visible()
    await button(page, "by card").click()

    invoice = page.get_by_test_id("invoice").last
    await expect(invoice.get_by_test_id("invoice-amount")).to_contain_text("29.90")
    await page.get_by_test_id("pay-button").last.click()
    await page.get_by_test_id("card-number").fill("4242 4242 4242 4242")
    await page.get_by_test_id("pay-submit").click()
    await expect(page.get_by_test_id("pay-dialog")).to_have_count(0)
    await expect(page.get_by_test_id("payment-receipt")).to_contain_text("29.90")
    await expect(bot_message(page, re.compile(r"Payment received — order #\d+ is paid"))).to_be_visible()
    await page.screenshot(path=str(SCREENSHOT_DIR / "webchat-shop.png"))
    assert browser_log.errors == []


async def test_lena_sets_up_a_group_buy_by_taps(sandbox: RunningSandbox, page: Page, browser_log: BrowserLog) -> None:
    """Issue 14's wizard in the web chat: Lena (a demo leader) starts /groupbuy in the group, then answers in
    her private chat by taps (the product found by typing part of its name), and the card appears in the
    group."""
    await page.goto(sandbox.url + "/")
    await page.get_by_test_id("user-picker").select_option(label="Lena")
    chats = page.get_by_test_id("chat-item")
    composer = page.get_by_test_id("composer-input")
    private_chat = chats.filter(has=page.get_by_test_id("chat-item-title").get_by_text("groupcart", exact=True))

    await private_chat.click()
    await composer.fill("/start")
    await page.get_by_test_id("send-button").click()
    await expect(bot_message(page, "Welcome to the shop")).to_be_visible()

    await chats.filter(has_text="Neighbours").click()
    await composer.fill("/groupbuy")
    await page.get_by_test_id("send-button").click()
    await private_chat.click()
    await expect(bot_message(page, "Which product")).to_be_visible()
    await composer.fill("apples")
    await page.get_by_test_id("send-button").click()
    await expect(bot_message(page, "Fuji apples")).to_be_visible()
    await button(page, "3+ ¥26.91 · 10+ ¥23.92").click()  # a preset computed from the product's ¥29.90
    # Minimum, maximum and per person on one screen, suggested from the tiers and the 40 in stock.
    await expect(bot_message(page, "People: at least 3, no maximum")).to_be_visible()
    await button(page, "Continue").click()
    await button(page, "48 h after publishing").click()
    await button(page, "Central Store").click()
    summary = bot_message(page, "People: at least 3, no maximum")
    await expect(summary).to_be_visible()
    await button(page, "Publish").click()
    await expect(bot_message(page, "is live in the group")).to_be_visible()

    await chats.filter(has_text="Neighbours").click()
    await expect(bot_message(page, "Fuji apples")).to_be_visible()
    await expect(button(page, "Join")).to_be_visible()
    await page.screenshot(path=str(SCREENSHOT_DIR / "webchat-groupbuy.png"))
    assert browser_log.errors == []
