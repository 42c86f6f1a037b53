"""Outside check: the message that carries a gift card's codes has a "View order" button, and tapping it replaced the
codes with the order summary, so the codes vanished from the chat. The codes a shopper paid for stay where they
are: the order opens as a new message below (and so does a "You may also like" card opened from that message).
End to end through the emulator, in English and Chinese."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.emulator.client import MessageView, UserHandle
from tests.delivery.helpers import bot_messages, bot_says, product_id, shopper, text_of
from tests.orders.helpers import fill_cart

pytestmark = pytest.mark.seeded

CODE_RE = re.compile(r"GC50-DEMO-[A-Z0-9]{4}-[A-Z0-9]{4}")
# (language, pay button, codes message, View order, order title, You may also like)
LANGS = {
    "en": ("en", "Pay ⭐ 700", "Your 2 codes", "View order", "Order #1", "You may also like"),
    "zh": ("zh-hans", "支付 ⭐ 700", "GC50-DEMO", "查看订单", "订单 #1", "猜您喜欢"),
}


async def _codes_message(shop: Any, user: UserHandle, needle: str) -> MessageView:
    message = await bot_says(shop, user, needle)
    assert len(set(CODE_RE.findall(text_of(message)))) == 2, text_of(message)
    return message


async def _same_message(user: UserHandle, message: MessageView) -> MessageView:
    return next(m for m in await user.messages() if m.message_id == message.message_id)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_view_order_under_the_codes_keeps_the_codes(shop: Any, lang: str) -> None:
    code, pay, needle, view, title, _ = LANGS[lang]
    alice = await shopper(shop, "Alice", lang=code)
    await fill_cart(shop.db, alice.id, {await product_id(shop.db, "DIG-GIFT50"): 2})
    await alice.send("/checkout")
    await alice.tap(pay)
    assert (await alice.pay())["status"] == "paid"
    codes_message = await _codes_message(shop, alice, needle)
    codes = CODE_RE.findall(text_of(codes_message))

    before = len(await bot_messages(alice, title))
    await alice.tap(view, message=codes_message)
    detail = await bot_says(shop, alice, title, count=before + 1)
    assert detail.message_id != codes_message.message_id, "the order opens below the codes"
    still = await _same_message(alice, codes_message)
    assert CODE_RE.findall(text_of(still)) == codes, "the codes never leave the chat"
    await shop.client.settle()
    assert len(await bot_messages(alice, title)) == before + 1, "one tap, one new message"
