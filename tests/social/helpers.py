"""Builders shared by the social tests: products, shoppers and orders written straight into the store; a counter of
the SELECTs a block runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event

from store import catalog
from store.db import Database
from store.models import Order, OrderItem, utcnow
from tests.catalog.helpers import add_products, make_user, product

__all__ = ["add_products", "bought", "make_user", "product", "product_id"]


async def product_id(db: Database, sku: str) -> int:
    item = await catalog.get_product_by_sku(db, sku)
    assert item is not None
    return item.id


async def bought(
    db: Database,
    user_id: int,
    skus: list[str],
    *,
    status: str = "paid",
    at: datetime | None = None,
    ago: timedelta = timedelta(days=1),
) -> tuple[int, list[int]]:
    """An order of one unit of each product, in `status`; returns the order id and its line ids."""
    when = at or utcnow() - ago
    async with db.tx() as session:
        order = Order(
            user_id=user_id,
            status=status,
            currency="CNY",
            subtotal=0,
            total=0,
            payment_method="card",
            delivery_method="pickup",
            created_at=when,
            paid_at=when,
        )
        session.add(order)
        await session.flush()
        lines = []
        for sku in skus:
            item = await catalog.get_product_by_sku(db, sku)
            assert item is not None
            line = OrderItem(
                order_id=order.id,
                product_id=item.id,
                sku=sku,
                title_en=item.title_en,
                title_zh=item.title_zh,
                unit_price=item.price,
                quantity=1,
            )
            session.add(line)
            await session.flush()
            lines.append(line.id)
        return order.id, lines


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SELECT statements run on `db` inside the block (both engines; not SQLite's own BEGIN)."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            seen.append(str(args[2]))

    engines = {db.engine.sync_engine, db.read_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
