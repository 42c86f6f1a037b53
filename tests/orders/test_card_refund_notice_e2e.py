"""Outside check: an admin refunds a card-paid order (the shop marks it refunded; the admin then refunds the
payment with the provider), and the shopper was told at once "Order #7 has been refunded" while their bank showed
nothing. The notice of a card refund now says the amount goes back to the card and that banks take a few working
days; a Stars refund (done by the bot at once) keeps "has been refunded". End to end, en and zh."""

from __future__ import annotations

from typing import Any

import pytest

from store import orders
from tests.conftest import ADMIN_ID
from tests.orders.test_checkout_e2e import _order_rows, _shopper_with_tea
from tests.payments_inbox.helpers import wait_bot_says


@pytest.mark.parametrize(
    ("name", "lang", "pickup", "card", "said"),
    [
        ("Alice", "en", "Pick up: Central Store", "by card", "¥25.00 goes back to the card you paid with"),
        ("李雷", "zh-hans", "自提：", "银行卡", "¥25.00 将原路退回您付款的银行卡"),
    ],
    ids=["en", "zh"],
)
async def test_a_card_refund_says_the_money_is_on_its_way(
    shop: Any, name: str, lang: str, pickup: str, card: str, said: str
) -> None:
    shopper, _tea = await _shopper_with_tea(shop, 1, name=name, lang=lang)
    await shopper.send("/checkout")
    await shopper.tap(pickup)
    await shopper.tap(card)
    assert (await shopper.pay())["status"] == "paid"
    (order,) = await _order_rows(shop)
    assert order.status == orders.PAID

    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send(f"/order {order.id}")
    screen = await ada.last_message()
    await ada.tap("Refund", message=screen)
    await ada.tap("Yes, refund")
    notice = await wait_bot_says(shop.client, shopper, said)
    assert f"#{order.id}" in (notice.text or "")
    assert "has been refunded" not in (notice.text or "")
