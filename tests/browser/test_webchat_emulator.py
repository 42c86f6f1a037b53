"""The sandbox web chat in a real browser, against the emulator and a tiny real aiogram 3 bot in-process."""

from __future__ import annotations

import asyncio
import contextlib
import re
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from playwright.async_api import Locator, Page, expect

from bot.emulator.client import EmulatorClient
from bot.emulator.server import EmulatorConfig, RunningEmulator, start_emulator
from tests.browser.conftest import SCREENSHOT_DIR, WEB_DIR, BrowserLog

pytestmark = pytest.mark.browser

TEST_PROVIDER = "TEST:sandbox-provider"


def tea_shop() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        if command.args == "from_group":
            await message.answer("Welcome from the <i>Neighbours</i> group", parse_mode="HTML")
            return
        await message.answer(
            "Welcome to the <b>tea shop</b>",
            parse_mode="HTML",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text="Add green tea", callback_data="add:tea")],
                    [
                        InlineKeyboardButton(text="Shipping", callback_data="shipping"),
                        InlineKeyboardButton(text="Website", url="https://example.com/tea"),
                    ],
                ]
            ),
        )

    @router.callback_query(F.data == "add:tea")
    async def add(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text(
            "Green tea is in your cart",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text="Checkout", callback_data="checkout")],
                ]
            ),
        )
        await query.answer("Added to cart")

    @router.callback_query(F.data == "shipping")
    async def shipping(query: CallbackQuery) -> None:
        await query.answer("Tea ships within 2 days", show_alert=True)

    @router.callback_query(F.data == "checkout")
    async def checkout(query: CallbackQuery, bot: Bot) -> None:
        await query.answer()
        await bot.send_invoice(
            chat_id=query.from_user.id,
            title="Green tea",
            description="100 g of sencha",
            payload="order-1",
            provider_token=TEST_PROVIDER,
            currency="USD",
            prices=[LabeledPrice(label="Green tea", amount=1250)],
        )

    @router.pre_checkout_query()
    async def pre_checkout(query: PreCheckoutQuery) -> None:
        await query.answer(ok=True)

    @router.message(F.successful_payment)
    async def paid(message: Message) -> None:
        assert message.successful_payment is not None
        await message.answer(f"paid: {message.successful_payment.invoice_payload}")

    @router.message(Command("phone"))
    async def ask_phone(message: Message) -> None:
        await message.answer(
            "May I have your phone number?",
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[
                    [KeyboardButton(text="Send my phone", request_contact=True)],
                    [KeyboardButton(text="No thanks")],
                ],
                resize_keyboard=True,
                one_time_keyboard=True,
            ),
        )

    @router.message(F.contact)
    async def got_contact(message: Message) -> None:
        assert message.contact is not None
        await message.answer(f"Thanks, {message.contact.phone_number}", reply_markup=ReplyKeyboardRemove())

    @router.message(F.photo)
    async def got_photo(message: Message) -> None:
        assert message.photo
        await message.answer_photo(message.photo[-1].file_id, caption="<b>Nice</b> photo", parse_mode="HTML")

    @router.message(Command("hello"))
    async def hello(message: Message) -> None:
        assert message.from_user is not None
        await message.answer(
            f"Hi {message.from_user.first_name}",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text="Open the shop", url="https://t.me/groupcart_bot?start=from_group")],
                ]
            ),
        )

    return router


@dataclass
class Sandbox:
    running: RunningEmulator
    bot: Bot
    client: EmulatorClient

    @property
    def url(self) -> str:
        return self.running.base_url + "/"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    # The tiny bot below does not retry on 429, and this test clicks faster than 1 message/s per chat.
    running = await start_emulator(EmulatorConfig(web_dir=WEB_DIR, flood_limits=False))
    bot = Bot(running.token, session=AiohttpSession(api=TelegramAPIServer.from_base(running.base_url)))
    dispatcher = Dispatcher()
    dispatcher.include_router(tea_shop())
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_as_tasks=False, handle_signals=False, polling_timeout=5)
    )
    client = EmulatorClient(running.base_url)
    try:
        yield Sandbox(running, bot, client)
    finally:
        with contextlib.suppress(RuntimeError, TimeoutError):
            await asyncio.wait_for(dispatcher.stop_polling(), 10)
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await client.close()
        await bot.session.close()
        await running.stop()


