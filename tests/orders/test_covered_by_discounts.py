"""An order its discounts cover entirely is created as paid by "discounts" (a payment method orders accept), not
written as a card order and overwritten; a card choice whose discounts turn out to cover everything is refused
like a changed price (the summary then offers the free button), so no card order is ever recorded for nothing.
SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store import checkout, orders, pricing_hooks
from store.db import Database
from store.errors import Conflict
from store.models import Order, OrderEvent
from tests.orders.helpers import POLICY, card_pickup, fill_cart, make_product, make_users, stock_of


async def _everything(session: AsyncSession, request: pricing_hooks.PricingRequest) -> list[pricing_hooks.Adjustment]:
    if request.coupon_code != "ALL":
        return []
    return [pricing_hooks.Adjustment("coupon", request.subtotal, "checkout.subtotal", {}, coupon_code="ALL")]


@pytest.fixture
def covering(any_db: Database) -> Database:
    any_db.use_rules(dataclasses.replace(any_db.rules, pricing=(_everything,)))
    return any_db


async def test_a_free_choice_is_created_paid_by_discounts_and_carries_its_pickup_code(covering: Database) -> None:
    tea = await make_product(covering, "TEA-1", price=2500, stock=5)
    await make_users(covering, [1])
    await fill_cart(covering, 1, {tea: 2})
    choice = card_pickup(1, payment_method=checkout.FREE_CHOICE, coupon_code="ALL", expected_total=0)

    placed = await checkout.place_order(covering, choice, POLICY)

    assert (placed.status, placed.total, placed.payment_method) == (orders.PAID, 0, checkout.COVERED_BY_DISCOUNTS)
    detail = await orders.get_order(covering, placed.order_id, user_id=1)
    assert detail.payment_method == "discounts"
    assert placed.pickup_code is not None and placed.pickup_code == detail.pickup_code
    assert [e.to_status for e in detail.events] == [orders.PENDING_PAYMENT, orders.PAID]
    assert await stock_of(covering, tea) == 3


async def test_a_card_choice_the_discounts_cover_is_refused_and_nothing_is_written(covering: Database) -> None:
    tea = await make_product(covering, "TEA-1", price=2500, stock=5)
    await make_users(covering, [1])
    await fill_cart(covering, 1, {tea: 1})

    with pytest.raises(Conflict) as refused:
        await checkout.place_order(covering, card_pickup(1, coupon_code="ALL"), POLICY)

    assert refused.value.code == "checkout_price_changed"
    async with covering.read() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 0
        assert await session.scalar(select(func.count()).select_from(OrderEvent)) == 0
    assert await stock_of(covering, tea) == 5
    assert not await checkout.cart_is_empty(covering, 1)


async def test_a_free_choice_no_longer_free_is_refused(covering: Database) -> None:
    tea = await make_product(covering, "TEA-1", price=2500, stock=5)
    await make_users(covering, [1])
    await fill_cart(covering, 1, {tea: 1})

    with pytest.raises(Conflict) as refused:
        await checkout.place_order(covering, card_pickup(1, payment_method=checkout.FREE_CHOICE), POLICY)

    assert refused.value.code == "checkout_price_changed"
    assert await stock_of(covering, tea) == 5
