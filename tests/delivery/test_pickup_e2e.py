"""Item 6, pickup: a pickup order is told where to collect it and its pickup code, never that it "ships"; the
code is on the order for the buyer (/orders) and for the admin who hands it over. End to end, and the code
itself on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from store import checkout, orders
from store.db import Database
from store.delivery import PICKUP_CODE_ALPHABET, PICKUP_CODE_LENGTH
from tests.conftest import ADMIN_ID
from tests.delivery.helpers import bot_messages, bot_says, orders_of, shopper, text_of
from tests.orders.helpers import CONTACT, POLICY, card_pickup, fill_cart, make_product, make_users

CODE_RE = re.compile(rf"^[{PICKUP_CODE_ALPHABET}]{{{PICKUP_CODE_LENGTH}}}$")


async def _pickup_checkout(shop: Any, pay_label: str) -> Any:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await shopper(shop)
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout")
    await alice.tap("Pick up: Central Store")
    summary = await alice.last_message()
    assert summary is not None
    # Outside check: an odd separator ("Pick up at Central Store: 1 Market Street"); a comma, as on every line.
    assert "Pick up at Central Store, 1 Market Street, Gate B (09:00-21:00" in text_of(summary), text_of(summary)
    await alice.tap(pay_label)
    return alice


async def _admin_order_view(shop: Any, queue: str) -> Any:
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Orders")
    await ada.tap(queue)
    await ada.tap("#1")
    return ada


async def test_paid_pickup_order_gets_pickup_wording_and_code_never_ships(shop: Any) -> None:
    alice = await _pickup_checkout(shop, "by card")
    assert (await alice.pay(duplicate=True))["status"] == "paid"
    (order,) = await orders_of(shop.db, alice.id)
    assert order.pickup_code is not None and CODE_RE.match(order.pickup_code)

    paid = await bot_says(shop, alice, "Payment received")
    assert "Pick it up at Central Store (1 Market Street, Gate B)" in text_of(paid)
    assert f"Pickup code: {order.pickup_code}" in text_of(paid)
    await alice.send("/orders")
    await alice.tap("Paid")
    detail = await alice.last_message()
    assert detail is not None and f"Pickup code: {order.pickup_code}" in text_of(detail)
    # Outside check: the detail ran the point's name into its address ("Central Store 1 Market Street").
    assert "Pickup: Central Store, 1 Market Street, Gate B" in text_of(detail), text_of(detail)

    ada = await _admin_order_view(shop, "Pickup orders")  # a paid pickup never waits for a courier
    view = await ada.last_message()
    assert view is not None and f"Pickup code: {order.pickup_code}" in text_of(view)
    await ada.tap("Mark collected")
    picked = await bot_says(shop, alice, "was picked up")
    assert "delivered" not in text_of(picked)
    await shop.client.settle()
    assert not await bot_messages(alice, "ships") and not await bot_messages(alice, "shipped")


async def test_pay_on_pickup_order_shows_its_code_to_buyer_and_admin(shop: Any) -> None:
    alice = await _pickup_checkout(shop, "on pickup")
    (order,) = await orders_of(shop.db, alice.id)
    assert order.status == "confirmed" and order.pickup_code is not None
    confirmation = await alice.last_message()
    assert confirmation is not None and "is confirmed" in text_of(confirmation)
    assert f"Pickup code: {order.pickup_code}" in text_of(confirmation)
    await alice.send("/orders")
    await alice.tap("Confirmed")
    detail = await alice.last_message()
    assert detail is not None and f"Pickup code: {order.pickup_code}" in text_of(detail)
    ada = await _admin_order_view(shop, "Pickup orders")
    view = await ada.last_message()
    assert view is not None and f"Pickup code: {order.pickup_code}" in text_of(view)


async def test_chinese_pickup_notice(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    lilei = await shopper(shop, "李雷", lang="zh-hans")
    await fill_cart(shop.db, lilei.id, {tea: 1})
    await lilei.send("/checkout")
    await lilei.tap("自提：中心门店")
    summary = await lilei.last_message()
    assert summary is not None
    assert "自提点：中心门店，市场街1号B门（09:00-21:00" in text_of(summary), text_of(summary)
    await lilei.tap("银行卡支付")
    assert (await lilei.pay())["status"] == "paid"
    (order,) = await orders_of(shop.db, lilei.id)
    paid = await bot_says(shop, lilei, "已收到付款")
    assert "中心门店" in text_of(paid) and f"取货码：{order.pickup_code}" in text_of(paid)
    assert "发货" not in text_of(paid)
    # Outside check: the point's address was in ASCII parentheses, "请到中心门店 (市场街1号B门)".
    assert "请到中心门店（市场街1号B门）自提" in text_of(paid), text_of(paid)
    assert "(" not in text_of(paid) and ")" not in text_of(paid)
    await lilei.send("/orders")
    await lilei.tap("已支付")
    detail = await lilei.last_message()
    assert detail is not None
    assert "自提：中心门店，市场街1号B门" in text_of(detail), text_of(detail)


async def test_pickup_code_only_on_pickup_orders(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", price=2500, stock=10)
    await make_users(any_db, [1, 2])
    await fill_cart(any_db, 1, {tea: 1})
    await fill_cart(any_db, 2, {tea: 1})
    pickup = await checkout.place_order(any_db, card_pickup(1), POLICY)
    delivered = await checkout.place_order(
        any_db, checkout.CheckoutChoice(user_id=2, delivery_method="delivery", contact=CONTACT), POLICY
    )
    first = await orders.get_order(any_db, pickup.order_id)
    second = await orders.get_order(any_db, delivered.order_id)
    assert first.pickup_code is not None and CODE_RE.match(first.pickup_code)
    assert second.pickup_code is None
