"""The wishlist's store rules behind two outside checks, on SQLite and PostgreSQL: a full wishlist refuses only a
product it does not hold yet (one it holds is "already there", also under a double tap), and a wishlist page reads
its products' live flash prices (a sale open to everyone with units left) in the same statement as the products."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from store.db import Database
from store.errors import Conflict
from store.models import Product
from store.models.flashsale import FlashSale
from store.models.social import WishlistItem
from store.social import wishlist
from tests.flashsale.helpers import live_sale, scheduled_sale
from tests.social.helpers import add_products, make_user, product, product_id, statements


async def wished(db: Database, user_id: int) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).where(WishlistItem.user_id == user_id)) or 0)


async def fill(db: Database, user_id: int) -> None:
    missing = wishlist.MAX_ITEMS - await wished(db, user_id)
    skus = [f"FILL-{n}" for n in range(missing)]
    await add_products(db, *(product(sku) for sku in skus))
    async with db.tx() as session:
        ids = (await session.scalars(select(Product.id).where(Product.sku.in_(skus)))).all()
        await session.execute(
            insert(WishlistItem), [{"user_id": user_id, "product_id": i, "price_seen": 1} for i in ids]
        )


async def test_a_full_wishlist_refuses_only_what_it_does_not_hold(any_db: Database) -> None:
    await add_products(any_db, product("POT", stock=0), product("TEA"))
    await make_user(any_db, 1)
    pot, tea = await product_id(any_db, "POT"), await product_id(any_db, "TEA")
    assert await wishlist.add(any_db, 1, pot) is True
    await fill(any_db, 1)

    assert await wishlist.add(any_db, 1, pot) is False, "already there, however full the list is"
    # a double tap of a held product, several processes at once: every tap is "already there"
    assert await asyncio.gather(*(wishlist.add(any_db, 1, pot) for _ in range(10))) == [False] * 10
    with pytest.raises(Conflict) as refused:
        await wishlist.add(any_db, 1, tea)
    assert refused.value.code == "wishlist_full"
    assert await wished(any_db, 1) == wishlist.MAX_ITEMS and not await wishlist.contains(any_db, 1, tea)

    assert await wishlist.remove(any_db, 1, pot) is True  # room for one: the new product goes in
    assert await wishlist.add(any_db, 1, tea) is True
    assert await wished(any_db, 1) == wishlist.MAX_ITEMS


async def test_the_last_free_place_goes_to_one_of_several_products_added_at_once(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten different products tapped at once (several devices, several processes) on a list with one free place:
    one goes in, nine are refused as full, and the list never holds more than MAX_ITEMS (on PostgreSQL each
    insert-then-count saw only its own insert and all ten went in)."""
    skus = [f"NEW-{n}" for n in range(10)]
    await add_products(any_db, *(product(sku) for sku in skus))
    await make_user(any_db, 1)
    await fill(any_db, 1)
    assert await wishlist.remove(any_db, 1, await product_id(any_db, "FILL-0")) is True
    ids = [await product_id(any_db, sku) for sku in skus]
    real_insert = wishlist._insert_ignore

    async def slow_insert(session: Any, row: Any) -> bool:
        # Each add pauses between its insert and its count, so ten adds that can overlap do (deterministically).
        added = await real_insert(session, row)
        await asyncio.sleep(0.05)
        return added

    monkeypatch.setattr(wishlist, "_insert_ignore", slow_insert)

    outcomes = await asyncio.gather(*(wishlist.add(any_db, 1, i) for i in ids), return_exceptions=True)

    assert outcomes.count(True) == 1, outcomes
    refused = [o for o in outcomes if o is not True]
    assert len(refused) == 9 and all(isinstance(o, Conflict) and o.code == "wishlist_full" for o in refused), refused
    assert await wished(any_db, 1) == wishlist.MAX_ITEMS


async def test_a_page_carries_its_live_flash_prices_from_the_same_read(any_db: Database) -> None:
    await add_products(
        any_db,
        product("RICE", price=9900, stock=10),
        product("SOLD", price=5000, stock=10),
        product("SOON", price=3000, stock=10),
        product("PLAIN", price=1000, stock=10),
    )
    await make_user(any_db, 1)
    ids = {sku: await product_id(any_db, sku) for sku in ("RICE", "SOLD", "SOON", "PLAIN")}
    for pid in ids.values():
        await wishlist.add(any_db, 1, pid)
    rice = await live_sale(any_db, "RICE", stock=10, price=1990)  # all ten units: the product's own stock is 0
    sold = await live_sale(any_db, "SOLD", stock=2, price=990)
    async with any_db.tx() as session:  # every unit won
        await session.execute(update(FlashSale).where(FlashSale.id == sold.id).values(sold=FlashSale.stock))
    await scheduled_sale(any_db, "SOON", stock=5, price=990)  # not started yet

    with statements(any_db) as seen:
        page = await wishlist.page(any_db, 1)
    assert len(seen) == 2, seen  # the count and the page: no statement per product, none for the prices
    assert {item.sku for item in page.items} == set(ids) and page.total == 4
    assert set(page.flash) == {ids["RICE"]}, page.flash
    live = page.flash[ids["RICE"]]
    assert (live.sale_id, live.price, live.remaining) == (rice.id, 1990, 10)
    assert next(item for item in page.items if item.sku == "RICE").stock == 0

    small = await wishlist.page(any_db, 1, 1, size=2)  # a later page: only its own products' prices
    assert small.page == 1 and len(small.items) == 2
    assert set(small.flash) <= {item.id for item in small.items}
