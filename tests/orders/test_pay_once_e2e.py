"""Outside tester: one invoice paid three times at once (a triple tap on Pay, two devices) was charged three
times, two of the charges then waiting for a card refund by hand; a Pay at the moment of a Cancel charged a
cancelled order, and the refund notice said it "had expired or was already paid". Now one payment of an order
is approved at a time: the others are refused before any charge, with a reason in the shopper's language, and a
cancel waits for the payment under way. End to end through the emulator, en and zh."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import payments
from store.models import Order, Payment
from tests.delivery.helpers import shopper, text_of
from tests.orders.helpers import fill_cart, make_product

EN = {
    "name": "Alice",
    "lang": "en",
    "pickup": "Pick up: Central Store",
    "by_card": "by card",
    "in_progress": "is already being processed, so nothing was charged",
    "refund": "refund",
    "awaiting": "Awaiting payment",
    "cancel": "✖️ Cancel order",
    "yes": "Yes, cancel it",
    "under_way": "is being paid right now, so it was not cancelled",
}
ZH = {
    "name": "李雷",
    "lang": "zh-hans",
    "pickup": "自提：",
    "by_card": "银行卡",
    "in_progress": "已有一笔付款正在处理，本次未扣款",
    "refund": "退款",
    "awaiting": "待支付",
    "cancel": "✖️ 取消订单",
    "yes": "是，取消订单",
    "under_way": "正在付款中，因此未取消",
}


async def _order_with_invoice(shop: Stack, words: dict[str, str]) -> tuple[UserHandle, Order]:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    user = await shopper(shop, words["name"], lang=words["lang"])
    await fill_cart(shop.db, user.id, {tea: 1})
    await user.send("/checkout")
    await user.tap(words["pickup"])
    await user.tap(words["by_card"])  # placed; the invoice is sent
    async with shop.db.read() as session:
        order = (await session.execute(select(Order).where(Order.user_id == user.id))).scalar_one()
    return user, order


async def _payments(shop: Stack, order_id: int) -> list[tuple[int, str]]:
    async with shop.db.read() as session:
        rows = await session.execute(select(Payment.amount, Payment.status).where(Payment.order_id == order_id))
        return [(int(amount), str(status)) for amount, status in rows]


def _bot_texts(messages: list[MessageView]) -> list[str]:
    return [text_of(m) for m in messages if m.from_bot]


@pytest.mark.parametrize("words", [EN, ZH], ids=["en", "zh"])
async def test_three_payments_of_one_invoice_at_once_charge_once(shop: Stack, words: dict[str, str]) -> None:
    user, order = await _order_with_invoice(shop, words)
    results = await asyncio.gather(*(user.pay() for _ in range(3)))
    statuses = sorted(str(r["status"]) for r in results)
    assert statuses == ["paid", "rejected", "rejected"], results
    refusals = [str(r["error"]) for r in results if r["status"] == "rejected"]
    assert all(words["in_progress"] in refusal and f"#{order.id}" in refusal for refusal in refusals), refusals
    await shop.client.settle()
    assert await _payments(shop, order.id) == [(order.total, "paid")], "one charge, nothing to refund"
    assert not [text for text in _bot_texts(await user.messages()) if words["refund"] in text]


@pytest.mark.parametrize("words", [EN, ZH], ids=["en", "zh"])
async def test_a_cancel_while_the_order_is_being_paid_waits(shop: Stack, words: dict[str, str]) -> None:
    user, order = await _order_with_invoice(shop, words)
    await user.send("/orders")
    await user.tap(words["awaiting"])
    await user.tap(words["cancel"])
    # Telegram asks the shop about the payment (the buyer confirmed it on another device) before the Yes lands.
    invoice = next(m for m in reversed(await user.messages()) if m.invoice is not None)
    payload = str((invoice.invoice or {}).get("payload") or payments.invoice_payload(order.id))
    await user.pre_checkout("CNY", order.total, payload)
    await shop.client.settle()

    tapped = await user.tap(words["yes"])
    toast = (tapped.toast.text or "") if tapped.toast else ""
    assert words["under_way"] in toast and f"#{order.id}" in toast, toast
    async with shop.db.read() as session:
        assert (await session.get(Order, order.id, populate_existing=True)).status == "pending_payment"
    # The charge it was waiting for arrives: the order is paid, not cancelled and refunded.
    await user.successful_payment("CNY", order.total, payload)
    await shop.client.settle()
    assert await _payments(shop, order.id) == [(order.total, "paid")]


@pytest.mark.parametrize("words", [EN, ZH], ids=["en", "zh"])
async def test_a_cancelled_order_takes_its_invoice_with_it(shop: Stack, words: dict[str, str]) -> None:
    user, _ = await _order_with_invoice(shop, words)
    assert [m for m in await user.messages() if m.invoice is not None], "the invoice is in the chat"
    await user.send("/orders")
    await user.tap(words["awaiting"])
    await user.tap(words["cancel"])
    await user.tap(words["yes"])
    await shop.client.settle()
    assert [m for m in await user.messages() if m.invoice is not None] == [], "no Pay button left for it"
