"""Outside check: a winner whose unit expired unpaid tapped "⚡ Buy now" again and heard "You already got one from
this sale: that is the limit per person." The expired unit still counts towards the limit (the expiry notice says
so), but the toast now says what happened: the unit was not paid in time and went back. A winner who still holds
their unit hears the usual answer. The real bot and the emulator, English and Chinese."""

from __future__ import annotations

import asyncio

import pytest

from bot.sandbox import Stack
from store import flashsale
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product
from tests.flashsale.test_flash_expired_notice_e2e import _expire, _expiry_notice
from tests.flashsale.test_flash_private_toast_e2e import _card

CODES = {"en": "en", "zh": "zh-hans"}
WON = {"en": "🎉 You got one!", "zh": "🎉 抢到了"}
WENT_BACK = {
    "en": "Your unit from this sale was not paid in time and went back; the limit is 1 per person",
    "zh": "您在本次秒杀抢到的名额未按时付款，已退回；每人限购 1 件",
}
GOT_ONE = {"en": "You already got one from this sale", "zh": "您已经抢到了"}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_buy_after_an_unpaid_unit_went_back_says_so(shop: Stack, lang: str) -> None:
    bob = await shop.client.user("Bob", lang=CODES[lang])
    carol = await shop.client.user("Carol", lang=CODES[lang])
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await make_product(shop.db, "RICE-1", stock=10)
    group = await shop.client.group("Neighbours", members=[bob, carol], bot_admin=True)
    for who in (ada, bob, carol):
        await who.send("/start")
    await ada.send("/flash_create sku=RICE-1 price=19.90 stock=3 start=now end=+1h limit=1 groups=all")
    card = await _card(bob, group, shop)
    for who in (bob, carol):
        won = await who.tap(message=card, chat=group)
        assert won.toast is not None and (won.toast.text or "").startswith(WON[lang]), won.toast
    await shop.client.settle()
    sale = (await flashsale.list_sales(shop.db))[0]
    bob_order = next(o for u, _s, _st, o in await flashsale.claims_of(shop.db, sale.id) if u == bob.id)
    assert bob_order is not None

    await _expire(shop, bob_order)
    await _expiry_notice(bob, shop, bob_order)
    await asyncio.sleep(1.1)  # past the double-tap window: a new tap
    again = await bob.tap(message=card, chat=group)
    text = (again.toast.text if again.toast else None) or ""
    assert text.startswith(WENT_BACK[lang]), text
    assert GOT_ONE[lang] not in text

    # Carol still holds her unit: the limit answer is the usual one.
    await asyncio.sleep(1.1)
    held = await carol.tap(message=card, chat=group)
    assert held.toast is not None and (held.toast.text or "").startswith(GOT_ONE[lang]), held.toast
