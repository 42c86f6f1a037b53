"""Group-buy test helpers: a product, people and a published buy written straight to the store."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select

from store import groupbuy
from store.db import Database
from store.models import Category, Product, User, utcnow

POLICY = groupbuy.GroupBuyPolicy(commission_percent=5.0, payment_window_minutes=60, pickup_points=("central",))


async def make_product(
    db: Database, *, stock: int = 100, price: int = 10000, sku: str = "GB-TEA", title: str = "Oolong tea"
) -> int:
    async with db.tx() as session:
        category = (await session.execute(select(Category).where(Category.slug == "gb"))).scalar_one_or_none()
        if category is None:
            category = Category(slug="gb", name_en="Group", name_zh="团购", position=0)
            session.add(category)
            await session.flush()
        product = Product(
            sku=sku,
            category_id=category.id,
            title_en=title,
            title_zh="乌龙茶" if title == "Oolong tea" else title,
            price=price,
            currency="CNY",
            stock=stock,
            active=True,
        )
        session.add(product)
        await session.flush()
        return product.id


async def make_users(db: Database, ids: range | list[int], lang: str = "en") -> None:
    rows = [{"id": uid, "first_name": f"u{uid}", "language": lang} for uid in ids]
    async with db.tx() as session:
        for start in range(0, len(rows), 500):
            await session.execute(insert(User), rows[start : start + 500])


async def publish(
    db: Database,
    product_id: int,
    *,
    leader_id: int = 1,
    chat_id: int = -100,
    minimum: int = 2,
    maximum: int | None = None,
    per_person: int = 3,
    deadline: datetime | None = None,
    tiers: tuple[groupbuy.Tier, ...] = (groupbuy.Tier(3, 9000),),
    pickup: str | None = "central",
) -> groupbuy.GroupBuyView:
    spec = groupbuy.GroupBuySpec(
        chat_id=chat_id,
        product_id=product_id,
        tiers=tiers,
        min_participants=minimum,
        max_participants=maximum,
        per_person_limit=per_person,
        deadline=deadline or utcnow() + timedelta(hours=24),
        pickup_point=pickup,
    )
    return await groupbuy.publish(db, leader_id, spec, POLICY)


async def stock_of(db: Database, product_id: int) -> int:
    async with db.read() as session:
        return int((await session.execute(select(Product.stock).where(Product.id == product_id))).scalar_one())
