"""Issue 9 item 12: a checkout in progress survives a kill -9 of a Redis without persistence, and an update that
arrives while Redis is down is still handled by the checkout (not routed to the assistant as free text)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.emulator.server import EmulatorConfig
from bot.fsm_storage import RedisCachedStorage
from bot.sandbox import Stack, start_stack
from tests.conftest import make_test_settings
from tests.orders.helpers import fill_cart, last_text, make_product
from tests.private_services import PrivateRedis

pytestmark = pytest.mark.redis


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def redis_shop(redis_server: PrivateRedis, tmp_path: Path) -> AsyncIterator[Stack]:
    settings = make_test_settings(redis={"url": redis_server.url})
    stack = await start_stack(
        settings,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        emulator_config=EmulatorConfig(flood_limits=False),
    )
    try:
        yield stack
    finally:
        await stack.stop()


async def test_checkout_survives_redis_kill_and_restart(redis_shop: Any, redis_server: PrivateRedis) -> None:
    shop = redis_shop
    assert isinstance(shop.app.dp.storage, RedisCachedStorage)
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await shop.client.user("Alice", lang="en")
    await alice.send("/start")
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout")
    await alice.tap("Delivery to my address")
    await alice.send("Alice Liddell")
    assert "phone" in (await last_text(alice)).lower()

    redis_server.kill()
    # While Redis is down the typed phone number still belongs to the checkout.
    await alice.send("+86 138 0013 8000")
    assert "delivery address" in await last_text(alice)

    redis_server.start()  # empty: no persistence
    await alice.send("1 Rabbit Hole Lane, Flat 2")
    summary = await last_text(alice)
    assert "Order summary" in summary, summary
    assert "Alice Liddell" in summary and "Rabbit Hole" in summary
    texts = [m.text or "" for m in await alice.messages() if m.from_bot]
    assert not any("something went wrong" in text or "Sorry" in text for text in texts), texts


async def test_phone_after_redis_restart_lands_in_checkout(redis_shop: Any, redis_server: PrivateRedis) -> None:
    """The reporter's sequence: name typed, Redis killed and restarted empty, then the phone number."""
    shop = redis_shop
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    li = await shop.client.user("李雷", lang="zh-hans")
    await li.send("/start")
    await fill_cart(shop.db, li.id, {tea: 1})
    await li.send("/checkout")
    await li.tap("送货上门")
    await li.send("李雷")
    redis_server.kill()
    redis_server.start()
    await li.send("13800138000")
    assert "地址" in await last_text(li)
    storage = shop.app.dp.storage
    assert isinstance(storage, RedisCachedStorage)
    key = StorageKey(bot_id=shop.app.bot.id, chat_id=li.id, user_id=li.id)
    data = await storage.get_data(key)
    assert "13800138000" in str(data.get("ck_phone", "")).replace(" ", ""), data
    assert (await storage.get_state(key) or "").endswith("address")
