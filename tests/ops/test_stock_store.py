"""Low-stock alerts, restock and back-in-stock waiters in the shop core, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from store import audit, stock_alerts
from store.db import Database
from store.errors import DomainError
from store.models import OutboxMessage
from store.models.ops import LowStockAlert
from tests.orders.helpers import make_product, make_users

ADMINS = [900_000_001, 900_000_002]


async def _outbox(db: Database, template: str) -> list[OutboxMessage]:
    async with db.read() as session:
        rows = await session.execute(select(OutboxMessage).where(OutboxMessage.template == template))
        return list(rows.scalars())


async def _check(db: Database, default: int = 5, ids: list[int] | None = None) -> list[stock_alerts.LowStock]:
    async with db.tx() as session:
        return await stock_alerts.check(session, default, ADMINS, ids)


async def _set_stock(db: Database, product_id: int, stock: int) -> None:
    from sqlalchemy import update

    from store.models import Product

    async with db.tx() as session:
        await session.execute(update(Product).where(Product.id == product_id).values(stock=stock))


async def test_alert_once_per_fall_and_again_after_recovery(any_db: Database) -> None:
    low = await make_product(any_db, "LOW-1", stock=3)
    await make_product(any_db, "OK-1", stock=5)  # at the threshold is not below it
    alerted = await _check(any_db)
    assert [a.sku for a in alerted] == ["LOW-1"]
    rows = await _outbox(any_db, stock_alerts.LOW_STOCK_TEMPLATE)
    assert sorted(r.chat_id for r in rows) == ADMINS
    assert rows[0].params["stock"] == 3 and rows[0].params["threshold"] == 5
    # Sweeps that see the same fall (this process or another) say nothing more.
    assert await _check(any_db) == [] and await _check(any_db, ids=[low]) == []
    assert len(await _outbox(any_db, stock_alerts.LOW_STOCK_TEMPLATE)) == 2
    # A restock above the threshold clears the alert; the next fall alerts again.
    done = await stock_alerts.restock(any_db, low, 10, actor_id=ADMINS[0], actor_role="admin", default_threshold=5)
    assert (done.before, done.stock) == (3, 13)
    async with any_db.read() as session:
        assert (await session.execute(select(LowStockAlert))).first() is None
    await _set_stock(any_db, low, 1)
    assert [a.stock for a in await _check(any_db)] == [1]
    assert len(await _outbox(any_db, stock_alerts.LOW_STOCK_TEMPLATE)) == 4


async def test_own_threshold_overrides_default_and_zero_turns_off(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=8)
    await stock_alerts.set_threshold(any_db, tea, 10, actor_id=ADMINS[0], actor_role="admin", default_threshold=5)
    assert await stock_alerts.threshold_of(any_db, tea, 5) == 10
    assert [a.threshold for a in await _check(any_db)] == [10]
    other = await make_product(any_db, "TEA-2", stock=0)
    assert await _check(any_db, default=0, ids=[other]) == []
    with pytest.raises(DomainError):
        await stock_alerts.set_threshold(any_db, tea, -1, actor_id=1, actor_role="admin", default_threshold=5)


async def test_concurrent_checks_alert_once(any_db: Database) -> None:
    await make_product(any_db, "LOW-1", stock=1)
    results = await asyncio.gather(*(_check(any_db) for _ in range(8)), return_exceptions=True)
    alerts = [r for r in results if isinstance(r, list)]
    assert sum(len(r) for r in alerts) == 1
    assert len(await _outbox(any_db, stock_alerts.LOW_STOCK_TEMPLATE)) == len(ADMINS)


async def test_restock_is_audited_and_refuses_bad_amounts(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=2)
    await stock_alerts.restock(any_db, tea, 50, actor_id=ADMINS[1], actor_role="admin", default_threshold=5)
    for bad in (0, -5, stock_alerts.MAX_RESTOCK + 1):
        with pytest.raises(DomainError):
            await stock_alerts.restock(any_db, tea, bad, actor_id=1, actor_role="admin", default_threshold=5)
    entries = await audit.latest(any_db)
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor_id, entry.actor_role, entry.action, entry.target) == (
        ADMINS[1],
        "admin",
        "stock.restock",
        "product:TEA-1",
    )
    assert entry.before == {"stock": 2} and entry.after == {"stock": 52}


async def test_one_restock_screen_adds_once_however_many_taps_race(any_db: Database) -> None:
    """Two admins on one alert (or one double tap that got past the tap guard) carry the same `seen`: the
    increment locks the row first, so exactly one adds; a screen drawn after it adds again."""
    tea = await make_product(any_db, "TEA-1", stock=2)
    card = await stock_alerts.stock_card(any_db, tea)
    assert card is not None and card.stock_change == 0

    async def tap(admin: int) -> stock_alerts.Restocked | stock_alerts.RestockRepeated:
        try:
            return await stock_alerts.restock(
                any_db, tea, 10, actor_id=admin, actor_role="admin", default_threshold=5, seen=card.stock_change
            )
        except stock_alerts.RestockRepeated as refused:
            return refused

    outcomes = await asyncio.gather(*(tap(ADMINS[i % 2]) for i in range(6)))
    done = [o for o in outcomes if isinstance(o, stock_alerts.Restocked)]
    refused = [o for o in outcomes if isinstance(o, stock_alerts.RestockRepeated)]
    assert len(done) == 1 and len(refused) == 5
    assert {r.stock for r in refused} == {12}, "the refusal tells the stock now"
    fresh = await stock_alerts.stock_card(any_db, tea)
    assert fresh is not None and fresh.stock == 12 and fresh.stock_change == done[0].change
    again = await stock_alerts.restock(
        any_db, tea, 10, actor_id=ADMINS[0], actor_role="admin", default_threshold=5, seen=fresh.stock_change
    )
    assert again.stock == 22
    assert [e.action for e in await audit.latest(any_db)] == ["stock.restock", "stock.restock"]


async def test_waiters_told_once_when_back(any_db: Database) -> None:
    shoppers = [101, 102, 103]
    await make_users(any_db, shoppers)
    tea = await make_product(any_db, "TEA-1", stock=0)
    assert await stock_alerts.watch(any_db, 101, tea) == stock_alerts.WATCHING
    assert await stock_alerts.watch(any_db, 101, tea) == stock_alerts.ALREADY
    assert await stock_alerts.watch(any_db, 102, tea) == stock_alerts.WATCHING
    assert await stock_alerts.waiting_count(any_db, tea) == 2
    assert await _check(any_db) is not None  # still sold out: nobody told
    assert await _outbox(any_db, stock_alerts.BACK_IN_STOCK_TEMPLATE) == []
    await _set_stock(any_db, tea, 4)  # e.g. an expired reservation gave stock back: the sweep notices
    await asyncio.gather(*(_check(any_db) for _ in range(4)))
    told = await _outbox(any_db, stock_alerts.BACK_IN_STOCK_TEMPLATE)
    assert sorted(r.chat_id for r in told) == [101, 102]
    assert await stock_alerts.waiting_count(any_db, tea) == 0
    assert await stock_alerts.watch(any_db, 103, tea) == stock_alerts.IN_STOCK
    await _check(any_db)
    assert len(await _outbox(any_db, stock_alerts.BACK_IN_STOCK_TEMPLATE)) == 2


async def test_restock_tells_waiters_in_the_same_transaction(db: Database) -> None:
    await make_users(db, [101])
    tea = await make_product(db, "TEA-1", stock=0)
    await stock_alerts.watch(db, 101, tea)
    await stock_alerts.restock(db, tea, 10, actor_id=ADMINS[0], actor_role="admin", default_threshold=5)
    assert [r.chat_id for r in await _outbox(db, stock_alerts.BACK_IN_STOCK_TEMPLATE)] == [101]


async def test_alerts_go_to_admins_the_bot_can_reach(any_db: Database) -> None:
    from sqlalchemy import update

    from store import users
    from store.models import User

    await make_users(any_db, [ADMINS[0], 77, 78])
    await users.grant_role(any_db, 77, "admin")
    await users.grant_role(any_db, 78, "admin")
    await users.grant_role(any_db, 79, "admin")  # granted before ever opening the chat
    async with any_db.tx() as session:
        await session.execute(update(User).where(User.id == 78).values(unreachable=True))
    async with any_db.read() as session:
        # ADMINS[1] is configured but never talked to the bot; 78 blocked it; 79 never opened it.
        assert await stock_alerts.admin_ids(session, ADMINS) == [77, ADMINS[0]]
