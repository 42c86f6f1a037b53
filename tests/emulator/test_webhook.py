"""Webhook mode: delivery with the secret header, retries with backoff, 409 for getUpdates, drop_pending."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from tests.emulator.conftest import Harness


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.fail_next = 0
        self.reply: dict[str, Any] | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        if self.fail_next:
            self.fail_next -= 1
            return web.Response(status=500)
        self.received.append((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        if self.reply is not None:
            reply, self.reply = self.reply, None
            return web.json_response(reply)
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    rec.url = f"http://127.0.0.1:{port}/hook"
    yield rec
    await runner.cleanup()


async def wait_until(predicate: Any, timeout: float = 3.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def test_webhook_delivery_with_secret_and_conflict(h: Harness, receiver: Receiver) -> None:
    alice = await h.user()
    assert await h.ok("setWebhook", url=receiver.url, secret_token="s3cr3t_-X") is True
    info = await h.ok("getWebhookInfo")
    assert info["url"] == receiver.url and info["pending_update_count"] == 0
    await h.control("send", {"user_id": alice["id"], "text": "via hook"})
    await wait_until(lambda: receiver.received)
    update, secret = receiver.received[0]
    assert update["message"]["text"] == "via hook"
    assert secret == "s3cr3t_-X"
    body = await h.error("getUpdates")
    assert body["error_code"] == 409
    assert body["description"] == ("Conflict: can't use getUpdates method while webhook is active; use "
                                   "deleteWebhook to delete the webhook first")
    # settle counts a 2xx webhook answer as processed
    settled = await h.control("settle", {"timeout": 2})
    assert settled["settled"] is True


async def test_webhook_retries_non_2xx_with_backoff(h: Harness, receiver: Receiver) -> None:
    alice = await h.user()
    receiver.fail_next = 2
    await h.ok("setWebhook", url=receiver.url)
    await h.control("send", {"user_id": alice["id"], "text": "retry me"})
    await wait_until(lambda: h.emu.queue.webhook.last_error_message is not None)
    info = await h.ok("getWebhookInfo")
    assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    assert info["pending_update_count"] == 1
    await wait_until(lambda: receiver.received)
    assert receiver.received[0][0]["message"]["text"] == "retry me"
    assert len(receiver.received) == 1
    assert (await h.ok("getWebhookInfo"))["pending_update_count"] == 0


async def test_webhook_reply_executes_method(h: Harness, receiver: Receiver) -> None:
    alice = await h.user()
    receiver.reply = {"method": "sendMessage", "chat_id": alice["id"], "text": "answered inline"}
    await h.ok("setWebhook", url=receiver.url)
    await h.control("send", {"user_id": alice["id"], "text": "hi"})
    chat = h.emu.chats[alice["id"]]
    await wait_until(lambda: any(m.data.get("text") == "answered inline" for m in chat.messages.values()))
    calls = await h.get("calls", method="sendMessage")
    assert calls[-1]["params"]["text"] == "answered inline"


async def test_delete_webhook_drop_pending_and_invalid_urls(h: Harness, receiver: Receiver) -> None:
    alice = await h.user()
    receiver.fail_next = 1000
    await h.ok("setWebhook", url=receiver.url)
    await h.control("send", {"user_id": alice["id"], "text": "lost"})
    assert await h.ok("deleteWebhook", drop_pending_updates=True) is True
    assert await h.updates() == []
    assert (await h.ok("getWebhookInfo"))["url"] == ""
    body = await h.error("setWebhook", url="ftp://example.com/hook")
    assert body["description"] == "Bad Request: invalid webhook URL specified"
    body = await h.error("setWebhook", url=receiver.url, secret_token="bad token!")
    assert body["description"] == "Bad Request: secret token contains unallowed characters"
    await h.control("send", {"user_id": alice["id"], "text": "kept"})
    await h.ok("deleteWebhook")
    assert [u["message"]["text"] for u in await h.updates()] == ["kept"]
