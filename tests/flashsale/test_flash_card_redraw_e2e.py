"""Outside check: after a flash sale sold out or ended, a product card opened during it kept the flash price, and
its Buy button only toasted "sold out" / "ended" (a dead end), in private and in a group. Now that Buy also
redraws the card as it is now: the regular price and the Add button, as a stale Add is. The sale's own
announcement is left to the sale. Real bot and emulator, en and zh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store.models import utcnow
from store.models.flashsale import FlashSale
from tests.flashsale.helpers import live_sale, make_product

# (language code, the card's Buy label start, the regular card's Add button, the regular price)
LANGS = {
    "en": ("en", "⚡ Buy now", "🛒 Add 1 to cart", "¥99.00"),
    "zh": ("zh-hans", "⚡ 立即抢购", "🛒 加入购物车（1 件）", "¥99.00"),
}


def _labels(message: MessageView) -> list[str]:
    return [button.text for row in message.buttons for button in row]


async def _card_with_buy(user: UserHandle, shop: Stack, buy: str, chat: object = None) -> MessageView:
    async def find() -> MessageView | None:
        for message in reversed(await user.messages(chat)):  # type: ignore[arg-type]
            if message.from_bot and any(label.startswith(buy) for label in _labels(message)):
                return message
        return None

    found: MessageView = await shop.client.wait_for(find, timeout=10)
    return found


async def _now(user: UserHandle, message: MessageView, chat: object = None) -> MessageView:
    return next(m for m in await user.messages(chat) if m.message_id == message.message_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_buy_on_a_card_after_the_sale_sold_out_redraws_it(shop: Stack, lang: str) -> None:
    code, buy, add, regular = LANGS[lang]
    await make_product(shop.db, "RICE-1", price=9900, stock=10)
    alice = await shop.client.user("Alice", lang=code)
    bob = await shop.client.user("Bob", lang=code)
    for person in (alice, bob):
        await person.send("/start")
    await live_sale(shop.db, "RICE-1", stock=1, per_user=1)
    await bob.send("/start p_RICE-1")
    bobs_card = await _card_with_buy(bob, shop, buy)
    await alice.send("/start p_RICE-1")
    won = await alice.tap(message=await _card_with_buy(alice, shop, buy))
    assert won.toast is not None
    await shop.client.settle()

    answer = await bob.tap(message=bobs_card)
    assert answer.toast is not None and answer.toast.text, answer.toast
    await shop.client.settle()
    redrawn = await _now(bob, bobs_card)
    labels = _labels(redrawn)
    assert not any(label.startswith(buy) for label in labels) and add in labels, labels
    assert regular in (redrawn.text or redrawn.caption or ""), redrawn.text


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_buy_on_a_group_card_after_the_sale_ended_redraws_it(shop: Stack, lang: str) -> None:
    code, buy, _add, regular = LANGS[lang]
    await make_product(shop.db, "RICE-1", price=9900, stock=10)
    alice = await shop.client.user("Alice", lang=code)
    group = await shop.client.group("Neighbours", members=[alice], bot_admin=True)
    await alice.send("/start")
    sale = await live_sale(shop.db, "RICE-1", stock=5, per_user=1)
    await alice.send("/catalog", chat=group)
    catalog = await shop.client.wait_for(lambda: _last_bot(alice, group), timeout=10)
    await alice.tap(message=catalog, chat=group)  # the category
    page = await _now(alice, catalog, group)
    await alice.tap(next(label for label in _labels(page) if "RICE" in label.upper()), message=page, chat=group)

    async def card_shown() -> MessageView | None:  # the group's catalog message, edited into the card
        shown = await _now(alice, catalog, group)
        return shown if any(label.startswith(buy) for label in _labels(shown)) else None

    card = await shop.client.wait_for(card_shown, timeout=10)
    # The sale's end time passes (as if its end event were late): the gate answers "ended".
    async with shop.db.tx() as session:
        await session.execute(
            update(FlashSale).where(FlashSale.id == sale.id).values(ends_at=utcnow() - timedelta(seconds=1))
        )

    answer = await alice.tap(message=card, chat=group)
    assert answer.toast is not None and answer.toast.text, answer.toast
    await shop.client.settle()
    redrawn = await _now(alice, card, group)
    assert not any(label.startswith(buy) for label in _labels(redrawn)), _labels(redrawn)
    assert regular in (redrawn.text or ""), redrawn.text


async def _last_bot(user: UserHandle, chat: object) -> MessageView | None:
    for message in reversed(await user.messages(chat)):  # type: ignore[arg-type]
        if message.from_bot and message.buttons:
            return message
    return None


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_category_page_quotes_the_flash_price(shop: Stack, lang: str) -> None:
    """The tester saw "Bananas, 1 kg · ¥9.90" on the category page while the card and search said ⚡¥4.90."""
    await make_product(shop.db, "RICE-1", price=9900, stock=10)
    alice = await shop.client.user("Alice", lang=LANGS[lang][0])
    await alice.send("/start")
    await live_sale(shop.db, "RICE-1", stock=5, per_user=1)
    await alice.send("/catalog")
    catalog = await shop.client.wait_for(lambda: _last_bot(alice, None), timeout=10)
    await alice.tap(message=catalog)  # the category
    page = await _now(alice, catalog)
    label = next(label for label in _labels(page) if "RICE" in label.upper())
    assert "⚡¥19.90" in label and "¥99.00" not in label, label
