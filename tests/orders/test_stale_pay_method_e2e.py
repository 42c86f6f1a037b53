"""Outside check: a checkout summary stays in the chat with its Pay buttons. After the order was placed with the
other payment method (pay on pickup, or card), a tap on the summary's stale Pay answered from the button, not
from the order: "pay when you pick it up" for an order waiting for its card payment, or a generic "already placed".
The answer now says the order's real state and payment method (en and zh), and no second payment or invoice is
started. End to end through the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.tap_guard import WINDOW_SECONDS
from tests.orders.helpers import fill_cart, make_product
from tests.orders.test_checkout_e2e import _order_rows, _shopper

EN = {
    "name": "Alice",
    "lang": "en",
    "pickup": "Pick up: Central Store",
    "card": "by card",
    "on_pickup": "on pickup",
    "will_pay_on_pickup": "Order #{id} will be paid on pickup",
    "awaits_card": "Order #{id} is waiting for payment by card",
    "paid": "Already paid: order #{id}",
}
ZH = {
    "name": "李雷",
    "lang": "zh-hans",
    "pickup": "自提：",
    "card": "银行卡",
    "on_pickup": "自提时",
    "will_pay_on_pickup": "订单 #{id} 将在自提时付款",
    "awaits_card": "订单 #{id} 等待银行卡付款",
    "paid": "已付款：订单 #{id}",
}


async def _invoices(user: UserHandle) -> list[MessageView]:
    return [m for m in await user.messages() if m.from_bot and m.invoice is not None]


async def _summary(shop: Any, words: dict[str, str]) -> tuple[UserHandle, MessageView]:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    user = await _shopper(shop, words["name"], lang=words["lang"])
    await fill_cart(shop.db, user.id, {tea: 1})
    await user.send("/checkout")
    await user.tap(words["pickup"])
    summary = await user.last_message()
    assert summary is not None
    return user, summary


async def _last_toast(user: UserHandle) -> str:
    return (await user.toasts())[-1].text or ""


@pytest.mark.parametrize("words", [EN, ZH], ids=["en", "zh"])
async def test_stale_card_pay_after_pay_on_pickup_says_it_is_paid_on_pickup(shop: Any, words: dict[str, str]) -> None:
    user, summary = await _summary(shop, words)
    card = summary.button(words["card"]).callback_data or ""
    await user.tap(words["on_pickup"], message=summary)
    (order,) = await _order_rows(shop)
    assert order.payment_method == "pickup"

    await user.tap_data(card, message=summary)  # the summary as another device still shows it
    await shop.client.settle()
    toast = await _last_toast(user)
    assert words["will_pay_on_pickup"].format(id=order.id) in toast, toast
    assert await _invoices(user) == [], "no invoice for an order paid at the counter"
    (order,) = await _order_rows(shop)
    assert order.payment_method == "pickup" and order.status == "confirmed"


@pytest.mark.parametrize("words", [EN, ZH], ids=["en", "zh"])
async def test_stale_pickup_pay_after_card_says_it_waits_for_the_card_payment(shop: Any, words: dict[str, str]) -> None:
    user, summary = await _summary(shop, words)
    on_pickup = summary.button(words["on_pickup"]).callback_data or ""
    await user.tap(words["card"], message=summary)
    assert len(await _invoices(user)) == 1
    (order,) = await _order_rows(shop)

    await user.tap_data(on_pickup, message=summary)
    await shop.client.settle()
    toast = await _last_toast(user)
    assert words["awaits_card"].format(id=order.id) in toast, toast
    assert len(await _invoices(user)) == 1, "no second invoice"
    (order,) = await _order_rows(shop)
    assert order.payment_method == "card" and order.status == "pending_payment"

    assert (await user.pay())["status"] == "paid"
    await shop.client.settle()
    await asyncio.sleep(WINDOW_SECONDS + 0.2)  # a stale tap, not the second half of a double tap
    await user.tap_data(on_pickup, message=summary)
    await shop.client.settle()
    toast = await _last_toast(user)
    assert words["paid"].format(id=order.id) in toast, toast
    assert len(await _invoices(user)) <= 1


@pytest.mark.parametrize("words", [EN, ZH], ids=["en", "zh"])
async def test_stale_pay_of_an_earlier_checkout_is_answered_from_its_order(shop: Any, words: dict[str, str]) -> None:
    user, summary = await _summary(shop, words)
    card = summary.button(words["card"]).callback_data or ""
    await user.tap(words["on_pickup"], message=summary)
    (order,) = await _order_rows(shop)
    more = await make_product(shop.db, "TEA-2", price=1000, stock=5)
    await fill_cart(shop.db, user.id, {more: 1})
    await user.send("/checkout")  # a new checkout: the first summary's buttons belong to an older one

    await user.tap_data(card, message=summary)
    await shop.client.settle()
    toast = await _last_toast(user)
    assert words["will_pay_on_pickup"].format(id=order.id) in toast, toast
    assert len(await _order_rows(shop)) == 1 and await _invoices(user) == []
