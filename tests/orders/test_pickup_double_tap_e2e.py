"""Outside check: a double tap on "Pay on pickup" answered the second tap "Invoice already sent", though a pay-on-
pickup order has no invoice. The repeat now says the order is placed and paid at pickup (en and zh), and one order
is placed. End to end through the emulator."""

from __future__ import annotations

import asyncio

from bot.sandbox import Stack
from bot.tap_guard import WINDOW_SECONDS
from tests.delivery.helpers import orders_of, shopper
from tests.orders.helpers import fill_cart, make_product, stock_of


async def _double_tap_pay_on_pickup(shop: Stack, name: str, lang: str, pickup: str, pay: str) -> list[str]:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    user = await shopper(shop, name, lang=lang)
    await fill_cart(shop.db, user.id, {tea: 1})
    await user.send("/checkout")
    await user.tap(pickup)
    summary = await user.last_message()
    assert summary is not None
    taps = await asyncio.gather(*(user.tap(pay, message=summary) for _ in range(2)))
    await shop.client.settle()
    (order,) = await orders_of(shop.db, user.id)
    assert order.status == "confirmed" and order.delivery_method == "pickup"
    assert await stock_of(shop.db, tea) == 4, "one order, one unit reserved"
    # The same button arriving late (past the tap guard's second): still no second order, still pickup wording.
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await user.tap_data(summary.button(pay).callback_data or "", message=summary)
    await shop.client.settle()
    assert len(await orders_of(shop.db, user.id)) == 1
    texts = [t.toast.text or "" for t in taps if t.toast is not None and t.toast.text]
    return [*texts, *(t.text or "" for t in (await user.toasts())[-1:])]


async def test_double_tap_on_pay_on_pickup_places_one_order_and_says_so(shop: Stack) -> None:
    toasts = await _double_tap_pay_on_pickup(shop, "Alice", "en", "Pick up: Central Store", "on pickup")
    # the repeat within the second, and the same button arriving late (answered from the order itself)
    assert toasts[0] == "Order already placed: pay when you pick it up"
    assert toasts[1].startswith("Order #1 will be paid on pickup at Central Store"), toasts
    assert not any("Invoice" in text for text in toasts)


async def test_double_tap_on_pay_on_pickup_in_chinese(shop: Stack) -> None:
    toasts = await _double_tap_pay_on_pickup(shop, "李雷", "zh-hans", "自提：", "自提时支付")
    assert toasts[0] == "订单已下，自提时付款即可"
    assert toasts[1].startswith("订单 #1 将在自提时付款（中心门店）"), toasts
    assert not any("付款单" in text for text in toasts)
