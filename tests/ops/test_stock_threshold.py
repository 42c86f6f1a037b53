"""A product's own low-stock threshold in the shop core, on SQLite and PostgreSQL: the alert follows it (once per
fall below it, again after a restock back above it) while other products keep the shop's default; setting or
clearing it is audited with who and the value before and after, and a second identical save logs nothing."""

from __future__ import annotations

from sqlalchemy import select, update

from store import audit, stock_alerts
from store.db import Database
from store.models import Product
from store.models.ops import LowStockAlert
from tests.orders.helpers import make_product

ADMIN = 900_000_001
DEFAULT = 5


async def _check(db: Database) -> list[str]:
    async with db.tx() as session:
        return [a.sku for a in await stock_alerts.check(session, DEFAULT, [ADMIN])]


async def _stock(db: Database, product_id: int, stock: int) -> None:
    async with db.tx() as session:
        await session.execute(update(Product).where(Product.id == product_id).values(stock=stock))


async def _alerted(db: Database) -> set[int]:
    async with db.read() as session:
        return set((await session.execute(select(LowStockAlert.product_id))).scalars())


async def _set(db: Database, product_id: int, value: int | None) -> bool:
    return await stock_alerts.set_threshold(
        db, product_id, value, actor_id=ADMIN, actor_role="admin", default_threshold=DEFAULT
    )


async def test_own_threshold_alerts_once_per_fall_and_rearms_after_restock(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=12)
    coffee = await make_product(any_db, "COF-1", stock=7)  # keeps the default of 5
    assert await _set(any_db, tea, 10)
    assert await _check(any_db) == []  # 12 and 7: neither below its own threshold
    await _stock(any_db, tea, 9)
    await _stock(any_db, coffee, 6)  # below TEA-1's 10, not below the default
    assert await _check(any_db) == ["TEA-1"]
    assert await _check(any_db) == []  # the same fall is told once
    await _stock(any_db, tea, 8)
    assert await _check(any_db) == []  # still the same fall
    done = await stock_alerts.restock(any_db, tea, 5, actor_id=ADMIN, actor_role="admin", default_threshold=DEFAULT)
    assert done.stock == 13 and await _alerted(any_db) == set()  # back above: re-armed
    await _stock(any_db, tea, 9)
    assert await _check(any_db) == ["TEA-1"]  # the next fall is told again
    await _stock(any_db, coffee, 4)
    assert await _check(any_db) == ["COF-1"]  # the default still rules the other product


async def test_lowering_the_threshold_rearms_and_back_to_default(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=7)
    assert await _set(any_db, tea, 10)
    assert await _check(any_db) == ["TEA-1"]
    assert await _set(any_db, tea, 3)  # 7 is not low any more: the alert is cleared, a fall below 3 alerts
    assert await _alerted(any_db) == set()
    await _stock(any_db, tea, 2)
    assert await _check(any_db) == ["TEA-1"]
    assert await _set(any_db, tea, None)
    assert await stock_alerts.threshold_of(any_db, tea, DEFAULT) == DEFAULT
    card = await stock_alerts.stock_card(any_db, tea)
    assert card is not None and card.own_threshold is None and card.stock == 2


async def test_zero_turns_the_product_off(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=0)
    assert await _set(any_db, tea, 0)
    assert await _check(any_db) == []


async def test_threshold_changes_are_audited_once(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=20)
    assert await _set(any_db, tea, 8)
    assert not await _set(any_db, tea, 8)  # the same value again: nothing changed, nothing logged
    assert await _set(any_db, tea, None)
    entries = await audit.latest(any_db)
    assert [(e.actor_id, e.actor_role, e.action, e.target, e.before, e.after) for e in entries] == [
        (ADMIN, "admin", "stock.threshold", "product:TEA-1", {"threshold": 8}, {"threshold": None}),
        (ADMIN, "admin", "stock.threshold", "product:TEA-1", {"threshold": None}, {"threshold": 8}),
    ]


async def test_editors_drawn_from_one_value_save_once_when_they_race(any_db: Database) -> None:
    """Two editors opened on the default, saving 7 and 9 at once: the row lock makes them take turns, so the
    second finds the value changed and saves nothing; an editor that showed the value now saves."""
    import asyncio

    tea = await make_product(any_db, "TEA-1", stock=20)

    async def save(value: int) -> int | None:
        try:
            await stock_alerts.set_threshold(
                any_db, tea, value, actor_id=ADMIN, actor_role="admin", default_threshold=DEFAULT, shown=None
            )
        except stock_alerts.ThresholdChanged as newer:
            return newer.threshold
        return None

    refusals = await asyncio.gather(save(7), save(9))
    kept = await stock_alerts.threshold_of(any_db, tea, DEFAULT)
    assert kept in (7, 9) and sorted(refusals, key=str) == sorted([None, kept], key=str)
    assert len([e for e in await audit.latest(any_db) if e.action == "stock.threshold"]) == 1
    assert await stock_alerts.set_threshold(
        any_db, tea, 3, actor_id=ADMIN, actor_role="admin", default_threshold=DEFAULT, shown=kept
    )


async def test_lowest_stock_lists_active_products_least_first(any_db: Database) -> None:
    await make_product(any_db, "A-1", stock=30)
    low = await make_product(any_db, "B-1", stock=2)
    await make_product(any_db, "C-1", stock=9)
    await _set(any_db, low, 4)
    listed = await stock_alerts.lowest_stock(any_db, 2)
    assert [(c.sku, c.stock, c.own_threshold) for c in listed] == [("B-1", 2, 4), ("C-1", 9, None)]
