"""Long and non-Latin search words through the emulator, as a shopper would send them: a 300-character paste
and a 9-character Chinese query give results whose sort and page buttons work (issue 9, item 4)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete

from bot.emulator.client import MessageView, UserHandle
from bot.emulator.rules import CALLBACK_DATA_LIMIT
from bot.sandbox import Stack
from store.models.search import SearchState

pytestmark = pytest.mark.seeded

# What a shopper pastes by mistake (300 characters); "kg" is the one word products have, and `<b>` and `&` must
# come back as text.
PASTE = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore "
    "magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo "
    "consequat. Duis aute irure dolor in reprehenderit & <b>kg</b> in voluptate qui."
)
CHINESE = "水果、茶、零食、奶"  # 9 characters, 27 bytes: fruit, tea, snacks, milk


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


def assert_buttons_fit(message: MessageView) -> None:
    for row in message.buttons:
        for button in row:
            if button.callback_data is not None:
                assert len(button.callback_data.encode()) <= CALLBACK_DATA_LIMIT


async def shopper(shop: Stack, name: str, lang: str = "en") -> UserHandle:
    await shop.client.set_flood_limits(False)  # tests tap faster than people; flood rules have their own tests
    return await shop.client.user(name, lang=lang)


async def test_a_300_character_paste_gives_results_with_working_buttons(shop: Stack) -> None:
    assert len(PASTE) == 300
    alice = await shopper(shop, "Alice")
    await alice.send("/search " + PASTE)
    first = await alice.last_message()
    assert first is not None and first.text is not None
    assert first.text.startswith("🔎 lorem ipsum dolor") and "…" in first.text.splitlines()[0]
    assert "page 1 of 2" in first.text and "1.5 kg" in first.text
    assert_buttons_fit(first)
    await alice.tap("Next ▶")
    second = await alice.last_message()
    assert second is not None and second.message_id == first.message_id
    assert "page 2 of 2" in (second.text or "") and "◀ Prev" in labels(second)
    assert_buttons_fit(second)
    await alice.tap("Price ↓")
    by_price = await alice.last_message()
    assert by_price is not None and by_price.message_id == first.message_id
    assert "• Price ↓" in labels(by_price) and "page 1 of 2" in (by_price.text or "")
    prices = [float(p) for p in re.findall(r"— ¥([\d.]+)", by_price.text or "")]
    assert len(prices) > 1 and prices == sorted(prices, reverse=True)
    await alice.tap("Next ▶")
    assert "page 2 of 2" in ((await alice.last_message()).text or "")  # type: ignore[union-attr]


async def test_a_nine_character_chinese_query_pages_and_sorts(shop: Stack) -> None:
    li = await shopper(shop, "李雷", lang="zh-hans")
    await li.send("/search " + CHINESE)
    first = await li.last_message()
    assert first is not None and first.text is not None
    assert first.text.startswith("🔎 水果 茶 零食 奶：找到 18 件") and "第 1/3 页" in first.text
    assert_buttons_fit(first)
    await li.tap("下一页 ▶")
    second = await li.last_message()
    assert second is not None and second.message_id == first.message_id and "第 2/3 页" in (second.text or "")
    await li.tap("价格 ↑")
    cheapest = await li.last_message()
    assert cheapest is not None and "• 价格 ↑" in labels(cheapest) and "第 1/3 页" in (cheapest.text or "")
    prices = [float(p) for p in re.findall(r"— ¥([\d.]+)", cheapest.text or "")]
    assert len(prices) > 1 and prices == sorted(prices)
    assert_buttons_fit(cheapest)


async def test_an_unspaced_chinese_sentence_finds_nothing_politely(shop: Stack) -> None:
    li = await shopper(shop, "韩梅梅", lang="zh-hans")
    await li.send("/search 新鲜水果公斤装特价")  # 9 characters that no title holds together
    reply = await li.last_message()
    assert reply is not None and reply.text is not None
    assert reply.text.startswith("没有找到与 新鲜水果公斤装特价 相关的商品"), reply.text
    assert_buttons_fit(reply)


async def test_long_words_in_a_group_and_in_inline_mode(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    bob = await shopper(shop, "Bob")
    group = await shop.client.group("Neighbours", members=[alice, bob])
    await alice.send("/search " + PASTE, chat=group)
    results = await alice.last_message(group)
    assert results is not None and (results.text or "").startswith("🔎 lorem ipsum")
    assert_buttons_fit(results)
    await bob.tap("Next ▶", chat=group)  # anyone in the group may page the shared results
    paged = await bob.last_message(group)
    assert paged is not None and paged.message_id == results.message_id and "page 2 of 2" in (paged.text or "")
    # Inline queries are at most 256 characters; odd ones answer with products or nothing, never an error.
    for query in (PASTE[:256], "<b>tea</b> & \u202e\x00", CHINESE * 28, "🍵" * 256):
        answer = await alice.inline_answer(query)
        assert isinstance(answer.get("results", []), list)
    assert await alice.inline_query("<b>tea</b> &")


async def test_a_button_whose_state_expired_asks_to_search_again(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    await alice.send("/search " + PASTE)
    before = await alice.last_message()
    async with shop.db.tx() as session:
        await session.execute(delete(SearchState))  # pruned after STATE_TTL
    tap = await alice.tap("Next ▶")
    assert tap.toast is not None and tap.toast.show_alert
    assert "This search has expired. Please search again." in (tap.toast.text or "")
    after = await alice.last_message()
    assert after is not None and before is not None and after.text == before.text
