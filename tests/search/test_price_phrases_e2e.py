"""Price bounds in the shopper's own words, through the real bot and the emulator with the demo catalog (teas at
¥128, ¥198 and ¥258): "tea under 150" lists the one tea under ¥150 and says so in the header, "tea under 100"
says "Nothing under ¥100 matches tea" (and Clear filters shows the teas), a bound alone lists the products within
it; the same in Chinese ("茶 150元以下", "20到30元"). A number that is not a price stays a word."""

from __future__ import annotations

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from tests.search.screens import labels, prices, shopper

pytestmark = pytest.mark.seeded


async def reply_to(user: UserHandle, text: str) -> MessageView:
    await user.send(text)
    reply = await user.last_message()
    assert reply is not None and reply.text is not None
    return reply


async def test_english_price_phrases_filter_and_name_the_bound(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    under = await reply_to(alice, "/search tea under 150")
    assert under.text is not None and under.text.startswith("🔎 tea under ¥150: 1 found"), under.text
    assert "Tieguanyin oolong tea" in under.text and "Longjing" not in under.text and "Pu'er" not in under.text

    nothing = await reply_to(alice, "/search tea under 100")
    assert nothing.text == "Nothing under ¥100 matches tea.", nothing.text
    await alice.tap("Clear filters")
    cleared = await alice.last_message()
    assert cleared is not None and cleared.message_id == nothing.message_id
    assert (cleared.text or "").startswith("🔎 tea: 3 found")

    over = await reply_to(alice, "/search tea over 200")
    assert over.text is not None and over.text.startswith("🔎 tea over ¥200: 1 found") and "Pu'er" in over.text

    alone = await reply_to(alice, "/search between 20 and 30")  # a bound alone lists what it allows
    assert alone.text is not None and alone.text.startswith("🔎 All products between ¥20 and ¥30:"), alone.text
    assert prices(alone) and all(20 <= p <= 30 for p in prices(alone))
    assert "Fuji apples, 2 kg" in alone.text  # ¥29.90
    await alice.tap("Price ↓")  # the bound survives sorting
    resorted = await alice.last_message()
    assert resorted is not None and (resorted.text or "").startswith("🔎 All products between ¥20 and ¥30:")
    assert prices(resorted) == sorted(prices(resorted), reverse=True) and all(20 <= p <= 30 for p in prices(resorted))

    budget = await reply_to(alice, "/search coffee $30")
    assert budget.text == "Nothing up to ¥30 matches coffee.", budget.text  # the drip bags are ¥49.90


async def test_chinese_price_phrases_filter_and_name_the_bound(shop: Stack) -> None:
    li = await shopper(shop, "李雷", lang="zh-hans")
    under = await reply_to(li, "/search 茶 150元以下")
    assert under.text is not None and under.text.startswith("🔎 茶（价格不超过 ¥150）：找到 1 件"), under.text
    assert "安溪铁观音" in under.text and "西湖龙井" not in under.text

    nothing = await reply_to(li, "/search 茶 100块以内")
    assert nothing.text == "没有价格不超过 ¥100 的 茶。", nothing.text
    assert "清除筛选" in labels(nothing)

    over = await reply_to(li, "/search 200元以上的茶")
    assert over.text is not None and over.text.startswith("🔎 茶（价格不低于 ¥200）：找到 1 件"), over.text
    assert "普洱熟茶饼" in over.text

    alone = await reply_to(li, "/search 20到30元")
    assert alone.text is not None and alone.text.startswith("🔎 价格在 ¥20–¥30 之间 的商品：共"), alone.text
    assert prices(alone) and all(20 <= p <= 30 for p in prices(alone))


async def test_a_price_phrase_after_the_search_button(shop: Stack) -> None:
    """The answer to the Search button's question is read the same way."""
    dana = await shopper(shop, "Dana")
    await dana.send("/search")
    results = await reply_to(dana, "coffee less than 60")
    assert results.text is not None and results.text.startswith("🔎 coffee under ¥60: 1 found"), results.text
    assert "Yunnan drip-bag coffee" in results.text


async def test_numbers_that_are_not_prices_stay_words(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    apples = await reply_to(alice, "/search apples 2 kg")
    assert apples.text is not None and apples.text.startswith("🔎 apples 2 kg: 1 found"), apples.text
    assert "Fuji apples, 2 kg" in apples.text
    li = await shopper(shop, "韩梅梅", lang="zh-hans")
    bananas = await reply_to(li, "/search 香蕉 1公斤")
    assert bananas.text is not None and bananas.text.startswith("🔎 香蕉 1 公斤：找到 1 件"), bananas.text
