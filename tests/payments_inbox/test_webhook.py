"""Issue 9 item 13: in webhook mode an update is acknowledged (2xx) only once it is safe.

The real bot serves `run_webhook` and the emulator delivers to it the way Telegram does: a 2xx answer means
"delivered" and the update is never sent again; any other answer is retried with backoff."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, create_app
from bot.config import Settings
from bot.config.sections import WebhookSettings
from bot.emulator.client import EmulatorClient
from bot.emulator.server import EmulatorConfig, RunningEmulator, start_emulator
from bot.runner import prepare, run_webhook
from bot.sandbox import SANDBOX_PROVIDER_TOKEN, _with
from store import migrations
from store.db import Database
from tests.payments_inbox.helpers import (
    PAID_NOTE,
    RECORDING_NOTE,
    DatabaseOutage,
    assert_paid_once,
    at_payment_delivery,
    bot_texts,
    invoice_in_hand,
    wait_bot_says,
)
from tests.private_services import free_port

SECRET = "webhook-secret_1"


@dataclass
class WebhookShop:
    emulator: RunningEmulator
    client: EmulatorClient
    app: App

    @property
    def db(self) -> Database:
        return self.app.ctx.db


@pytest.fixture
async def hook_shop(settings: Settings, tmp_path: Path) -> AsyncIterator[WebhookShop]:
    emulator = await start_emulator(EmulatorConfig(flood_limits=False))
    client = EmulatorClient(emulator.base_url)
    port = free_port()
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    webhook = WebhookSettings(host="127.0.0.1", port=port, path="/hook", public_url=f"http://127.0.0.1:{port}")
    app_settings = _with(settings, telegram={"api_base": emulator.base_url, "webhook": webhook}, database={"url": url})
    app_settings.secrets.payment_provider_token = SANDBOX_PROVIDER_TOKEN
    db = Database(url)
    await migrations.upgrade(db)
    app = await create_app(app_settings, emulator.token, db=db, migrate=False)
    await prepare(app)
    stop = asyncio.Event()
    serving = asyncio.create_task(run_webhook(app, SECRET, stop))
    try:
        await client.wait_for(lambda: bool(emulator.emulator.queue.webhook.url), timeout=20)
        yield WebhookShop(emulator, client, app)
    finally:
        # Each step runs whatever the one before did: a stop that overran under load once skipped app.close(),
        # and the tasks it left holding SQLite connections deadlocked the event loop's shutdown (aiosqlite's
        # shielded close never returns there).
        stop.set()
        try:
            await asyncio.wait_for(serving, timeout=60)
        finally:
            try:
                await app.close()
            finally:
                await client.close()
                await emulator.stop()


async def test_webhook_answers_after_handling_and_keeps_a_payment_the_database_refused(
    hook_shop: WebhookShop,
) -> None:
    # Each step taps a button of the bot's previous answer right after the emulator saw a 2xx: the answer
    # must already be there (acknowledged after handling, not before).
    alice, tea = await invoice_in_hand(hook_shop.client, hook_shop.db)
    outage = DatabaseOutage(hook_shop.db)

    async def database_goes_down() -> None:
        outage.down = True

    at_payment_delivery(hook_shop.emulator, database_goes_down)
    assert (await alice.pay())["status"] == "paid"  # acknowledged: the payment is in the spool
    await wait_bot_says(hook_shop.client, alice, RECORDING_NOTE)
    assert outage.failures > 0
    assert not any(PAID_NOTE in text for text in await bot_texts(alice))
    outage.down = False
    await assert_paid_once(hook_shop.client, hook_shop.db, alice, tea)


async def test_payment_that_cannot_be_spooled_is_refused_and_delivered_again(hook_shop: WebhookShop) -> None:
    from bot import payment_inbox

    alice, tea = await invoice_in_hand(hook_shop.client, hook_shop.db)
    inbox: Any = payment_inbox.of(hook_shop.app.ctx)
    queue = hook_shop.emulator.emulator.queue
    original_put = inbox.spool.put
    seen: list[bool] = []

    def put(*args: Any, **kwargs: Any) -> bool:
        # Telegram must still hold the update while the bot writes it: the acknowledgement comes after.
        seen.append(any("successful_payment" in u.get("message", {}) for u in queue.pending))
        if len(seen) == 1:
            raise OSError(28, "No space left on device")
        written: bool = original_put(*args, **kwargs)
        return written

    inbox.spool.put = put
    assert (await alice.pay())["status"] == "paid"
    await assert_paid_once(hook_shop.client, hook_shop.db, alice, tea)
    assert seen == [True, True]  # refused once (500), delivered again, acknowledged only once spooled
    info = queue.webhook_info()
    assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    assert info["pending_update_count"] == 0
