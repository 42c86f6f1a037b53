"""A double tap on "Buy now" is one intent: with a per-user limit of 2 the tester's double tap took two units (two
claims, two orders). Now the repeat takes nothing and hears that they already got one; a deliberate tap later
still gets the second unit the limit allows. On the group card and on the private notice, in English and Chinese,
the real bot against the emulator; both taps leave the client before the bot has answered either."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from bot.emulator.client import MessageView, TapResult, UserHandle
from bot.sandbox import Stack
from bot.tap_guard import WINDOW_SECONDS
from store import flashsale
from store.models import Order
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product
from tests.flashsale.test_flash_e2e import _card

HELD = {
    "en": "✅ You already have one from this sale: pay with the button on your order message",
    "zh": "✅ 您已经抢到一件，请点",
}
WON = {"en": "🎉 You got one!", "zh": "🎉 抢到了"}


async def _sale(shop: Stack, people: list[UserHandle], subscribers: tuple[UserHandle, ...] = ()) -> object:
    await make_product(shop.db, "RICE-1", stock=10)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    group = await shop.client.group("Neighbours", members=people, bot_admin=True)
    for person in (ada, *people):
        await person.send("/start")
    for person in subscribers:
        await person.send("/subscribe")
    await ada.send("/flash_create sku=RICE-1 price=19.90 stock=5 start=now end=+1h limit=2 groups=all")
    return group


async def _double_tap(shop: Stack, person: UserHandle, card: MessageView, chat: object) -> list[TapResult]:
    taps = await asyncio.gather(person.tap(message=card, chat=chat), person.tap(message=card, chat=chat))  # type: ignore[arg-type]
    await shop.client.settle()
    return list(taps)


def _toasts(taps: list[TapResult]) -> list[str]:
    return sorted(t.toast.text or "" if t.toast is not None else "" for t in taps)


async def _units(shop: Stack) -> tuple[int, Counter[int], int]:
    """(units the sale sold, claims per user, flash orders)."""
    sale = (await flashsale.list_sales(shop.db))[0]
    claims = await flashsale.claims_of(shop.db, sale.id)
    async with shop.db.read() as session:
        orders = (
            await session.execute(select(func.count()).select_from(Order).where(Order.source == flashsale.SOURCE))
        ).scalar_one()
    return (await flashsale.get_sale(shop.db, sale.id)).sold, Counter(u for u, _, _, _ in claims), int(orders)


async def _clean(shop: Stack) -> None:
    assert not await shop.client.error_responses(), [str(e) for e in await shop.client.error_responses()]
    assert not (await shop.client.unanswered()).callback_queries


async def test_a_double_tap_on_the_group_card_takes_one_unit(shop: Stack) -> None:
    alice = await shop.client.user("Alice")
    lilei = await shop.client.user("李雷", lang="zh-hans")
    group = await _sale(shop, [alice, lilei])
    card = await _card(alice, group, shop)

    for person, lang in ((alice, "en"), (lilei, "zh")):
        taps = await _double_tap(shop, person, card, group)
        assert all(t.raw.get("answered") for t in taps), [t.raw for t in taps]
        held, won = _toasts(taps)
        assert held.startswith(HELD[lang]) and won.startswith(WON[lang]), (held, won)
        assert [t.toast.show_alert for t in taps if t.toast and t.toast.text == held] == [False], "quiet: no alert"
    assert await _units(shop) == (2, Counter({alice.id: 1, lilei.id: 1}), 2)
    await _clean(shop)

    # The limit is 2: a deliberate tap after the double-tap window gets the second unit, a third hears the limit.
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    second = await alice.tap(message=card, chat=group)
    assert second.toast is not None and (second.toast.text or "").startswith(WON["en"]), second.toast
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    third = await alice.tap(message=card, chat=group)
    assert third.toast is not None and "that is the limit per person" in (third.toast.text or ""), third.toast
    assert await _units(shop) == (3, Counter({alice.id: 2, lilei.id: 1}), 3)
    await _clean(shop)


async def test_a_double_tap_on_the_private_notice_takes_one_unit(shop: Stack) -> None:
    bob = await shop.client.user("Bob")
    await _sale(shop, [bob], subscribers=(bob,))
    notice = await _card(bob, None, shop)
    assert notice.buttons

    taps = await _double_tap(shop, bob, notice, None)
    assert all(t.raw.get("answered") for t in taps), [t.raw for t in taps]
    held, won = _toasts(taps)
    assert held.startswith(HELD["en"]) and won.startswith(WON["en"]), (held, won)
    assert await _units(shop) == (1, Counter({bob.id: 1}), 1)
    await _clean(shop)
