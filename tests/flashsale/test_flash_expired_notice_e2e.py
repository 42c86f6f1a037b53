"""Outside check: a winner who did not pay in time heard only the generic "Order #N expired before it was paid,
so its items were released. You can check out again any time" (there is no checkout for a flash price). Now the
notice says the flash unit went back to the sale and what they can do: with the sale still on (and the shopper
below the per-person limit) a "⚡ Buy again" button that is the sale's Buy; once the sale is over, that it is
over, with no button. Real bot and emulator, the expiry and end events fired as the scheduler would, en and zh."""

from __future__ import annotations

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import flashsale, orders
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product
from tests.flashsale.test_flash_e2e import _job_id, _private_with
from tests.flashsale.test_flash_private_toast_e2e import _card

CODES = {"en": "en", "zh": "zh-hans"}
WON_NEEDLE = {"en": "flash price", "zh": "秒杀价"}
BACK_LIVE = {"en": "went back to the flash sale, which is still on", "zh": "名额已退回秒杀，秒杀仍在进行"}
BUY_AGAIN = {"en": "⚡ Buy again", "zh": "⚡ 再抢一次"}
WON = {"en": "🎉 You got one!", "zh": "🎉 抢到了"}
OVER = {"en": "the flash sale is over", "zh": "本次秒杀已结束"}
AT_LIMIT = {"en": "counts towards the limit of 1 per person", "zh": "也计入每人限购 1 件"}
GENERIC = ("You can check out again any time", "随时重新结账")


async def _won_order(shop: Stack, ada: UserHandle, person: UserHandle, lang: str, limit: int) -> tuple[int, int]:
    """`person` wins one unit on the group card of a live sale: (sale id, order id)."""
    await make_product(shop.db, "RICE-1", stock=10)
    group = await shop.client.group("Neighbours", members=[person], bot_admin=True)
    for who in (ada, person):
        await who.send("/start")
    await ada.send(f"/flash_create sku=RICE-1 price=19.90 stock=3 start=now end=+1h limit={limit} groups=all")
    card = await _card(person, group, shop)
    won = await person.tap(message=card, chat=group)
    assert won.toast is not None and (won.toast.text or "").startswith(WON[lang]), won.toast
    await _private_with(person, shop, WON_NEEDLE[lang])
    sale = (await flashsale.list_sales(shop.db))[0]
    order_id = (await flashsale.claims_of(shop.db, sale.id))[0][3]
    assert order_id is not None
    return sale.id, int(order_id)


async def _expire(shop: Stack, order_id: int) -> None:
    assert await shop.app.scheduler.fire(await _job_id(shop.db, orders.expiry_key(order_id)))  # type: ignore[union-attr]
    assert (await orders.get_order(shop.db, order_id)).status == "expired"


async def _expiry_notice(person: UserHandle, shop: Stack, order_id: int) -> MessageView:
    """The newest private notice that the order expired (the generic one and the flash one both start with ⌛)."""

    async def find() -> MessageView | None:
        for message in reversed(await person.messages()):
            text = message.text or ""
            if message.from_bot and text.startswith("⌛") and f"#{order_id}" in text:
                return message
        return None

    found: MessageView = await shop.client.wait_for(find, timeout=10)
    return found


async def _expired_notice_says(shop: Stack, bob: UserHandle, order_id: int, expected: str) -> MessageView:
    """Let the order expire unpaid; its notice says `expected` and none of the generic expiry wording."""
    await _expire(shop, order_id)
    notice = await _expiry_notice(bob, shop, order_id)
    text = notice.text or ""
    assert expected in text, text
    assert not any(g in text for g in GENERIC), text
    return notice


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_expired_unit_of_a_live_sale_offers_buy_again(shop: Stack, lang: str) -> None:
    bob = await shop.client.user("Bob", lang=CODES[lang])
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    sale_id, order_id = await _won_order(shop, ada, bob, lang, limit=2)
    notice = await _expired_notice_says(shop, bob, order_id, BACK_LIVE[lang])
    assert [b.text for row in notice.buttons for b in row] == [BUY_AGAIN[lang]]

    again = await bob.tap(BUY_AGAIN[lang], message=notice)  # the sale's own Buy: a new unit, a new order
    assert again.toast is not None and (again.toast.text or "").startswith(WON[lang]), again.toast
    await shop.client.settle()
    assert (await flashsale.get_sale(shop.db, sale_id)).sold == 1


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_expired_unit_after_the_sale_ended_says_it_is_over(shop: Stack, lang: str) -> None:
    bob = await shop.client.user("Bob", lang=CODES[lang])
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    sale_id, order_id = await _won_order(shop, ada, bob, lang, limit=1)
    assert await shop.app.scheduler.fire(await _job_id(shop.db, flashsale.end_key(sale_id)))  # type: ignore[union-attr]
    await _private_with(ada, shop, "is over")  # the end's summary: the sale is over before the expiry
    notice = await _expired_notice_says(shop, bob, order_id, OVER[lang])
    assert not [b for row in notice.buttons for b in row if "⚡" in b.text], "no Buy on a sale that is over"


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_expired_unit_at_the_per_person_limit_says_why_no_buy_again(shop: Stack, lang: str) -> None:
    """Limit 1 (the default): the unpaid unit still counts towards the limit (so nobody holds units hostage by
    not paying), so a Buy again would only hear "limit": the notice says so instead."""
    bob = await shop.client.user("Bob", lang=CODES[lang])
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    _sale_id, order_id = await _won_order(shop, ada, bob, lang, limit=1)
    notice = await _expired_notice_says(shop, bob, order_id, AT_LIMIT[lang])
    assert not [b for row in notice.buttons for b in row if "⚡" in b.text]
