"""A paid all-digital order is complete on payment: its goods are handed over in the chat, so it is delivered and
never waits in the admin's "Paid, to ship" queue. A digital line the catalog has nothing to send for keeps the
order paid (the team still owes it). End to end with the demo gift card, and the rule at store level."""

from __future__ import annotations

from typing import Any

import pytest

from store import checkout, order_queues, orders
from store.db import Database
from store.models import Product
from tests.conftest import ADMIN_ID
from tests.delivery.helpers import bot_says, orders_of, product_id, shopper, text_of
from tests.orders.helpers import POLICY, fill_cart, make_product, make_users


@pytest.mark.seeded
async def test_paid_gift_card_is_delivered_and_not_in_the_to_ship_queue(shop: Any) -> None:
    alice = await shopper(shop)
    await fill_cart(shop.db, alice.id, {await product_id(shop.db, "DIG-GIFT50"): 1})
    await alice.send("/checkout")
    await alice.tap("Pay ⭐ 350")
    assert (await alice.pay())["status"] == "paid"
    await bot_says(shop, alice, "GC50-DEMO-7Q4K-M2XP")
    (order,) = await orders_of(shop.db, alice.id)
    assert order.status == "delivered", "handed over on payment: nothing left to do"
    assert await order_queues.queue(shop.db, "paid") == []

    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Orders")
    menu = await ada.last_message()
    assert menu is not None and "✅ Paid, to ship (0)" in [b.text for row in menu.buttons for b in row]
    await alice.send("/orders")
    await alice.tap("Delivered")
    detail = await alice.last_message()
    assert detail is not None and "Delivered" in text_of(detail)
    assert any("Send my purchase again" in b.text for row in detail.buttons for b in row)


async def _paid_digital_order(db: Database, user_id: int, sku: str, *, content: str | None) -> orders.OrderDetail:
    product = await make_product(db, sku, price=500, stock=5, digital=True, stars=35)
    async with db.tx() as session:
        row = await session.get(Product, product)
        assert row is not None
        row.digital_kind, row.digital_content = ("code", content) if content else (None, None)
    await make_users(db, [user_id])
    await fill_cart(db, user_id, {product: 1})
    placed = await checkout.place_order(
        db, checkout.CheckoutChoice(user_id=user_id, delivery_method="digital", payment_method="stars"), POLICY
    )
    async with db.tx() as session:
        await orders.transition(session, placed.order_id, orders.PAID, "payment")
    return await orders.get_order(db, placed.order_id)


async def test_digital_order_with_its_goods_completes_on_payment(any_db: Database) -> None:
    order = await _paid_digital_order(any_db, 1, "CODE-1", content="ABC-123")
    assert order.status == orders.DELIVERED and order.paid_at is not None
    assert [e.to_status for e in order.events] == ["pending_payment", "paid", "delivered"]


async def test_digital_order_with_nothing_to_send_stays_for_the_team(any_db: Database) -> None:
    order = await _paid_digital_order(any_db, 2, "CODE-2", content=None)
    assert order.status == orders.PAID
    assert [line.id for line in await order_queues.queue(any_db, "paid")] == [order.id]
