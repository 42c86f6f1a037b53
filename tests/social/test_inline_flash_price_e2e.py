"""Outside check: during a live flash sale a product's card, category page and search quoted the flash price, but
inline mode (`@bot apple` in any chat) still offered and posted the regular one. An inline result and the card it
posts now quote what the product's Buy or Add button charges: the flash price with the card's ⚡ (the regular
price struck through) while a sale is open to everyone with units left, the regular price otherwise. Real bot
and emulator, en and zh, never-seen shoppers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from bot.emulator.client import UserHandle
from bot.sandbox import Stack
from store.models.flashsale import FlashSale
from tests.flashsale.helpers import live_sale

pytestmark = pytest.mark.seeded

# (language, the query, Fuji apples' title, its stock as the regular result says it)
CASES = [("en", "apple", "Fuji apples, 2 kg", "in stock"), ("zh", "苹果", "烟台红富士苹果 2公斤", "库存")]


async def apples(user: UserHandle, query: str, title: str) -> dict[str, Any]:
    results = await user.inline_query(query)
    found = [result for result in results if result["title"] == title]
    assert len(found) == 1, [result["title"] for result in results]
    return found[0]


def card_text(result: dict[str, Any]) -> str:
    return str(result["input_message_content"]["message_text"])


def entity_text(text: str, entity: dict[str, Any]) -> str:
    """What an entity covers (its offset and length count UTF-16 code units, as Telegram's do)."""
    units = text.encode("utf-16-le")
    start, length = 2 * int(entity["offset"]), 2 * int(entity["length"])
    return units[start : start + length].decode("utf-16-le")


@pytest.mark.parametrize(("lang", "query", "title", "stock"), CASES)
async def test_inline_results_quote_the_live_flash_price_as_the_card_does(
    shop: Stack, lang: str, query: str, title: str, stock: str
) -> None:
    alice = await shop.client.user("Alice", lang=lang)  # never seen before: she never even started the bot
    bob = await shop.client.user("Bob", lang=lang)
    group = await shop.client.group("Neighbours", members=[alice, bob])
    regular = await apples(alice, query, title)
    assert "¥29.90" in regular["description"] and "⚡" not in regular["description"], regular["description"]

    sale = await live_sale(shop.db, "FRU-APPLE", stock=5, price=1990)
    result = await apples(alice, query, title)
    description = result["description"]
    assert description.startswith("⚡") and "¥19.90" in description, description
    assert description.index("¥19.90") < description.index("¥29.90"), "the flash price leads"
    assert stock not in description, "the product's own stock is not the sale's"
    text = card_text(result)
    assert "⚡" in text and "¥19.90" in text and text.index("¥19.90") < text.index("¥29.90"), text

    # Shared into a group, the posted card quotes it too, the regular price struck through.
    await alice.choose_inline(result, chat=group)
    posted = (await bob.messages(group))[-1]
    assert posted.text is not None and "⚡" in posted.text and "¥19.90" in posted.text, posted.text
    struck = [entity for entity in posted.entities if entity["type"] == "strikethrough"]
    assert [entity_text(posted.text, entity) for entity in struck] == ["¥29.90"], posted.entities

    # The card the deep link opens quotes the same price (its Buy button charges it).
    await bob.open_deeplink("p_FRU-APPLE")
    card = await bob.last_message()
    assert card is not None and "¥19.90" in ((card.text or "") + (card.caption or ""))

    # Every unit won: nothing left at the flash price, so the regular price is back.
    async with shop.db.tx() as session:
        await session.execute(update(FlashSale).where(FlashSale.id == sale.id).values(sold=FlashSale.stock))
    after = await apples(alice, query, title)
    assert "⚡" not in after["description"] and "¥29.90" in after["description"], after["description"]
    assert "⚡" not in card_text(after) and stock in card_text(after), card_text(after)
