"""The flash pool leaves the product's stock at creation and the unsold units come back: conditional updates."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import rowcount
from store.errors import Conflict
from store.models import Product


async def _take_from_product(session: AsyncSession, product_id: int, n: int) -> None:
    result = await session.execute(
        update(Product).where(Product.id == product_id, Product.stock >= n).values(stock=Product.stock - n)
    )
    if not rowcount(result):
        available = (await session.execute(select(Product.stock).where(Product.id == product_id))).scalar_one()
        raise Conflict("flash_not_enough_stock", available=available, wanted=n)


async def _give_to_product(session: AsyncSession, product_id: int, n: int) -> None:
    if n > 0:
        await session.execute(update(Product).where(Product.id == product_id).values(stock=Product.stock + n))
