"""Outside check: during a live flash sale a product's card, category page and search quoted the flash price
(⚡¥19.90), but the /wishlist screen still quoted the regular one, and called a product "sold out" when the sale
had taken all its units (the sale's pool is apart from the product's stock). The wishlist now quotes what the
card's Buy or Add button charges: the flash price with the card's ⚡ while a sale is open to everyone with units
left, the regular price otherwise. Real bot and emulator, en and zh, never-seen shoppers."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t_plain
from bot.sandbox import Stack
from store.models.flashsale import FlashSale
from tests.flashsale.helpers import live_sale

pytestmark = pytest.mark.seeded

# (language, Fuji apples' title, Navel oranges' title, the Pu'er cake's title, "sold out" as the wishlist says it)
CASES = [
    ("en", "Fuji apples, 2 kg", "Navel oranges, 2.5 kg", "Aged Pu'er tea cake", "sold out"),
    ("zh", "烟台红富士苹果 2公斤", "赣南脐橙 2.5公斤", "普洱熟茶饼", "已售罄"),
]


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


def label_of(page: MessageView | None, title: str) -> str:
    found = [label for label in labels(page) if title in label]
    assert len(found) == 1, labels(page)
    return found[0]


async def wish(user: UserHandle, lang: str, sku: str) -> None:
    await user.open_deeplink(f"p_{sku}")
    tapped = await user.tap(t_plain(lang, "social.wish"))
    assert tapped.toast is not None and tapped.toast.text == t_plain(lang, "social.wished_toast"), tapped.toast


async def wishlist(user: UserHandle) -> MessageView | None:
    await user.send("/wishlist")
    return await user.last_message()


@pytest.mark.parametrize(("lang", "apples", "oranges", "puer", "sold_out"), CASES)
async def test_the_wishlist_quotes_the_live_flash_price_as_the_card_does(
    shop: Stack, lang: str, apples: str, oranges: str, puer: str, sold_out: str
) -> None:
    alice = await shop.client.user("Alice", lang=lang)  # never seen before
    await alice.send("/start")
    for sku in ("FRU-APPLE", "FRU-ORANGE", "TEA-PUER"):
        await wish(alice, lang, sku)
    before = await wishlist(alice)
    assert "¥29.90" in label_of(before, apples) and "⚡" not in "".join(labels(before))

    # A sale of all 40 apples (the product's own stock drops to 0) and one of oranges that every unit was won of.
    await live_sale(shop.db, "FRU-APPLE", stock=40, price=1990)
    oranges_sale = await live_sale(shop.db, "FRU-ORANGE", stock=2, price=990)
    async with shop.db.tx() as session:
        await session.execute(update(FlashSale).where(FlashSale.id == oranges_sale.id).values(sold=FlashSale.stock))

    page = await wishlist(alice)
    apple = label_of(page, apples)
    assert "⚡¥19.90" in apple and "¥29.90" not in apple and sold_out not in apple, apple
    orange = label_of(page, oranges)  # nothing left at the flash price: the regular price, as its card quotes
    assert "⚡" not in orange and "¥35.00" in orange, orange
    assert "⚡" not in label_of(page, puer) and "¥258.00" in label_of(page, puer)

    # The same price as the card's own (its Buy button charges it).
    await alice.tap(apple)
    card = await alice.last_message()
    assert card is not None and "¥19.90" in ((card.text or "") + (card.caption or ""))
    assert any(label.startswith("⚡") and "¥19.90" in label for label in labels(card)), labels(card)
