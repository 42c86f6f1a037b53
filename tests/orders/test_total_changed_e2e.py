"""Outside check: a shopper opened the checkout summary, then added one more tea from the cart message and tapped
Pay on the old summary. The total had changed, nothing was placed (right), but the alert said "Prices changed"
when no price had. The alert now names both causes, the summary is redrawn with the new total, and no order is
placed until the shopper confirms it (en and zh, end to end through the emulator)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.orders.test_checkout_e2e import _order_rows
from tests.orders.test_stale_pay_method_e2e import _summary

EN = {
    "name": "Alice",
    "lang": "en",
    "pickup": "Pick up: Central Store",
    "card": "by card",
    "alert": "Your total changed since you opened the summary (your cart or a price changed)",
    "old": "¥25.00",
    "new": "¥50.00",
}
ZH = {
    "name": "李雷",
    "lang": "zh-hans",
    "pickup": "自提：",
    "card": "银行卡",
    "alert": "合计金额有变动（购物车或价格已更改）",
    "old": "¥25.00",
    "new": "¥50.00",
}


@pytest.mark.parametrize("words", [EN, ZH], ids=["en", "zh"])
async def test_pay_after_a_quantity_change_says_the_total_changed(shop: Any, words: dict[str, str]) -> None:
    user, summary = await _summary(shop, words)
    assert words["old"] in (summary.text or "") and words["new"] not in (summary.text or "")

    await user.send("/cart")
    cart = await user.last_message()
    assert cart is not None
    await user.tap("➕", message=cart)
    await user.tap(words["card"], message=summary)
    await shop.client.settle()

    alert = (await user.toasts())[-1]
    assert words["alert"] in (alert.text or ""), alert.text
    assert "Prices changed" not in (alert.text or "") and "价格有变动" not in (alert.text or "")
    (redrawn,) = [m for m in await user.messages() if m.message_id == summary.message_id]
    assert words["new"] in (redrawn.text or ""), redrawn.text
    assert await _order_rows(shop) == [], "nothing is placed on a total the shopper has not seen"
