"""Outside check: the checkout read phone numbers with a hand-written pattern, so "138 0013 8000" (a Chinese mobile
typed as people dial it) became +13800138000, an American-looking number, and one digit too few passed. Numbers
are now read by libphonenumber's rules for their country (shop.phone_region, CN by default, for a number without
country code), stored in E.164, and a number that is not valid gets a message with an example while the phone
step stays. End to end through the emulator, in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.orders.helpers import last_text
from tests.orders.test_checkout_e2e import _order_rows, _shopper_with_tea

EN = {
    "name": "Alice",
    "lang": "en",
    "delivery": "Delivery to my address",
    "recipient": "Alice Liddell",
    "refused": "That is not a valid phone number",
    "ask_address": "The delivery address",
    "summary": "Order summary",
    "card": "by card",
}
ZH = {
    "name": "李雷",
    "lang": "zh-hans",
    "delivery": "送货上门",
    "recipient": "韩梅梅",
    "refused": "这不是有效的电话号码",
    "ask_address": "请输入收货地址",
    "summary": "订单确认",
    "card": "银行卡",
}


@pytest.mark.parametrize("words", [EN, ZH], ids=["en", "zh"])
@pytest.mark.parametrize(
    ("typed", "stored"),
    [("138 0013 8000", "+8613800138000"), ("+44 20 7946 0958", "+442079460958")],
    ids=["national", "international"],
)
async def test_phone_is_read_by_its_countrys_rules_and_stored_in_e164(
    shop: Any, words: dict[str, str], typed: str, stored: str
) -> None:
    user, _tea = await _shopper_with_tea(shop, 1, words["name"], words["lang"])
    await user.send("/checkout")
    await user.tap(words["delivery"])
    await user.send(words["recipient"])

    await user.send("+86 138 0013 800")  # one digit short: 7-15 digits, but no Chinese mobile number
    refusal = await last_text(user)
    assert words["refused"] in refusal, refusal
    assert "131 2345 6789" in refusal and "+86 131 2345 6789" in refusal, "an example of the shop region's numbers"
    await user.send("12345")
    assert words["refused"] in await last_text(user)

    await user.send(typed)  # the phone step stayed: this is the phone
    assert words["ask_address"] in await last_text(user)
    await user.send("1 Rabbit Hole Lane, Flat 2")
    summary = await last_text(user)
    assert words["summary"] in summary and stored in summary, summary
    await user.tap(words["card"])
    (order,) = await _order_rows(shop)
    assert order.phone == stored


async def test_cancel_at_a_refused_phone_ends_the_checkout(shop: Any) -> None:
    alice, _tea = await _shopper_with_tea(shop)
    await alice.send("/checkout")
    await alice.tap("Delivery to my address")
    await alice.send("Alice Liddell")
    await alice.send("138 0013")
    assert "That is not a valid phone number" in await last_text(alice)
    await alice.send("/cancel")
    assert "cancel" in (await last_text(alice)).lower()
    assert await _order_rows(shop) == []
