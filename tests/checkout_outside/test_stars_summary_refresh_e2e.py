"""Outside tester: a Stars summary (digital items only) whose cart then got a physical product answered "Pay ⭐ 350"
with a bare toast ("This payment method isn't supported for this order") and no way on; a card summary refreshes
when its cart changed. Now the Stars Pay says the cart changed and the checkout starts again with the cart as it
is (delivery or pickup for the physical items, the digital ones held for their own Stars checkout); nothing is
placed or invoiced from the old summary. The other way round too (a card summary whose cart became digital
only). En and zh."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, select

from bot.emulator.client import MessageView, UserHandle
from store.models import CartItem, Order
from tests.checkout_outside.helpers import PICKUP, fill_cart, labels, make_product, shopper

CASES = {
    "en": {
        "name": "Alice",
        "stars": "Pay ⭐ 350",
        "changed": "Your cart changed since you opened the summary",
        "delivery": "How would you like to get your order?",
        "held": "Digital items are paid separately",
        "card": "by card",
        "placed": "Order #1 is placed",
    },
    "zh": {
        "name": "李雷",
        "stars": "支付 ⭐ 350",
        "changed": "打开订单确认后您的购物车有变动",
        "delivery": "您希望如何收货？",
        "held": "虚拟商品需单独用 Telegram 星星支付",
        "card": "银行卡支付",
        "placed": "订单 #1 已提交",
    },
}


async def _orders(shop: Any) -> int:
    async with shop.db.read() as session:
        return int((await session.execute(select(func.count(Order.id)))).scalar_one())


async def _summary(user: UserHandle) -> MessageView:
    message = await user.last_message()
    assert message is not None and message.from_bot
    return message


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_stars_pay_after_the_cart_got_a_physical_item_restarts_the_checkout(shop: Any, lang: str) -> None:
    case = CASES[lang]
    gift = await make_product(shop.db, "DIG-GIFT", price=5000, stock=5, digital=True, stars=350)
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    user = await shopper(shop, case["name"], lang)
    await fill_cart(shop.db, user.id, {gift: 1})
    await user.send("/checkout")
    stars_summary = await _summary(user)
    assert case["stars"] in labels(stars_summary)

    await fill_cart(shop.db, user.id, {tea: 1})  # the physical product goes back in the cart
    tapped = await user.tap(case["stars"], message=stars_summary)
    assert tapped.toast is not None and case["changed"] in (tapped.toast.text or ""), tapped.toast
    again = await _summary(user)
    assert again.message_id == stars_summary.message_id, "the summary itself is redrawn"
    assert case["delivery"] in (again.text or ""), again.text
    assert await _orders(shop) == 0, "nothing placed from the old summary"

    await user.tap(PICKUP[lang], message=again)  # and on to the physical order, the digital item held back
    summary = await _summary(user)
    assert case["held"] in (summary.text or ""), summary.text
    await user.tap(case["card"], message=summary)
    assert any(case["placed"] in (m.text or "") for m in await user.messages() if m.from_bot)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_card_pay_after_the_cart_became_digital_only_restarts_in_stars(shop: Any, lang: str) -> None:
    case = CASES[lang]
    gift = await make_product(shop.db, "DIG-GIFT", price=5000, stock=5, digital=True, stars=350)
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    user = await shopper(shop, case["name"], lang)
    await fill_cart(shop.db, user.id, {gift: 1, tea: 1})
    await user.send("/checkout")
    await user.tap(PICKUP[lang])
    card_summary = await _summary(user)

    async with shop.db.tx() as session:  # the tea leaves the cart
        await session.execute(delete(CartItem).where(CartItem.user_id == user.id, CartItem.product_id == tea))
    tapped = await user.tap(case["card"], message=card_summary)
    assert tapped.toast is not None and case["changed"] in (tapped.toast.text or ""), tapped.toast
    again = await _summary(user)
    assert case["stars"] in labels(again), labels(again)
    assert await _orders(shop) == 0
