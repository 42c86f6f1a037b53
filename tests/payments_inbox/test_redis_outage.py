"""Issue 9 item 1 with Redis as conversation storage: Redis dies at the moment the successful_payment arrives.

aiogram reads the conversation state from Redis before any handler runs, so before the inbox this update
failed in the FSM middleware and the buyer was told "Nothing was charged". A private redis-server is used
(killed with SIGKILL, started again on the same port), never the shared one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.emulator.server import EmulatorConfig
from bot.sandbox import Stack, start_stack
from tests.conftest import make_test_settings
from tests.orders.helpers import last_text
from tests.payments_inbox.conftest import FAST_RETRIES
from tests.payments_inbox.helpers import assert_paid_once, at_payment_delivery, invoice_in_hand
from tests.private_services import PrivateRedis

pytestmark = pytest.mark.redis


@pytest.fixture
async def redis_shop(tmp_path: Path, private_redis: PrivateRedis) -> AsyncIterator[Stack]:
    settings: Settings = make_test_settings(
        redis={"url": private_redis.url},
        payments={**FAST_RETRIES, "inbox_path": str(tmp_path / "payment-inbox.sqlite3")},
    )
    stack = await start_stack(
        settings,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        emulator_config=EmulatorConfig(flood_limits=True),
    )
    try:
        yield stack
    finally:
        await stack.stop()


async def test_redis_down_at_successful_payment(redis_shop: Stack, private_redis: PrivateRedis) -> None:
    shop: Any = redis_shop
    assert type(shop.app.dp.storage).__name__ == "RedisCachedStorage"
    alice, tea = await invoice_in_hand(shop.client, shop.db)

    async def redis_dies() -> None:
        await asyncio.to_thread(private_redis.kill)

    at_payment_delivery(shop.emulator, redis_dies)
    assert (await alice.pay())["status"] == "paid"
    # The payment needs only the local spool and the database: recorded while Redis is still down.
    await assert_paid_once(shop.client, shop.db, alice, tea)
    await asyncio.to_thread(private_redis.start)
    # Conversations work again once Redis is back.
    await alice.send("/cart")
    assert "empty" in (await last_text(alice)).lower()


async def test_redis_down_when_the_buyer_taps_pay(redis_shop: Stack, private_redis: PrivateRedis) -> None:
    """Confirming the order (pre_checkout_query) needs only the database: a dead Redis does not stop a payment."""
    shop: Any = redis_shop
    alice, tea = await invoice_in_hand(shop.client, shop.db)
    await asyncio.to_thread(private_redis.kill)
    assert (await alice.pay())["status"] == "paid"
    await assert_paid_once(shop.client, shop.db, alice, tea)
    await asyncio.to_thread(private_redis.start)
