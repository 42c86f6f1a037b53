"""Outside check: an old "Pay" on an order that is paid by now got a generic refusal (or would send a new invoice).
It now answers "Already paid" (en and zh) and takes the stale Pay off that message: the order detail is redrawn
without its Pay button, an old invoice is withdrawn, and no new invoice is sent. End to end through the emulator."""

from __future__ import annotations

import asyncio

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from bot.tap_guard import WINDOW_SECONDS
from tests.delivery.helpers import shopper, text_of
from tests.orders.helpers import fill_cart, make_product


def _labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


async def _invoices(user: UserHandle) -> list[MessageView]:
    return [m for m in await user.messages() if m.from_bot and m.invoice is not None]


async def _unpaid_pickup_order(shop: Stack, name: str, lang: str, pickup: str, by_card: str) -> UserHandle:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    user = await shopper(shop, name, lang=lang)
    await fill_cart(shop.db, user.id, {tea: 1})
    await user.send("/checkout")
    await user.tap(pickup)
    await user.tap(by_card)  # placed; the invoice is sent
    return user


@pytest.mark.parametrize(
    ("name", "lang", "pickup", "by_card", "awaiting", "pay_now", "already", "paid"),
    [
        ("Alice", "en", "Pick up: Central Store", "by card", "Awaiting payment", "Pay now", "Already paid", "Paid"),
        ("李雷", "zh-hans", "自提：", "银行卡", "待支付", "立即支付", "已付款", "已支付"),
    ],
)
async def test_pay_now_on_a_detail_drawn_before_the_payment_says_already_paid(
    shop: Stack, name: str, lang: str, pickup: str, by_card: str, awaiting: str, pay_now: str, already: str, paid: str
) -> None:
    user = await _unpaid_pickup_order(shop, name, lang, pickup, by_card)
    await user.send("/orders")
    await user.tap(awaiting)
    detail = await user.last_message()
    assert f"💳 {pay_now}" in _labels(detail)
    assert (await user.pay())["status"] == "paid"
    await shop.client.settle()
    invoices_before = len(await _invoices(user))

    tapped = await user.tap(pay_now, message=detail)
    assert tapped.toast is not None and (tapped.toast.text or "").startswith(already), tapped.toast
    await shop.client.settle()
    redrawn = next(m for m in await user.messages() if m.message_id == detail.message_id)
    assert f"💳 {pay_now}" not in _labels(redrawn), "the stale Pay button is gone"
    assert paid in text_of(redrawn)
    assert len(await _invoices(user)) == invoices_before, "no new invoice for a paid order"


async def test_paying_an_old_invoice_of_a_paid_order_says_already_paid_and_withdraws_it(shop: Stack) -> None:
    alice = await _unpaid_pickup_order(shop, "Alice", "en", "Pick up: Central Store", "by card")
    (invoice,) = await _invoices(alice)
    assert (await alice.pay(invoice))["status"] == "paid"
    again = await alice.pay(invoice)  # its Pay tapped once more
    assert again["status"] == "rejected" and (again["error"] or "").startswith("Already paid"), again
    await shop.client.settle()
    assert await _invoices(alice) == [], "the stale invoice is withdrawn"


async def test_the_checkouts_pay_arriving_after_the_payment_says_already_paid(shop: Stack) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await shopper(shop)
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout")
    await alice.tap("Pick up: Central Store")
    summary = await alice.last_message()
    assert summary is not None
    pay = summary.button("by card").callback_data or ""
    await alice.tap("by card", message=summary)
    assert (await alice.pay())["status"] == "paid"
    await shop.client.settle()
    invoices_before = len(await _invoices(alice))
    await asyncio.sleep(WINDOW_SECONDS + 0.2)  # a stale tap, not the second half of a double tap
    await alice.tap_data(pay, message=summary)  # the same Pay, from a client that still shows it
    await shop.client.settle()
    assert ((await alice.toasts())[-1].text or "").startswith("Already paid")
    assert len(await _invoices(alice)) == invoices_before
