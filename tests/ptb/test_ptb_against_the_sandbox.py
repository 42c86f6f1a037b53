"""The sandbox serves any Bot API client: a python-telegram-bot shop bot, through PTB's own request encoding
(httpx, form and multipart bodies), over long polling and over a webhook. Every call it makes must be accepted
and every user action must reach it, exactly as with Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

pytest.importorskip("telegram", reason="python-telegram-bot is in the test extras")

from telegram import Update

from bot.emulator.client import EmulatorClient, MessageView, UserHandle
from bot.emulator.server import EmulatorConfig, RunningEmulator, start_emulator
from tests.ptb import shop_bot

SECRET = "ptb-secret_1"


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[RunningEmulator, EmulatorClient]]:
    # A test shopper taps faster than a person and this bot has no rate limiter: flood rules have their own tests.
    emulator = await start_emulator(EmulatorConfig(flood_limits=False))
    client = EmulatorClient(emulator.base_url)
    try:
        yield emulator, client
    finally:
        await client.close()
        await emulator.stop()


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    for _ in range(int(timeout / 0.05)):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the PTB bot did not answer in time")


async def last_from_bot(user: UserHandle, count: int) -> MessageView:
    """Wait until the bot has sent `count` messages to the user's private chat; the newest one."""

    async def enough() -> list[MessageView] | None:
        mine = [m for m in await user.messages() if m.from_bot]
        return mine if len(mine) >= count else None

    return (await eventually(enough))[-1]


async def _toasts_at_least(user: UserHandle, count: int) -> list[Any] | None:
    toasts = await user.toasts()
    return toasts if len(toasts) >= count else None


async def shop_session(client: EmulatorClient) -> None:
    """What a shopper does with the PTB bot; the same for polling and webhook."""
    ann = await client.user("Ann")
    await ann.send("/start")
    menu = await last_from_bot(ann, 1)
    assert menu.text == "PTB shop: pick a product"
    assert [e["type"] for e in menu.entities] == ["bold"], "PTB's parse_mode=HTML reached the parser"
    assert [b.text for b in menu.buttons[0]] == ["🍎 Apples", "Help"]

    await ann.tap("Help")
    # Over a webhook the tap is confirmed (HTTP 200) before the bot answers it: wait for the toast itself.
    toast = (await eventually(ann.toasts))[-1]
    assert toast.text == "Tap a product" and toast.show_alert

    await ann.tap("🍎 Apples")
    toasts = await eventually(lambda: _toasts_at_least(ann, 2))
    assert toasts[-1].text == "Added"
    photo = await last_from_bot(ann, 2)
    assert photo.photo and photo.caption == "Fresh apples", "a multipart photo upload from httpx"
    edited = next(m for m in await ann.messages() if m.message_id == menu.message_id)
    assert edited.edited and edited.text == "Apples in your cart ✅" and [b.text for b in edited.buttons[0]] == ["Pay"]

    await ann.tap("Pay", message=edited)
    invoice = await last_from_bot(ann, 3)
    assert invoice.invoice is not None and invoice.invoice["total_amount"] == 450
    await ann.pay(invoice)
    thanks = await last_from_bot(ann, 4)
    assert thanks.text == "Paid 4.50 USD, thank you!"

    await ann.send("hello 你好 <b>")
    echo = await last_from_bot(ann, 5)
    assert echo.text == "hello 你好 <b>"

    await ann.send_photo(shop_bot.PHOTO, caption="look")
    back = await last_from_bot(ann, 6)
    assert back.caption == f"got {len(shop_bot.PHOTO)} bytes", "getFile and the file download URL"
    assert back.raw.get("document", {}).get("file_name") == "your-photo.png"


def _superseded_poll(call: dict[str, Any]) -> bool:
    """PTB's stop() abandons its long poll and confirms the offset with a new getUpdates; Telegram answers the
    abandoned request 409, to a connection nobody listens to any more."""
    error = call.get("error") or {}
    return call["method"].lower() == "getupdates" and "terminated by other getUpdates" in error.get("description", "")


async def assert_every_call_accepted(client: EmulatorClient) -> None:
    calls = await client.calls()
    refused = [(c["method"], c.get("error")) for c in calls if not c["ok"] and not _superseded_poll(c)]
    assert refused == []
    methods = {c["method"].lower() for c in calls}
    assert {"sendmessage", "answercallbackquery", "editmessagetext", "sendphoto", "sendinvoice",
            "answerprecheckoutquery"} <= methods


async def test_ptb_bot_over_long_polling(sandbox: tuple[RunningEmulator, EmulatorClient]) -> None:
    emulator, client = sandbox
    application = shop_bot.build(emulator.token, emulator.base_url)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        assert application.bot.username == "groupcart_bot", "getMe through PTB"
        await shop_session(client)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    await assert_every_call_accepted(client)


@pytest.fixture
async def webhook_receiver() -> AsyncIterator[tuple[str, list[web.Request], Callable[[Any], None]]]:
    """A webhook endpoint in front of a PTB Application's update queue (PTB's documented custom-webhook way)."""
    seen: list[web.Request] = []
    target: dict[str, Any] = {}

    async def hook(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != SECRET:
            return web.Response(status=401)
        seen.append(request)
        application = target["app"]
        await application.update_queue.put(Update.de_json(await request.json(), application.bot))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/ptb", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/ptb", seen, lambda application: target.__setitem__("app", application)
    finally:
        await runner.cleanup()


async def test_ptb_bot_over_a_webhook(
    sandbox: tuple[RunningEmulator, EmulatorClient],
    webhook_receiver: tuple[str, list[web.Request], Callable[[Any], None]],
) -> None:
    emulator, client = sandbox
    url, seen, attach = webhook_receiver
    application = shop_bot.build(emulator.token, emulator.base_url)
    attach(application)
    await application.initialize()
    await application.start()
    try:
        assert await application.bot.set_webhook(url, secret_token=SECRET, allowed_updates=Update.ALL_TYPES)
        info = await application.bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        await shop_session(client)
        assert len(seen) >= 6, "updates came by webhook"
        assert await application.bot.delete_webhook()
    finally:
        await application.stop()
        await application.shutdown()
    await assert_every_call_accepted(client)
