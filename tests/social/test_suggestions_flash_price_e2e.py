"""Outside check: during a live flash sale a product's card, category page, search, inline results and /wishlist
quoted the flash price (⚡¥19.90), but the suggestion buttons ("You may also like" on a card, "For you", "Popular in
this group", and the suggestions after a checkout) still quoted the regular price, and left out a product whose
stock the sale had taken (the sale's units are apart from the product's stock). Each now quotes what the card's Buy
charges: the flash price with the card's ⚡ while a sale is open to everyone with units left, the regular price
otherwise (a sale whose every unit was won). Real bot and emulator, en and zh, never-seen shoppers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot import social
from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t_plain
from bot.sandbox import Stack
from store import flashsale
from store.models.flashsale import FlashSale
from tests.flashsale.helpers import scheduled_sale
from tests.social.helpers import bought, make_user, product_id
from tests.social.test_paid_suggestions_e2e import confirmation

pytestmark = pytest.mark.seeded

SHOPPERS = range(761_001, 761_006)


class Words:
    """What a test looks for in one language: product titles (a part of each) and the buttons it taps."""

    def __init__(self, lang: str) -> None:
        zh = lang == "zh"
        self.lang = lang
        self.apples = "红富士" if zh else "Fuji apples"
        self.oranges = "脐橙" if zh else "Navel oranges"
        self.oolong = "铁观音" if zh else "Tieguanyin"
        self.puer = "普洱" if zh else "Pu'er"
        self.also = "猜您喜欢" if zh else "You may also like"
        self.add = "加入购物车（1 件）" if zh else "Add 1"
        self.pickup = "自提：" if zh else "Pick up: Central Store"


LANGS = ["en", "zh"]


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


def label_of(found: list[str], title: str) -> str:
    matches = [label for label in found if title in label]
    assert len(matches) == 1, found
    return matches[0]


async def history(shop: Stack, chat_id: int | None = None) -> None:
    """Five shoppers bought apples, oranges and Tieguanyin, two of them with Pu'er: Pu'er's neighbours (and the
    most bought in their group) are those three."""
    for n, user in enumerate(SHOPPERS):
        await make_user(shop.db, user)
        await bought(shop.db, user, ["FRU-APPLE", "FRU-ORANGE", "TEA-OOLONG"] + (["TEA-PUER"] if n < 2 else []))
    rec = social.recommender(shop.app.ctx)
    if chat_id is not None:
        for user in SHOPPERS:
            rec.note_visit(user, await product_id(shop.db, "TEA-PUER"), chat_id)
    await rec.refresh()


async def live_sale(shop: Stack, sku: str, *, stock: int, price: int) -> int:
    """tests.flashsale.helpers.live_sale for a running bot: its scheduler may start the sale (already due) before
    the test does, which leaves the test's own start a no-op. Returns the live sale's id."""
    sale = await scheduled_sale(shop.db, sku, stock=stock, price=price, starts_in=timedelta(seconds=-1))
    async with shop.db.tx() as session:
        await flashsale.start_sale(session, sale.id, late_by=timedelta(seconds=1), grace=timedelta(minutes=5))
    assert (await flashsale.get_sale(shop.db, sale.id)).status == flashsale.LIVE
    return sale.id


async def all_won(shop: Stack, sale_id: int) -> None:
    async with shop.db.tx() as session:
        await session.execute(update(FlashSale).where(FlashSale.id == sale_id).values(sold=FlashSale.stock))


async def sales(shop: Stack) -> tuple[int, int]:
    """All 40 apples at ¥19.90 (the product's own stock drops to 0), 2 oranges at ¥9.90 that were all won, and 5 of
    the 20 Tieguanyin at ¥99.00; returns the apples' and the Tieguanyin's sale ids."""
    apples = await live_sale(shop, "FRU-APPLE", stock=40, price=1990)
    await all_won(shop, await live_sale(shop, "FRU-ORANGE", stock=2, price=990))
    oolong = await live_sale(shop, "TEA-OOLONG", stock=5, price=9900)
    return apples, oolong


def assert_flash_prices(found: list[str], w: Words) -> None:
    oolong = label_of(found, w.oolong)  # 15 left in its own stock, 5 at the flash price
    assert "⚡¥99.00" in oolong and "¥128.00" not in oolong, oolong
    orange = label_of(found, w.oranges)  # every unit won: the regular price, as its card quotes
    assert "⚡" not in orange and "¥35.00" in orange, orange
    apple = label_of(found, w.apples)  # all its stock in the sale: suggested while the sale has units left
    assert "⚡¥19.90" in apple and "¥29.90" not in apple, apple


async def started(shop: Stack, name: str, lang: str) -> UserHandle:
    user = await shop.client.user(name, lang=lang)  # never seen before
    await user.send("/start")
    return user


@pytest.mark.parametrize("lang", LANGS)
async def test_you_may_also_like_on_a_card_quotes_the_live_flash_price(shop: Stack, lang: str) -> None:
    w = Words(lang)
    await history(shop)
    apples_sale, oolong_sale = await sales(shop)
    alice = await started(shop, "Alice", lang)

    await alice.open_deeplink("p_TEA-PUER")
    card = await alice.last_message()
    also = [label for label in labels(card) if w.also in label]
    assert_flash_prices(also, w)
    assert len(also) == 3, labels(card)

    # The price its own card charges (its Buy button): the suggestion opens it.
    await alice.tap(label_of(also, w.apples))
    opened = await alice.last_message()
    assert opened is not None and "¥19.90" in ((opened.text or "") + (opened.caption or ""))
    assert any(label.startswith("⚡") and "¥19.90" in label for label in labels(opened)), labels(opened)

    # Every unit won: Tieguanyin is back at its regular price; the apples, none left anywhere, are not suggested.
    await all_won(shop, oolong_sale)
    await all_won(shop, apples_sale)
    await alice.open_deeplink("p_TEA-PUER")
    again = [label for label in labels(await alice.last_message()) if w.also in label]
    oolong = label_of(again, w.oolong)
    assert "⚡" not in oolong and "¥128.00" in oolong, oolong
    assert not any(w.apples in label for label in again), again


@pytest.mark.parametrize("lang", LANGS)
async def test_for_you_quotes_the_live_flash_price(shop: Stack, lang: str) -> None:
    w = Words(lang)
    await history(shop)
    bob = await started(shop, "Bob", lang)
    await bought(shop.db, bob.id, ["TEA-PUER"])
    await social.recommender(shop.app.ctx).refresh()
    await sales(shop)

    await bob.send("/foryou")
    screen = await bob.last_message()
    assert screen is not None and ("为您推荐" if lang == "zh" else "For you") in (screen.text or "")
    picks = [label for label in labels(screen) if label.startswith("✨")]
    assert not any(w.puer in label for label in picks), "already bought"
    assert_flash_prices(picks, w)


@pytest.mark.parametrize("lang", LANGS)
async def test_popular_in_this_group_quotes_the_live_flash_price(shop: Stack, lang: str) -> None:
    w = Words(lang)
    await sales(shop)  # before the group exists: its chat gets no sale announcement in between
    alice = await started(shop, "Alice", lang)
    bob = await started(shop, "Bob", lang)
    group = await shop.client.group("Block 7", members=[alice, bob], bot_admin=True)
    if lang == "zh":
        await group.set_member(alice, "administrator")
        await alice.send("/language", chat=group)
        await alice.tap("中文", chat=group)
    await history(shop, chat_id=group.id)

    await alice.send("/catalog", chat=group)
    listing = await alice.last_message(chat=group)
    assert listing is not None and t_plain(lang, "social.group_popular_title") in (listing.text or "")
    popular = [label for label in labels(listing) if label.startswith("🔥")]
    assert_flash_prices(popular, w)
    assert len(popular) == 3, labels(listing)


@pytest.mark.parametrize("lang", LANGS)
async def test_suggestions_after_a_checkout_quote_the_live_flash_price(shop: Stack, lang: str) -> None:
    """The same buttons under a placed order (pay on pickup) and on a card payment's confirmation."""
    w = Words(lang)
    await shop.client.set_flood_limits(False)
    await history(shop)
    await sales(shop)
    carol = await started(shop, "Carol", lang)

    await carol.open_deeplink("p_TEA-PUER")
    await carol.tap(w.add)
    await carol.send("/checkout")
    await carol.tap(w.pickup)
    await carol.tap("到店自提时支付" if lang == "zh" else "on pickup")
    placed = await carol.last_message()
    assert placed is not None and "#" in (placed.text or "")
    assert_flash_prices([label for label in labels(placed) if w.also in label], w)

    await carol.open_deeplink("p_TEA-PUER")
    await carol.tap(w.add)
    await carol.send("/checkout")
    await carol.tap(w.pickup)
    await carol.tap("银行卡" if lang == "zh" else "by card")
    assert (await carol.pay())["status"] == "paid"
    notice = await confirmation(carol, "已收到付款" if lang == "zh" else "Payment received")
    assert_flash_prices([label for label in labels(notice) if w.also in label], w)
