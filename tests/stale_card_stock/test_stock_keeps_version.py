"""Store side, on SQLite and PostgreSQL: every path that moves a product's stock (a checkout's reservation, a
flash pool taking and giving back units, an admin's restock, an order's units coming back, a digital product's
stock lowered to its codes left) leaves its version alone, so cards drawn before still add; each still moves
`updated_at` (the search index's change check, which re-ranks in-stock products). A visible change (the price)
bumps the version and an add from a card drawn before is refused as stale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import cart, catalog, checkout, delivery, orders, stock_alerts
from store.catalog import ProductRow, upsert_products
from store.db import Database
from store.errors import Conflict
from store.flashsale.stock import _give_to_product, _take_from_product
from store.models import Product
from tests.conftest import ADMIN_ID
from tests.orders.helpers import make_product, make_users

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
SHOPPER = 7001


async def _version_and_updated(db: Database, product_id: int) -> tuple[int, datetime, int]:
    async with db.read() as session:
        row = (
            await session.execute(
                select(Product.version, Product.updated_at, Product.stock).where(Product.id == product_id)
            )
        ).one()
    return int(row.version), row.updated_at, int(row.stock)


async def _reserve(session: AsyncSession, product_id: int) -> None:
    item = await session.get(Product, product_id)
    assert item is not None
    line = checkout.QuoteLine(
        product_id=product_id,
        sku=item.sku,
        category_id=item.category_id,
        title_en=item.title_en,
        title_zh=item.title_zh,
        unit_price=item.price,
        currency=item.currency,
        quantity=2,
        is_digital=False,
        stars_price=None,
    )
    await checkout.reserve(session, [line], "en")


async def _to_codes_left(session: AsyncSession, product_id: int) -> None:
    await delivery.stock_to_codes_left(session, [delivery.Shortage(product_id, "t", "t", 5, 1)])


MOVES: dict[str, Callable[[AsyncSession, int], Awaitable[None]]] = {
    "checkout reservation": _reserve,
    "flash pool takes": lambda session, pid: _take_from_product(session, pid, 3),
    "flash pool gives back": lambda session, pid: _give_to_product(session, pid, 3),
    "stock lowered to codes left": _to_codes_left,
}


@pytest.mark.parametrize("move", sorted(MOVES))
async def test_a_stock_move_keeps_the_version_and_moves_updated_at(any_db: Database, move: str) -> None:
    product_id = await make_product(any_db, "TEA-1", stock=10)
    await make_users(any_db, [SHOPPER])
    async with any_db.tx() as session:
        await session.execute(update(Product).where(Product.id == product_id).values(updated_at=LONG_AGO))
    version, _, stock = await _version_and_updated(any_db, product_id)

    async with any_db.tx() as session:
        await MOVES[move](session, product_id)

    after, updated_at, new_stock = await _version_and_updated(any_db, product_id)
    assert new_stock != stock, "the move changed the stock"
    assert after == version, "a stock move is not a change the card shows"
    assert updated_at > LONG_AGO, "the search index still sees the stock move"
    change = await cart.add_to_cart(any_db, SHOPPER, product_id, 1, version=version)
    assert change.quantity == 1


async def test_restock_and_returned_units_keep_the_version(any_db: Database) -> None:
    product_id = await make_product(any_db, "TEA-1", stock=10)
    await make_users(any_db, [SHOPPER, ADMIN_ID])
    version, _, _ = await _version_and_updated(any_db, product_id)
    async with any_db.tx() as session:
        await session.execute(update(Product).where(Product.id == product_id).values(updated_at=LONG_AGO))

    restocked = await stock_alerts.restock(
        any_db, product_id, 10, actor_id=ADMIN_ID, actor_role="admin", default_threshold=5
    )
    assert restocked.stock == 20
    after, updated_at, _ = await _version_and_updated(any_db, product_id)
    assert after == version and updated_at > LONG_AGO

    order = await _placed_order(any_db, product_id)
    async with any_db.tx() as session:
        await session.execute(update(Product).where(Product.id == product_id).values(updated_at=LONG_AGO))
    async with any_db.tx() as session:
        await orders.release_stock(session, order)
    after, updated_at, stock = await _version_and_updated(any_db, product_id)
    assert stock == 20 and after == version and updated_at > LONG_AGO
    assert (await cart.add_to_cart(any_db, SHOPPER, product_id, 1, version=version)).quantity == 1


async def _placed_order(db: Database, product_id: int) -> int:
    """An order of 2 units written as a checkout does (the stock reserved), for its units to come back."""
    from store.models import Order, OrderItem

    async with db.tx() as session:
        await _reserve(session, product_id)
        order = Order(
            user_id=SHOPPER,
            status="pending",
            delivery_method="pickup",
            payment_method="card",
            currency="CNY",
            subtotal=5000,
            total=5000,
        )
        session.add(order)
        await session.flush()
        session.add(
            OrderItem(
                order_id=order.id,
                product_id=product_id,
                sku="TEA-1",
                title_en="Product TEA-1",
                title_zh="商品 TEA-1",
                unit_price=2500,
                quantity=2,
            )
        )
        return int(order.id)


async def test_a_price_change_bumps_the_version_and_an_old_add_is_stale(any_db: Database) -> None:
    product_id = await make_product(any_db, "TEA-1", stock=10)
    await make_users(any_db, [SHOPPER])
    item = await catalog.get_product_by_sku(any_db, "TEA-1")
    assert item is not None
    row = ProductRow(
        sku="TEA-1",
        title_en=item.title_en,
        title_zh=item.title_zh,
        category="test",
        price=3000,
        currency="CNY",
        stock=9,
    )
    async with any_db.tx() as session:
        await upsert_products(session, [row])
    after, _, _ = await _version_and_updated(any_db, product_id)
    assert after == item.version + 1
    with pytest.raises(Conflict) as refused:
        await cart.add_to_cart(any_db, SHOPPER, product_id, 1, version=item.version)
    assert refused.value.code == "stale_button"
    assert (await cart.add_to_cart(any_db, SHOPPER, product_id, 1, version=after)).quantity == 1


async def test_sold_out_is_refused_as_sold_out_not_stale(any_db: Database) -> None:
    product_id = await make_product(any_db, "TEA-1", stock=2)
    await make_users(any_db, [SHOPPER])
    version, _, _ = await _version_and_updated(any_db, product_id)
    async with any_db.tx() as session:
        await _reserve(session, product_id)  # the last two
    with pytest.raises(Conflict) as refused:
        await cart.add_to_cart(any_db, SHOPPER, product_id, 1, version=version)
    assert refused.value.code == "cart_sold_out"
