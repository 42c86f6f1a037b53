"""Outside tester: the welcome coupon a referral link gives promises "your first order" (en) / 首单 (zh) but took
10% off a later order too. It now applies only while the friend has no order that went through (paid, or placed
to pay on pickup); an order that was cancelled or is still waiting for payment does not count. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

import store.growth  # noqa: F401  (registers providers and hooks)
from store.db import Database
from store.errors import DomainError
from store.growth import coupons, referrals
from store.models import Order, User, utcnow
from store.models.growth import Coupon
from store.pricing_hooks import PricedLine, PricingRequest


def _request(user_id: int) -> PricingRequest:
    line = PricedLine(product_id=1, sku="SKU1", category_id=1, unit_price=10_000, quantity=1)
    return PricingRequest(user_id=user_id, currency="CNY", lines=[line], subtotal=10_000, delivery_fee=0)


async def _order(db: Database, user_id: int, status: str) -> int:
    async with db.tx() as session:
        order = Order(
            user_id=user_id,
            status=status,
            currency="CNY",
            subtotal=2500,
            total=2500,
            payment_method="card",
            delivery_method="pickup",
        )
        session.add(order)
        await session.flush()
        return order.id


async def _discount(db: Database, user_id: int, coupon_id: int) -> int:
    async with db.read() as session:
        coupon = await session.get(Coupon, coupon_id)
        assert coupon is not None
        return await coupons.discount_for(session, coupon, _request(user_id), utcnow())


async def test_the_welcome_coupon_is_for_the_first_order_only(any_db: Database) -> None:
    async with any_db.tx() as session:
        session.add_all([User(id=uid, first_name=f"u{uid}", language="en") for uid in (1, 2)])
    assert await referrals.attribute(any_db, 2, await referrals.code_for(any_db, 1))
    async with any_db.read() as session:
        welcome = (await session.execute(select(Coupon).where(Coupon.owner_id == 2))).scalar_one()
    assert welcome.first_order_only

    assert await _discount(any_db, 2, welcome.id) == 1000  # no order yet: 10%
    await _order(any_db, 2, "cancelled")
    await _order(any_db, 2, "pending_payment")
    assert await _discount(any_db, 2, welcome.id) == 1000, "nothing went through yet"
    paid = await _order(any_db, 2, "paid")
    with pytest.raises(DomainError) as err:
        await _discount(any_db, 2, welcome.id)
    assert err.value.code == "coupon_first_order_only" and err.value.params == {"code": welcome.code}
    async with any_db.tx() as session:  # an order placed to pay on pickup went through too
        await session.execute(update(Order).where(Order.id == paid).values(status="confirmed"))
    with pytest.raises(DomainError):
        await _discount(any_db, 2, welcome.id)


async def test_other_personal_coupons_do_not_care_about_earlier_orders(any_db: Database) -> None:
    async with any_db.tx() as session:
        session.add(User(id=3, first_name="u3", language="en", created_at=utcnow() - timedelta(days=30)))
    await _order(any_db, 3, "delivered")
    async with any_db.tx() as session:
        bought = await coupons.create_personal_coupon(session, 3, percent=5, key="points-shop:3:1")
    assert await _discount(any_db, 3, bought.id) == 500
