"""Every discount line of the checkout summary is filled in: each provider hands its label every parameter."""

from __future__ import annotations

import pytest

from bot.views import checkout as views
from store import checkout, order_hooks
from store.db import Database
from store.delivery_fee import DeliveryRule
from store.growth import coupons, points
from store.models import Order, utcnow
from store.order_hooks import Transition
from tests.orders.helpers import CONTACT, fill_cart, make_product, make_users

# Delivery costs a fee here (free only far above the cart), so the silver tier's free delivery applies.
POLICY = checkout.CheckoutPolicy(delivery=DeliveryRule(fee=800, free_over=1_000_000))


async def _silver_member(db: Database, user_id: int) -> None:
    await make_users(db, [user_id])
    async with db.tx() as session:
        order = Order(
            user_id=user_id,
            status="paid",
            currency="CNY",
            subtotal=60_000,
            total=60_000,
            payment_method="card",
            delivery_method="pickup",
            paid_at=utcnow(),
        )
        session.add(order)
        await session.flush()
        await order_hooks.run(session, Transition(order, "pending_payment", "paid", "test"))


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_every_discount_kind_renders_without_placeholders(db: Database, lang: str) -> None:
    await _silver_member(db, 95)  # 3% member discount, free delivery over ¥50, 600 points
    assert await points.balance(db, 95) == 600
    await coupons.create_coupon(db, coupons.CouponSpec(code="TEN", kind="percent", value=10))
    tea = await make_product(db, "TEA-1", price=10_000, stock=5)
    await fill_cart(db, 95, {tea: 1})
    quote = await checkout.preview(db, 95, "delivery", POLICY, coupon_code="TEN", use_points=True, lang=lang)
    assert {a.kind for a in quote.adjustments} == {"coupon", "tier", "free_delivery", "points"}
    text, _ = views.summary(
        lang,
        "tok",
        quote,
        point=None,
        contact=CONTACT,
        coupon="TEN",
        use_points=True,
        free_delivery_over=POLICY.delivery.free_over,
        card=True,
        stars=False,
        pay_on_pickup=False,
    )
    assert "{" not in text and "}" not in text, text
    tier_line = "Member discount (3%): −¥3.00" if lang == "en" else "会员折扣（3%）：−¥3.00"
    assert tier_line in text, text
