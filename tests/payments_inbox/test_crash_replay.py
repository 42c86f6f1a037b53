"""Issue 9 item 1, kill -9: the bot process dies after the payment reached its spool and before the database
recorded it; the next start replays the spool.

The first bot is a real `python -m bot run` process (production polling, updates handled as tasks) against
the emulator; its database (a private PostgreSQL) stops when Telegram delivers the payment, so the payment can
only be in the spool when the process is killed with SIGKILL. Telegram considers the update delivered (the
process asked for the next updates), so nothing but the spool remembers it."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.emulator.client import EmulatorClient, UserHandle
from bot.emulator.server import EmulatorConfig, start_emulator
from store import migrations
from store.db import Database
from tests.conftest import ROOT
from tests.orders.helpers import fill_cart, make_product
from tests.payments_inbox.helpers import (
    BOUGHT,
    PAID_NOTE,
    RECORDING_NOTE,
    STOCK,
    assert_paid_once,
    at_payment_delivery,
    bot_texts,
    wait_bot_says,
)
from tests.private_services import PrivatePostgres

pytestmark = pytest.mark.postgres

SANDBOX_PROVIDER_TOKEN = "TEST:sandbox-provider"


def _bot_process_env(token: str, api_base: str, database_url: str, spool: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUPCART_")}
    env.update(
        TELEGRAM_BOT_TOKEN=token,
        PAYMENT_PROVIDER_TOKEN=SANDBOX_PROVIDER_TOKEN,
        DATABASE_URL=database_url,
        GROUPCART_TELEGRAM__API_BASE=api_base,
        GROUPCART_TELEGRAM__POLLING_TIMEOUT="1",
        GROUPCART_PAYMENTS__INBOX_PATH=spool,
        GROUPCART_PAYMENTS__INBOX_RETRY_SECONDS="0.05",
        GROUPCART_PAYMENTS__INBOX_RETRY_MAX_SECONDS="0.3",
        GROUPCART_OUTBOX__POLL_SECONDS="0.05",
        GROUPCART_OUTBOX__PER_SECOND="200",
        GROUPCART_SCHEDULER__SWEEP_SECONDS="0.2",
    )
    return env


def _spooled(path: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT update_json FROM payment_inbox")]


async def _checkout(client: EmulatorClient, db: Database) -> tuple[UserHandle, int]:
    """The same shopper steps as helpers.invoice_in_hand, waiting for each answer: a production bot handles
    updates as tasks, so an update is confirmed before it is answered."""
    alice = await client.user("Alice", lang="en")
    await alice.send("/start")
    await client.wait_for(lambda: _has_bot_message(alice), timeout=30)
    tea = await make_product(db, "TEA-1", price=2500, stock=STOCK)
    await fill_cart(db, alice.id, {tea: BOUGHT})
    await alice.send("/checkout")
    await wait_bot_says(client, alice, "How would you like")
    await alice.tap("Pick up: Central Store")
    await wait_bot_says(client, alice, "Order summary")
    await alice.tap("by card")

    async def invoice() -> bool:
        last = await alice.last_message()
        return last is not None and last.invoice is not None

    await client.wait_for(invoice, timeout=20)
    return alice, tea


async def _has_bot_message(user: UserHandle) -> bool:
    return bool(await bot_texts(user))


async def test_killed_with_the_payment_in_the_spool_replays_it_on_restart(
    settings: Settings, tmp_path: Path, private_pg: PrivatePostgres
) -> None:
    from bot.app import create_app
    from bot.runner import prepare, run_polling
    from bot.sandbox import Stack, _with, report_handling

    url = await private_pg.create_database(f"gc_inbox_{uuid.uuid4().hex[:10]}")
    db = Database(url)
    await migrations.upgrade(db)
    spool = settings.payments.inbox_path
    assert spool is not None
    emulator = await start_emulator(EmulatorConfig(flood_limits=False))
    client = EmulatorClient(emulator.base_url)
    log_file = (tmp_path / "bot-process.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=str(ROOT),
        env=_bot_process_env(emulator.token, emulator.base_url, url, spool),
        stdout=log_file,
        stderr=asyncio.subprocess.STDOUT,
    )
    stack: Any = None
    postgres_down = False
    try:
        await client.wait_for(lambda: emulator.emulator.queue.last_poll is not None, timeout=90)
        alice, tea = await _checkout(client, db)

        async def postgres_stops() -> None:
            nonlocal postgres_down
            await asyncio.to_thread(private_pg.stop)
            postgres_down = True

        at_payment_delivery(emulator, postgres_stops)
        result = await alice.pay()
        assert result["status"] == "paid"
        await wait_bot_says(client, alice, RECORDING_NOTE)
        await client.settle()  # Telegram has the update confirmed: it will never deliver it again
        process.send_signal(signal.SIGKILL)
        await process.wait()
        [raw] = _spooled(spool)
        assert result["telegram_payment_charge_id"] in raw
        assert not any(PAID_NOTE in text for text in await bot_texts(alice))

        await asyncio.to_thread(private_pg.start)
        postgres_down = False
        app_settings = _with(
            settings, telegram={"api_base": emulator.base_url, "polling_timeout": 1}, database={"url": url}
        )
        app_settings.secrets.payment_provider_token = SANDBOX_PROVIDER_TOKEN
        app = await create_app(app_settings, emulator.token, db=db, migrate=False)
        await prepare(app)
        stop = asyncio.Event()
        report_handling(emulator, app)
        polling = asyncio.create_task(run_polling(app, stop))
        stack = Stack(emulator, client, app, polling, stop)
        await assert_paid_once(client, db, alice, tea)
        assert _spooled(spool) == []
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()
        log_file.close()
        if postgres_down:
            await asyncio.to_thread(private_pg.start)
        if stack is not None:
            await stack.stop()  # closes the app (and its database), the client and the emulator
        else:
            await db.dispose()
            await client.close()
            await emulator.stop()
