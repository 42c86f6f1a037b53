"""The database goes away after the invoice was sent, before the buyer taps Pay: Telegram asks the bot to confirm
the order (pre_checkout_query) and must hear "no" at once, with the reason in the buyer's language, so nothing
is charged; the reservation stays, and paying again once the database is back charges once. On SQLite (the
outage injected under SQLAlchemy) and on a private PostgreSQL that is really stopped."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.emulator.server import EmulatorConfig
from bot.i18n import t
from bot.sandbox import start_stack
from store.models import Order, Payment
from tests.orders.helpers import stock_of
from tests.payments_inbox.helpers import (
    BOUGHT,
    STOCK,
    DatabaseOutage,
    assert_paid_once,
    invoice_in_hand,
)
from tests.private_services import PrivatePostgres

UNAVAILABLE = t("en", "errors.unavailable")


async def _nothing_charged(shop: Any, tea: int) -> None:
    async with shop.db.read() as session:
        assert list((await session.execute(select(Payment))).scalars()) == []
        assert [o.status for o in (await session.execute(select(Order))).scalars()] == ["pending_payment"]
    assert await stock_of(shop.db, tea) == STOCK - BOUGHT  # still held for the buyer


async def test_database_down_when_the_buyer_taps_pay(shop: Any) -> None:
    alice, tea = await invoice_in_hand(shop.client, shop.db)
    outage = DatabaseOutage(shop.db)
    outage.down = True
    refused = await alice.pay()
    assert refused["status"] == "rejected", refused
    assert refused["error"] == UNAVAILABLE[:255]
    assert outage.failures > 0
    outage.down = False
    await _nothing_charged(shop, tea)
    assert (await alice.pay())["status"] == "paid"
    await assert_paid_once(shop.client, shop.db, alice, tea)


@pytest.mark.postgres
async def test_postgres_stopped_when_the_buyer_taps_pay(settings: Settings, private_pg: PrivatePostgres) -> None:
    url = await private_pg.create_database(f"gc_precheck_{uuid.uuid4().hex[:10]}")
    stack: Any = await start_stack(settings, database_url=url, emulator_config=EmulatorConfig(flood_limits=True))
    stopped = False
    try:
        alice, tea = await invoice_in_hand(stack.client, stack.db)
        await asyncio.to_thread(private_pg.stop)
        stopped = True
        refused = await alice.pay()
        assert refused["status"] == "rejected", refused
        assert refused["error"] == UNAVAILABLE[:255]
        await asyncio.to_thread(private_pg.start)
        stopped = False
        await _nothing_charged(stack, tea)
        assert (await alice.pay())["status"] == "paid"
        await assert_paid_once(stack.client, stack.db, alice, tea)
    finally:
        if stopped:
            await asyncio.to_thread(private_pg.start)
        await stack.stop()