def png(width: int = 64, height: int = 48) -> bytes:
    """A small valid PNG (an orange gradient) without needing an imaging library."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((255, 120 + x * 2, 40 + y * 3)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def chat_item(page: Page, title: str) -> Locator:
    return page.get_by_test_id("chat-item").filter(
        has=page.get_by_test_id("chat-item-title").get_by_text(title, exact=True)
    )


async def open_as(page: Page, sandbox: Sandbox, user: str, chat: str) -> None:
    await page.goto(sandbox.url)
    await page.get_by_test_id("user-picker").select_option(label=user)
    await chat_item(page, chat).click()
    await expect(page.get_by_test_id("chat-title")).to_have_text(chat)


async def send(page: Page, text: str) -> None:
    await page.get_by_test_id("composer-input").fill(text)
    await page.get_by_test_id("send-button").click()


async def test_private_chat_buttons_toast_and_payment(sandbox: Sandbox, page: Page, browser_log: BrowserLog) -> None:
    alice = await sandbox.client.user("Alice")
    await sandbox.client.user("Bob")
    await open_as(page, sandbox, "Alice", "groupcart")

    await send(page, "/start")
    own = page.get_by_test_id("message").filter(has_text="/start")
    await expect(own).to_have_class(re.compile(r"\bout\b"))
    welcome = page.get_by_test_id("message").filter(has_text="Welcome to the tea shop")
    await expect(welcome).to_have_class(re.compile(r"\bin\b"))
    # formatting comes from the bot's entities, rendered as real elements (not as literal tags)
    await expect(welcome.locator("[data-testid=message-text] b")).to_have_text("tea shop")
    message_id = await welcome.get_attribute("data-message-id")

    await welcome.get_by_test_id("inline-button").filter(has_text="Website").click()
    await expect(page.get_by_test_id("link-url")).to_have_text("https://example.com/tea")
    await page.keyboard.press("Escape")

    await welcome.get_by_test_id("inline-button").filter(has_text="Shipping").click()
    await expect(page.get_by_test_id("alert-text")).to_have_text("Tea ships within 2 days")
    await page.get_by_test_id("alert-ok").click()
    await expect(page.get_by_test_id("alert")).to_have_count(0)

    await welcome.get_by_test_id("inline-button").filter(has_text="Add green tea").click()
    await expect(page.get_by_test_id("toast").filter(has_text="Added to cart")).to_be_visible()
    # the same message was edited in place: same id, new text, new keyboard, "edited" marker
    edited = page.locator(f"[data-testid=message][data-message-id='{message_id}']")
    await expect(edited.get_by_test_id("message-text")).to_have_text("Green tea is in your cart")
    await expect(edited.get_by_test_id("edited-marker")).to_be_visible()
    await expect(page.get_by_test_id("message").filter(has_text="Welcome to the tea shop")).to_have_count(0)

    await edited.get_by_test_id("inline-button").filter(has_text="Checkout").click()
    invoice = page.get_by_test_id("invoice")
    await expect(invoice.get_by_test_id("invoice-title")).to_have_text("Green tea")
    await expect(invoice.get_by_test_id("invoice-amount")).to_contain_text("$12.50")

    await page.get_by_test_id("pay-button").click()
    await page.get_by_test_id("card-number").fill("4000 0000 0000 0002")
    await page.get_by_test_id("pay-submit").click()
    await expect(page.get_by_test_id("pay-error")).to_have_text("Your card was declined.")
    await page.screenshot(path=str(SCREENSHOT_DIR / "webchat-pay.png"))
    await expect(page.get_by_test_id("message").filter(has_text="paid:")).to_have_count(0)

    await page.get_by_test_id("card-number").fill("4242 4242 4242 4242")
    await page.get_by_test_id("pay-submit").click()
    await expect(page.get_by_test_id("pay-dialog")).to_have_count(0)
    await expect(page.get_by_test_id("payment-receipt")).to_contain_text("$12.50")
    await expect(page.get_by_test_id("message").filter(has_text="paid: order-1")).to_be_visible()
    await expect(page.get_by_test_id("pay-button")).to_be_disabled()
    await page.screenshot(path=str(SCREENSHOT_DIR / "webchat.png"))

    # the page went through the control API, so the bot really saw one paid pre-checkout
    answers = await sandbox.client.calls("answerPreCheckoutQuery")
    # one pre-checkout per attempt (declined card, then the good one); aiogram sends form values as strings
    assert [str(call["params"].get("ok")).lower() for call in answers] == ["true", "true"]
    payments = [m for m in await sandbox.client.messages(alice.id) if m.successful_payment]
    assert len(payments) == 1 and payments[0].successful_payment is not None
    assert payments[0].successful_payment["total_amount"] == 1250
    assert browser_log.errors == []


async def test_reply_keyboard_contact_photo_and_live_group(
    sandbox: Sandbox, page: Page, browser_log: BrowserLog, tmp_path: Path
) -> None:
    alice = await sandbox.client.user("Alice")
    bob = await sandbox.client.user("Bob")
    group = await sandbox.client.group("Neighbours", [alice, bob], bot_admin=True)
    await open_as(page, sandbox, "Alice", "groupcart")

    # untrusted text is shown as text, never parsed as markup
    hostile = '<b>bold?</b><img src="x" onerror="window.pwned = 1">'
    await send(page, hostile)
    literal = page.get_by_test_id("message").filter(has_text="bold?").get_by_test_id("message-text")
    await expect(literal).to_have_text(hostile)
    assert await literal.locator("b, img").count() == 0
    assert await page.evaluate("window.pwned === undefined")

    await send(page, "/phone")
    await expect(page.get_by_test_id("reply-keyboard")).to_be_visible()
    await page.screenshot(path=str(SCREENSHOT_DIR / "webchat-keyboard.png"))
    await page.get_by_test_id("reply-button").filter(has_text="Send my phone").click()
    await page.get_by_test_id("confirm-share").click()
    await expect(page.get_by_test_id("message-contact")).to_be_visible()
    await expect(page.get_by_test_id("message").filter(has_text="Thanks, +1555")).to_be_visible()
    await expect(page.get_by_test_id("reply-keyboard")).to_be_hidden()

    picture = tmp_path / "tea.png"
    picture.write_bytes(png())
    await page.get_by_test_id("photo-input").set_input_files(str(picture))
    await page.get_by_test_id("photo-caption").fill("my teapot")
    await page.get_by_test_id("photo-send").click()
    reply = page.get_by_test_id("message").filter(has_text="Nice photo")
    await expect(reply.locator("[data-testid=message-text] b")).to_have_text("Nice")
    photo = reply.get_by_test_id("message-photo")
    await expect(photo).to_be_visible()
    await expect(photo).to_have_js_property("naturalWidth", 64)
    await expect(
        page.get_by_test_id("message").filter(has_text="my teapot").get_by_test_id("message-photo")
    ).to_be_visible()

    # the group: another member writes, the bot answers, the page follows live without reloading
    await chat_item(page, "Neighbours").click()
    await expect(page.get_by_test_id("chat-title")).to_have_text("Neighbours")
    await bob.send("/hello", chat=group)
    from_bob = page.get_by_test_id("message").filter(has_text="/hello")
    await expect(from_bob.get_by_test_id("message-sender")).to_have_text("Bob")
    greeting = page.get_by_test_id("message").filter(has_text="Hi Bob")
    await expect(greeting.get_by_test_id("message-sender")).to_have_text("groupcart")
    greeting_id = int(await greeting.get_attribute("data-message-id") or 0)

    await sandbox.bot.pin_chat_message(group.id, greeting_id, disable_notification=True)
    await expect(page.get_by_test_id("pinned-text")).to_have_text("Hi Bob")
    await sandbox.bot.edit_message_text(
        "Hi Bob and neighbours",
        chat_id=group.id,
        message_id=greeting_id,
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text="Open the shop", url="https://t.me/groupcart_bot?start=from_group")],
            ]
        ),
    )
    live = page.locator(f"[data-testid=message][data-message-id='{greeting_id}']")
    await expect(live.get_by_test_id("message-text")).to_have_text("Hi Bob and neighbours")
    await expect(live.get_by_test_id("edited-marker")).to_be_visible()
    await page.screenshot(path=str(SCREENSHOT_DIR / "webchat-group.png"))

    # a t.me deep link button moves the conversation to the private chat, as Telegram does
    await live.get_by_test_id("inline-button").filter(has_text="Open the shop").click()
    await expect(page.get_by_test_id("chat-title")).to_have_text("groupcart")
    await expect(page.get_by_test_id("message").filter(has_text="Welcome from the Neighbours group")).to_be_visible()
    private = await sandbox.client.messages(alice.id)
    assert any(m.text == "/start from_group" for m in private)
    assert browser_log.errors == []


async def test_forum_topics_keep_their_own_transcripts(sandbox: Sandbox, page: Page, browser_log: BrowserLog) -> None:
    sam = await sandbox.client.user("Sam")
    ada = await sandbox.client.user("Ada")
    forum = await sandbox.client.group("Support desk", [sam, ada], bot_admin=True, forum=True)
    topic = await forum.create_topic("Alice · order 12")
    await sandbox.bot.send_message(forum.id, "Ticket opened by Alice", message_thread_id=topic.message_thread_id)
    await sandbox.bot.send_message(forum.id, "Shift starts at 9")

    await open_as(page, sandbox, "Sam", "Support desk")
    general = page.get_by_test_id("message")
    await expect(general.filter(has_text="Shift starts at 9")).to_be_visible()
    await expect(general.filter(has_text="Ticket opened by Alice")).to_have_count(0)

    await page.get_by_test_id("topic-item").filter(has_text="Alice · order 12").click()
    await expect(page.get_by_test_id("chat-title")).to_have_text("Support desk › Alice · order 12")
    await expect(general.filter(has_text="Ticket opened by Alice")).to_be_visible()
    await expect(general.filter(has_text="Shift starts at 9")).to_have_count(0)

    await send(page, "On it")
    await expect(general.filter(has_text="On it")).to_be_visible()
    in_topic = await forum.messages(thread=topic)
    assert [m.text for m in in_topic if m.text] == ["Ticket opened by Alice", "On it"]
    await page.screenshot(path=str(SCREENSHOT_DIR / "webchat-forum.png"))
    assert browser_log.errors == []
