"""Checkout applies other features' discount providers: previewed without consuming, consumed with the
order in the same transaction (and not at all when the order is refused)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store import checkout, notify, orders, pricing_hooks
from store.db import Database
from store.errors import DomainError
from store.models import OutboxMessage
from tests.orders.helpers import POLICY, card_pickup, fill_cart, last_text, make_product, make_users, stock_of


async def _coupon(session: AsyncSession, request: pricing_hooks.PricingRequest) -> list[pricing_hooks.Adjustment]:
    if request.coupon_code != "SAVE10":
        return []
    if request.consume:
        # Stands in for a coupon-use row: it must commit or roll back with the order.
        await notify.enqueue(session, 1, "test.coupon_used", order_id=request.order_id)
    amount = request.subtotal // 10
    return [pricing_hooks.Adjustment("coupon", amount, "checkout.subtotal", {"amount": "x"}, coupon_code="SAVE10")]


async def _points(session: AsyncSession, request: pricing_hooks.PricingRequest) -> list[pricing_hooks.Adjustment]:
    if not request.use_points:
        return []
    return [pricing_hooks.Adjustment("points", 300, "checkout.subtotal", {"amount": "y"}, points_spent=300)]


@pytest.fixture
def providers(request: pytest.FixtureRequest) -> None:
    """Only the fake providers: the rules of the test's database list them instead of the real ones."""
    if "any_db" in request.fixturenames:
        db: Database = request.getfixturevalue("any_db")
    else:
        db = request.getfixturevalue("shop").db
    db.use_rules(dataclasses.replace(db.rules, pricing=(_coupon, _points)))


async def _markers(db: Database) -> list[dict[str, Any]]:
    async with db.read() as session:
        rows = (
            await session.execute(select(OutboxMessage.params).where(OutboxMessage.template == "test.coupon_used"))
        ).scalars()
        return list(rows)


async def test_preview_does_not_consume_and_order_does(any_db: Database, providers: None) -> None:
    tea = await make_product(any_db, "TEA-1", price=5000, stock=5)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 1})
    quote = await checkout.preview(any_db, 1, "pickup", POLICY, coupon_code="SAVE10", use_points=True)
    assert [a.kind for a in quote.adjustments] == ["coupon", "points"]
    assert quote.total == 5000 - 500 - 300 and quote.coupon_code == "SAVE10" and quote.points_spent == 300
    assert await _markers(any_db) == []
    placed = await checkout.place_order(
        any_db, card_pickup(1, coupon_code="SAVE10", use_points=True, expected_total=quote.total), POLICY
    )
    detail = await orders.get_order(any_db, placed.order_id)
    assert (detail.discount, detail.points_discount, detail.points_spent, detail.coupon_code) == (
        500,
        300,
        300,
        "SAVE10",
    )
    assert detail.total == 4200
    assert await _markers(any_db) == [{"order_id": placed.order_id}]


async def test_refused_order_consumes_nothing(any_db: Database, providers: None) -> None:
    tea = await make_product(any_db, "TEA-1", price=5000, stock=5)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 1})
    with pytest.raises(DomainError) as err:
        # The summary showed another total: refused after the coupon was "used" -> all rolled back.
        await checkout.place_order(any_db, card_pickup(1, coupon_code="SAVE10", expected_total=5000), POLICY)
    assert err.value.code == "checkout_price_changed"
    assert await _markers(any_db) == []
    assert await stock_of(any_db, tea) == 5


async def test_stars_orders_take_no_shop_discounts(any_db: Database, providers: None) -> None:
    ebook = await make_product(any_db, "EBOOK", price=1999, stock=9, digital=True, stars=40)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {ebook: 1})
    placed = await checkout.place_order(
        any_db,
        checkout.CheckoutChoice(
            user_id=1, delivery_method="digital", payment_method="stars", coupon_code="SAVE10", use_points=True
        ),
        POLICY,
    )
    assert (placed.currency, placed.total) == ("XTR", 40)
    assert await _markers(any_db) == []


@pytest.mark.api_errors("chat not found")  # the stand-in coupon hook queues a message to chat 1
async def test_coupon_typed_in_the_dialogue(shop: Any, providers: None) -> None:
    await shop.client.set_flood_limits(False)
    tea = await make_product(shop.db, "TEA-1", price=5000, stock=5)
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout")
    await alice.tap("Pick up: Central Store")
    await alice.tap("Coupon")
    await alice.send("!!")
    assert "3–32 letters" in await last_text(alice)
    await alice.send("NOPE1")
    assert "NOPE1" in await last_text(alice)  # refused, named
    await alice.send("save10")
    summary = await alice.last_message()
    assert summary is not None and "¥45.00" in (summary.text or "")
    await alice.tap("Use my points")
    summary = await alice.last_message()
    assert summary is not None and "¥42.00" in (summary.text or "")
    await alice.tap("by card")
    invoice = await alice.last_message()
    assert invoice is not None and invoice.invoice is not None and invoice.invoice["total_amount"] == 4200
    assert (await alice.pay())["status"] == "paid"
