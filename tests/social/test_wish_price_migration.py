"""Migration 0024: wishes of a digital product made when a wish remembered the yuan price now remember its Star
price, so the first scan after the upgrade does not announce "now ⭐ 350 (was ⭐ 5,000)"; physical products keep
theirs. Up, scan, down."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from store import migrations
from store.db import Database
from store.models.social import WishlistItem
from store.social import wishlist
from tests.backends import fresh_database_url
from tests.catalog.helpers import make_user
from tests.orders.helpers import make_product


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_digital_wishes_are_rebased_in_stars(backend: str, tmp_path: Path) -> None:
    async with fresh_database_url(backend, tmp_path) as url:
        db = Database(url)
        try:
            await migrations.upgrade(db, "0023_digital_codes")  # tables as at head: only the data changes
            gift = await make_product(db, "DIG-1", price=5000, digital=True, stars=350)
            tea = await make_product(db, "TEA-1", price=2500)
            await make_user(db, 1)
            async with db.tx() as session:
                session.add_all(
                    [
                        WishlistItem(user_id=1, product_id=gift, price_seen=5000),
                        WishlistItem(user_id=1, product_id=tea, price_seen=2600),
                    ]
                )

            async def seen() -> dict[int, int]:
                async with db.read() as session:
                    rows = await session.execute(select(WishlistItem.product_id, WishlistItem.price_seen))
                    return {product_id: price for product_id, price in rows.all()}

            await migrations.upgrade(db)
            assert await seen() == {gift: 350, tea: 2600}
            async with db.tx() as session:
                notices = await wishlist.scan(session)
            assert [(n.product.sku, n.event) for n in notices] == [("TEA-1", "price")], "the gift card did not drop"
            await migrations.downgrade(db, "0023_digital_codes")
            assert await seen() == {gift: 5000, tea: 2500}
        finally:
            await db.dispose()
