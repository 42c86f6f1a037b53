"""Outside tester: on one summary, "Pay on pickup" and then a quick double tap on "Pay by card" placed the order on
pickup, and the card's second tap was told "Invoice already sent" though no invoice was ever sent (the toast of a
repeated tap named what that button would have done). A repeated Pay tap now says how the placed order is paid,
as the first one does. End to end, en and zh."""

from __future__ import annotations

import asyncio

import pytest

from bot.sandbox import Stack
from tests.orders.test_checkout_e2e import _order_rows
from tests.orders.test_stale_pay_method_e2e import EN, ZH, _invoices, _summary


@pytest.mark.parametrize("words", [EN, ZH], ids=["en", "zh"])
async def test_a_double_tap_on_card_after_pay_on_pickup_says_it_is_paid_on_pickup(
    shop: Stack, words: dict[str, str]
) -> None:
    user, summary = await _summary(shop, words)
    await user.tap(words["on_pickup"], message=summary)
    (order,) = await _order_rows(shop)
    # The summary as the other device still shows it: its card button, tapped twice within a second.
    card = summary.button(words["card"]).callback_data or ""
    await asyncio.gather(user.tap_data(card, message=summary), user.tap_data(card, message=summary))
    await shop.client.settle()
    toasts = [toast.text or "" for toast in (await user.toasts())[-2:]]
    expected = words["will_pay_on_pickup"].format(id=order.id)
    assert all(expected in toast for toast in toasts), toasts
    assert await _invoices(user) == [], "no invoice for an order paid at the counter"
    assert [o.payment_method for o in await _order_rows(shop)] == ["pickup"]
