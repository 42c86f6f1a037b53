"""Builders for flash-sale tests: a product, users, and a sale that is already live."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select

from store import flashsale
from store.db import Database
from store.models import Product, User, utcnow
from tests.orders import helpers as orders_helpers


async def make_product(db: Database, sku: str = "FLASH-1", *, price: int = 9900, stock: int = 500) -> int:
    return await orders_helpers.make_product(db, sku, price=price, stock=stock)


async def make_users(db: Database, ids: list[int], *, subscribed: bool = False) -> None:
    now = utcnow()
    rows = [
        {
            "id": uid,
            "first_name": f"u{uid}",
            "language": "en",
            "language_chosen": False,
            "created_at": now,
            "last_seen_at": now,
            "unreachable": False,
            "subscribed_flash": subscribed,
            "checkin_reminder": False,
        }
        for uid in ids
    ]
    async with db.tx() as session:
        for start in range(0, len(rows), 500):
            await session.execute(insert(User), rows[start : start + 500])


async def product_stock(db: Database, product_id: int) -> int:
    async with db.read() as session:
        return int((await session.execute(select(Product.stock).where(Product.id == product_id))).scalar_one())


async def scheduled_sale(
    db: Database,
    sku: str = "FLASH-1",
    *,
    stock: int = 100,
    per_user: int = 1,
    price: int = 1990,
    starts_in: timedelta = timedelta(minutes=10),
    lasts: timedelta = timedelta(hours=1),
    groups: tuple[int, ...] | None = None,
    created_by: int | None = None,
) -> flashsale.SaleView:
    now = utcnow()
    spec = flashsale.SaleSpec(
        sku=sku,
        price=price,
        stock=stock,
        starts_at=now + starts_in,
        ends_at=now + starts_in + lasts,
        per_user_limit=per_user,
        groups=groups,
    )
    return await flashsale.create_sale(db, spec, actor_id=created_by)


async def live_sale(db: Database, sku: str = "FLASH-1", **kwargs: object) -> flashsale.SaleView:
    """A sale started through the store's own start transition (as the start event would). With a bot running,
    its scheduler may fire the start event (due already) first: then this start changes nothing, and either way
    the sale is live."""
    sale = await scheduled_sale(db, sku, starts_in=timedelta(seconds=-1), **kwargs)  # type: ignore[arg-type]
    async with db.tx() as session:
        await flashsale.start_sale(session, sale.id, late_by=timedelta(seconds=1), grace=timedelta(minutes=5))
    started = await flashsale.get_sale(db, sale.id)
    assert started.status == flashsale.LIVE
    return started
