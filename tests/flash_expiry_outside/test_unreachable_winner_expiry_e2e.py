"""Outside check: a shopper first seen in the group (she never started the bot, so she is stored `unreachable`)
taps "⚡ Buy now" on the group card, opens the private chat through the toast's deep link (`/start fsp_<order id>`),
gets the order message with its pay buttons, then lets the payment window pass. The unit went back to the sale and
the group card counted it, but the old messages still offered to pay (a tap only then said "can no longer be
paid"). Now she has the expiry notice in her language, and neither the delivery or pick-up choice nor the "you got
one" message offers to pay any more: their buttons are replaced by a line saying the unit went back. Real bot and
emulator, the expiry fired as the scheduler would (and once through the scheduler's own sweep), en and zh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import flashsale, orders
from store.models import Order, utcnow
from store.models.runtime import ScheduledJob
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product
from tests.flashsale.test_flash_e2e import _job_id
from tests.flashsale.test_flash_private_toast_e2e import _card

CODES = {"en": "en", "zh": "zh-hans"}
NAMES = {"en": "Rosie", "zh": "小红"}
WON = {"en": "🎉 You got one!", "zh": "🎉 抢到了！"}
WINDOW = {"en": "within 5 min", "zh": "5 分钟内"}
PAY = {"en": "pay ¥", "zh": "支付 ¥"}  # on every delivery / pick-up button: "🚚 Delivery · pay ¥17.90"
NOTICE = {"en": "was not paid in time", "zh": "未按时付款"}
WENT_BACK = {"en": "went back to the flash sale", "zh": "名额已退回秒杀"}


async def _first_seen_in_group_wins(shop: Stack, lang: str) -> tuple[UserHandle, int, int]:
    """The tester's steps up to the order message, and two neighbours take the other units (her card showed
    "1 unit left of 3" once hers came back): (shopper, sale id, order id)."""
    await make_product(shop.db, "RICE-1", stock=10)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    others = [await shop.client.user(f"Neighbour {n}") for n in (1, 2)]
    group = await shop.client.group("Neighbours", members=others, bot_admin=True)
    person = await shop.client.user(NAMES[lang], lang=CODES[lang])
    await group.add(person)  # added to the group; she never opened the bot
    await ada.send("/flash_create sku=RICE-1 price=9.90 stock=3 start=now end=+1h groups=all")
    card = await _card(person, group, shop)
    won = await person.tap(message=card, chat=group)  # her very first update comes from the group
    assert won.toast is not None, won
    toast = won.toast.text or ""
    assert toast.startswith(WON[lang]) and WINDOW[lang] in toast, toast
    sale = (await flashsale.list_sales(shop.db))[0]
    order_id = (await flashsale.claims_of(shop.db, sale.id))[0][3]
    assert order_id is not None
    assert won.toast.url is not None and won.toast.url.endswith(f"start=fsp_{order_id}"), won.toast
    await person.send(f"/start fsp_{order_id}")  # the toast's deep link
    for other in others:
        theirs = await other.tap(message=card, chat=group)
        assert theirs.toast is not None and "🎉" in (theirs.toast.text or ""), theirs.toast
    await shop.client.settle()
    assert (await flashsale.get_sale(shop.db, sale.id)).sold == 3
    return person, sale.id, int(order_id)


def _pay_buttons(message: MessageView, lang: str) -> list[str]:
    return [b.text for row in message.buttons for b in row if PAY[lang] in b.text]


async def _offers(person: UserHandle, shop: Stack, lang: str, count: int) -> list[MessageView]:
    """The private messages with pay buttons: the delivery or pick-up choice and the "you got one" message."""

    async def find() -> list[MessageView] | None:
        found = [m for m in await person.messages() if m.from_bot and _pay_buttons(m, lang)]
        return found if len(found) >= count else None

    offers: list[MessageView] = await shop.client.wait_for(find, timeout=10)
    return offers


async def _notice(person: UserHandle, shop: Stack, lang: str, order_id: int) -> MessageView:
    async def find() -> MessageView | None:
        for message in reversed(await person.messages()):
            text = message.text or ""
            if message.from_bot and text.startswith("⌛") and NOTICE[lang] in text and f"#{order_id}" in text:
                return message
        return None

    found: MessageView = await shop.client.wait_for(find, timeout=10)
    return found


async def _no_pay_buttons_left(person: UserHandle, shop: Stack, lang: str, ids: set[int]) -> list[MessageView]:
    async def find() -> list[MessageView] | None:
        mine = [m for m in await person.messages() if m.message_id in ids]
        return mine if mine and not any(_pay_buttons(m, lang) for m in mine) else None

    try:
        edited: list[MessageView] = await shop.client.wait_for(find, timeout=10)
    except TimeoutError:
        left = [(m.text, _pay_buttons(m, lang)) for m in await person.messages() if m.message_id in ids]
        raise AssertionError(f"the order's old messages still offer to pay: {left}") from None
    return edited


async def _check_after_expiry(shop: Stack, person: UserHandle, lang: str, sale_id: int, order_id: int) -> None:
    offers = await _offers(person, shop, lang, 2)
    assert (await orders.get_order(shop.db, order_id)).status == "expired"
    sale = await flashsale.get_sale(shop.db, sale_id)
    assert sale.sold == 2 and sale.sold <= sale.stock  # her unit went back; nothing oversold

    notice = await _notice(person, shop, lang, order_id)
    assert WENT_BACK[lang] in (notice.text or ""), notice.text

    edited = await _no_pay_buttons_left(person, shop, lang, {m.message_id for m in offers})
    for message in edited:
        assert message.edited and WENT_BACK[lang] in (message.text or ""), message.text


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_winner_first_seen_in_the_group_hears_that_her_unit_went_back(shop: Stack, lang: str) -> None:
    person, sale_id, order_id = await _first_seen_in_group_wins(shop, lang)
    offers = await _offers(person, shop, lang, 2)  # the choice /start answered with, and "you got one"
    assert len(offers) == 2, [m.text for m in offers]

    assert await shop.app.scheduler.fire(await _job_id(shop.db, orders.expiry_key(order_id)))  # type: ignore[union-attr]
    await _check_after_expiry(shop, person, lang, sale_id, order_id)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_payment_window_passing_on_the_scheduler_sweep(shop: Stack, lang: str) -> None:
    """The same, the window let pass: the order's expiry falls due and the scheduler's sweep performs it."""
    person, sale_id, order_id = await _first_seen_in_group_wins(shop, lang)
    await _offers(person, shop, lang, 2)
    past = utcnow() - timedelta(seconds=1)
    async with shop.db.tx() as session:
        await session.execute(update(Order).where(Order.id == order_id).values(expires_at=past))
        await session.execute(
            update(ScheduledJob).where(ScheduledJob.key == orders.expiry_key(order_id)).values(run_at=past)
        )

    async def expired() -> bool:
        return (await orders.get_order(shop.db, order_id)).status == "expired"

    await shop.client.wait_for(expired, timeout=10)
    await _check_after_expiry(shop, person, lang, sale_id, order_id)
