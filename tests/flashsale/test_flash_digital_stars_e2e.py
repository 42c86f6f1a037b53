"""A flash-sale win of a digital product is paid in Stars, as a checkout of it is (Telegram sells digital goods
for Stars): the group card quotes the Star price, the won message offers "Pay ⭐ N" (the product's Star price
with the flash discount) and no card or pick-up choice, the invoice is in XTR, and once paid the order is
delivered with its code in the chat. Through the won message's button and through the toast's deep link. End to
end through the emulator."""

from __future__ import annotations

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import flashsale, orders, scheduling
from tests.conftest import ADMIN_ID
from tests.delivery.helpers import bot_messages, bot_says, text_of
from tests.flashsale.test_flash_e2e import _card, _last_invoice

pytestmark = pytest.mark.seeded

GIFT_CODE = "GC50-DEMO-7Q4K-M2XP"  # the first of DIG-GIFT50's codes, then the second
SECOND_CODE = "GC50-DEMO-S4QD-GP2D"
# DIG-GIFT50 sells at ¥50.00 or 350 ⭐; at the flash price ¥40.00 (−20%) it is 280 ⭐.
FLASH_STARS = 280


async def _invoice(shop: Stack, user: UserHandle) -> MessageView:
    found: MessageView = await shop.client.wait_for(lambda: _last_invoice(user), timeout=5)
    return found


async def _win(shop: Stack, user: UserHandle, card: MessageView, group: object, says: str) -> str:
    won = await user.tap(message=card, chat=group)  # type: ignore[arg-type]
    url = (won.toast.url if won.toast else None) or won.url
    assert url is not None and won.toast is not None and says in (won.toast.text or "")
    return url


async def _check_paid(shop: Stack, user: UserHandle, order_id: int, gift_code: str) -> None:
    code = await bot_says(shop, user, gift_code)
    assert "Shop gift card, ¥50" in text_of(code) or "商城礼品卡" in text_of(code)
    order = await orders.get_order(shop.db, order_id)
    assert order.status == "delivered" and order.currency == "XTR" and order.total == FLASH_STARS
    assert order.payment_method == "stars"


async def test_a_digital_flash_win_is_paid_in_stars_and_delivered(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    alice = await shop.client.user("Alice")
    li = await shop.client.user("李雷", lang="zh-hans")  # never opened the private chat
    group = await shop.client.group("Neighbours", members=[alice, li], bot_admin=True)
    await ada.send("/start")
    await alice.send("/start")
    await ada.send(f"/flash_create sku=DIG-GIFT50 price={FLASH_STARS} stock=2 start=+1h end=+2h")
    sale = (await flashsale.list_sales(shop.db))[0]
    async with shop.db.read() as session:
        start = next(j.id for j in await scheduling.pending_jobs(session) if j.key == flashsale.start_key(sale.id))
    assert await shop.app.scheduler.fire(start)  # type: ignore[union-attr]
    card = await _card(alice, group, shop)
    # The group card quotes what a winner pays: Stars (350 ⭐ struck, 280 ⭐), not the yuan price.
    assert f"⭐ {FLASH_STARS}" in text_of(card) and "⭐ 350" in text_of(card), text_of(card)
    assert "¥40" not in text_of(card) and "¥50.00" not in text_of(card)
    assert [b.text for row in card.buttons for b in row] == [f"⚡ Buy now · ⭐ {FLASH_STARS}"]

    # Alice opened the bot before: the won message offers Stars only.
    await _win(shop, alice, card, group, "You got one")
    won = await bot_says(shop, alice, "You got")
    labels = [b.text for row in won.buttons for b in row]
    assert labels == [f"Pay ⭐ {FLASH_STARS}"], labels
    assert f"⭐ {FLASH_STARS}" in text_of(won)
    await alice.tap(f"Pay ⭐ {FLASH_STARS}", message=won)
    invoice = await _invoice(shop, alice)
    assert invoice.invoice is not None
    assert (invoice.invoice["currency"], invoice.invoice["total_amount"]) == ("XTR", FLASH_STARS)
    assert (await alice.pay(message=invoice))["status"] == "paid"
    claims = await flashsale.claims_of(shop.db, sale.id)
    alice_order = next(o for u, _, _, o in claims if u == alice.id)
    assert alice_order is not None
    await _check_paid(shop, alice, alice_order, GIFT_CODE)

    # Li wins from the group and pays through the toast's deep link: the invoice comes straight in Stars.
    url = await _win(shop, li, card, group, "抢到了")
    await li.open_deeplink(url.split("start=", 1)[1])
    invoice = await _invoice(shop, li)
    assert invoice.invoice is not None
    assert (invoice.invoice["currency"], invoice.invoice["total_amount"]) == ("XTR", FLASH_STARS)
    assert (await li.pay(message=invoice))["status"] == "paid"
    li_order = next(o for u, _, _, o in await flashsale.claims_of(shop.db, sale.id) if u == li.id)
    assert li_order is not None
    await _check_paid(shop, li, li_order, SECOND_CODE)  # every card sold has its own code

    assert not await bot_messages(alice, "💳"), "no card payment offered for a digital good"
    done = await flashsale.get_sale(shop.db, sale.id)
    assert done.paid == 2 and done.revenue == 2 * 4000, "revenue stays in the sale's currency"
