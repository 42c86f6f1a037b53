"""Wishlists in the store: add/remove/page, and the scan that tells each shopper once per event."""

from __future__ import annotations

from sqlalchemy import select

from store import catalog
from store.db import Database
from store.models import OutboxMessage
from store.social import wishlist
from tests.social.helpers import add_products, make_user, product, product_id


async def queued(db: Database) -> list[tuple[int, str, int]]:
    async with db.read() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.template == wishlist.NOTICE_TEMPLATE))
        return sorted((row.chat_id, row.params["event"], row.params["price"]) for row in rows)


async def scan(db: Database) -> int:
    async with db.tx() as session:
        return len(await wishlist.scan(session))


async def test_add_is_idempotent_and_pages_list_newest_first(db: Database) -> None:
    await add_products(db, *(product(f"P{n}") for n in range(10)))
    await make_user(db, 1)
    ids = [await product_id(db, f"P{n}") for n in range(10)]
    assert await wishlist.add(db, 1, ids[0]) is True
    assert await wishlist.add(db, 1, ids[0]) is False, "a double tap adds once"
    for pid in ids[1:]:
        await wishlist.add(db, 1, pid)
    first = await wishlist.page(db, 1, 0, size=8)
    assert first.total == 10 and first.pages == 2 and len(first.items) == 8
    second = await wishlist.page(db, 1, 1, size=8)
    assert {item.sku for item in second.items} | {item.sku for item in first.items} == {f"P{n}" for n in range(10)}
    assert await wishlist.remove(db, 1, ids[0]) is True
    assert not await wishlist.contains(db, 1, ids[0])


async def test_price_drop_restock_and_sales_are_told_once(db: Database) -> None:
    await add_products(db, product("TEA", price=1000, stock=0), product("POT", price=500, stock=3))
    await make_user(db, 1)
    await make_user(db, 2, "zh")
    tea, pot = await product_id(db, "TEA"), await product_id(db, "POT")
    await wishlist.add(db, 1, tea)  # wished while sold out
    await wishlist.add(db, 1, pot)
    await wishlist.add(db, 2, pot)
    assert await scan(db) == 0, "nothing happened yet"

    await add_products(db, product("POT", price=400, stock=3))  # cheaper
    assert await scan(db) == 2
    assert await scan(db) == 0, "told once"
    await add_products(db, product("POT", price=450, stock=3))  # up again: no news
    await add_products(db, product("POT", price=400, stock=3))  # back to what they were told: no news
    assert await scan(db) == 0
    await add_products(db, product("POT", price=300, stock=3))  # lower still: news again
    assert await scan(db) == 2

    await catalog.adjust_stock(db, "TEA", 5)  # back in stock
    assert await scan(db) == 1
    assert await scan(db) == 0
    await catalog.adjust_stock(db, "TEA", -5)
    assert await scan(db) == 0  # sold out again: remembered, not told
    await catalog.adjust_stock(db, "TEA", 2)
    assert await scan(db) == 1, "a second return is news again"

    messages = await queued(db)
    assert messages == sorted(
        [
            (1, "price", 400),
            (2, "price", 400),
            (1, "price", 300),
            (2, "price", 300),
            (1, "stock", 1000),
            (1, "stock", 1000),
        ]
    )


async def test_unreachable_and_erased_shoppers_are_not_told(db: Database) -> None:
    from sqlalchemy import update

    from store.models import User, utcnow

    await add_products(db, product("POT", price=500, stock=3))
    await make_user(db, 1)
    await make_user(db, 2)
    pot = await product_id(db, "POT")
    await wishlist.add(db, 1, pot)
    await wishlist.add(db, 2, pot)
    async with db.tx() as session:
        await session.execute(update(User).where(User.id == 1).values(unreachable=True))
        await session.execute(update(User).where(User.id == 2).values(erased_at=utcnow()))
    await add_products(db, product("POT", price=100, stock=3))
    assert await scan(db) == 0


async def test_concurrent_hearts_and_scans_tell_once(any_db: Database) -> None:
    import asyncio

    await add_products(any_db, product("POT", price=500, stock=3))
    await make_user(any_db, 1)
    pot = await product_id(any_db, "POT")
    added = await asyncio.gather(*(wishlist.add(any_db, 1, pot) for _ in range(20)))
    assert sum(added) == 1
    await add_products(any_db, product("POT", price=100, stock=3))
    counts = await asyncio.gather(*(scan(any_db) for _ in range(10)), return_exceptions=True)
    assert not [c for c in counts if isinstance(c, BaseException)], counts
    assert sum(c for c in counts if isinstance(c, int)) == 1
    assert await queued(any_db) == [(1, "price", 100)]
