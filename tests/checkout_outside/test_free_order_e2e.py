"""Outside tester: a cart whose discounts cover everything (points, then a fixed coupon bigger than the total)
showed "Total: ¥0.00" with "Pay ¥0.00 by card" and "Pay ¥0.00 on pickup", the points button still read "Using my
points" though none were used, and the card tap sent "Payment received" besides "fully covered by your discounts";
the order said "Payment: card". Now a total of 0 offers one "Place order (nothing to pay)", the points button
does not claim points, one confirmation is sent, and the order reads as covered by discounts. En and zh."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from store.growth import points
from store.models import Order
from tests.checkout_outside.helpers import at_summary, labels, last_text, make_product, shopper
from tests.conftest import ADMIN_ID

CASES = {
    "en": {
        "name": "Alice",
        "points_off": "⭐ Use my points",
        "points_on": "✅ Using my points",
        "coupon": "🏷 Coupon",
        "total": "Total: ¥0.00",
        "free": "✅ Place order (nothing to pay)",
        "placed": "Order #1 is placed and fully covered by your discounts — nothing to pay.",
        "pickup_code": "Pickup code",
        "paid_notice": "Payment received",
        "view": "📦 View order",
        "method": "Payment: covered by discounts",
        "not_needed": "Nothing is left to pay, so no points are needed.",
    },
    "zh": {
        "name": "李雷",
        "points_off": "⭐ 使用积分",
        "points_on": "✅ 正在使用积分",
        "coupon": "🏷 优惠码",
        "total": "合计：¥0.00",
        "free": "✅ 提交订单（无需支付）",
        "placed": "订单 #1 已提交，优惠已全额抵扣，无需支付。",
        "pickup_code": "取货码",
        "paid_notice": "已收到付款",
        "view": "📦 查看订单",
        "method": "支付方式：优惠全额抵扣",
        "not_needed": "已无需支付，不需要使用积分。",
    },
}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_an_order_covered_by_discounts_is_placed_with_one_button_and_one_message(shop: Any, lang: str) -> None:
    case = CASES[lang]
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="en")
    await ada.send("/coupon_new BIG 1000.00")
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    user = await shopper(shop, case["name"], lang)
    async with shop.db.tx() as session:
        await points.award(session, user.id, 500, "admin", f"test:{user.id}")
    await at_summary(shop, user, lang, {tea: 1})

    await user.tap(case["points_off"])
    assert case["points_on"] in labels(await user.last_message()), "points take something off ¥25.00"
    await user.tap(case["coupon"])
    await user.send("BIG")
    summary = await user.last_message()
    assert summary is not None and case["total"] in (summary.text or ""), summary.text
    buttons = labels(summary)
    assert case["free"] in buttons, buttons
    assert not any("¥0.00" in b for b in buttons), buttons  # no "Pay ¥0.00 by card / on pickup"
    assert case["points_off"] in buttons and case["points_on"] not in buttons, buttons

    tapped = await user.tap(case["points_off"], message=summary)  # nothing left for the points to cover
    assert tapped.toast is not None and tapped.toast.text == case["not_needed"], tapped.toast
    assert labels(await user.last_message()) == buttons

    before = len(await user.messages())
    await user.tap(case["free"], message=summary)
    placed = await last_text(user)
    assert case["placed"] in placed and case["pickup_code"] in placed, placed
    await asyncio.sleep(1.5)  # a notice from the outbox would arrive by now
    await shop.client.settle()
    after = [m.text or "" for m in (await user.messages())[before:] if m.from_bot]
    assert not any(case["paid_notice"] in text for text in after), after

    async with shop.db.read() as session:
        order = (await session.execute(select(Order).where(Order.user_id == user.id))).scalar_one()
    assert (order.status, order.total, order.payment_method, order.points_spent) == ("paid", 0, "discounts", 0)
    assert await points.balance(shop.db, user.id) == 500, "no points spent on a free order"

    await user.tap(case["view"])
    detail = await last_text(user)
    assert case["method"] in detail, detail
