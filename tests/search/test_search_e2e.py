"""The real bot against the emulator with the demo catalog: /search, the menu's Search button, sorting and
filters that edit the results in place, suggestions, Chinese."""

from __future__ import annotations

import pytest

from bot.sandbox import Stack
from tests.search.screens import labels, prices, shopper

pytestmark = pytest.mark.seeded


async def test_search_command_lists_results_with_buttons(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    await alice.send("/search tea")
    results = await alice.last_message()
    assert results is not None and results.text is not None
    assert results.text.startswith("🔎 tea:")
    assert "West Lake Longjing green tea" in results.text and "Tieguanyin oolong tea" in results.text
    assert any("Longjing" in label for label in labels(results))
    assert {"• Best match", "Price ↑", "Price ↓", "Newest"} <= set(labels(results))


async def test_sort_edits_the_results_in_place_and_a_result_opens_the_card(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    await alice.send("/search tea")
    before = await alice.messages()
    await alice.tap("Price ↓")
    after = await alice.messages()
    assert len(after) == len(before), "sorting edits the results message"
    edited = after[-1]
    assert edited.edited and "• Price ↓" in labels(edited)
    listed = prices(edited)
    assert listed == sorted(listed, reverse=True) and listed[0] == 258.0
    await alice.tap("Price ↑")
    ascending = prices(await alice.last_message())  # type: ignore[arg-type]
    assert ascending == sorted(ascending)
    await alice.tap("Pu'er")
    card = await alice.last_message()
    assert card is not None
    assert "Pu'er" in ((card.caption or "") + (card.text or ""))


async def test_price_range_and_pages(shop: Stack) -> None:
    bob = await shopper(shop, "Bob")
    await bob.send("/search <1000")  # every product: several pages
    first = await bob.last_message()
    assert first is not None and first.text is not None
    assert "page 1 of" in first.text
    await bob.tap("Next ▶")
    second = await bob.last_message()
    assert second is not None and second.message_id == first.message_id and "page 2 of" in (second.text or "")
    under = next(label for label in labels(second) if label.startswith("Under ¥"))
    bound = float(under.removeprefix("Under ¥").replace(",", ""))
    await bob.tap(under)
    filtered = await bob.last_message()
    assert filtered is not None and f"• {under}" in labels(filtered)
    assert prices(filtered) and all(p < bound for p in prices(filtered))
    assert "page 1 of" in (filtered.text or "") or "page" not in (filtered.text or "")
    await bob.tap("Any price")
    assert "Any price" not in labels(await bob.last_message())


async def test_typed_price_limit_and_typos(shop: Stack) -> None:
    bob = await shopper(shop, "Bob")
    await bob.send("/search banan")
    assert "Bananas, 1 kg" in ((await bob.last_message()).text or "")  # type: ignore[union-attr]
    await bob.send("/search tea <150")
    listed = await bob.last_message()
    assert listed is not None and "Tieguanyin" in (listed.text or "")
    assert all(p < 150 for p in prices(listed)) and "Pu'er" not in (listed.text or "")


async def test_no_results_suggest_a_close_match(shop: Stack) -> None:
    carol = await shopper(shop, "Carol")
    await carol.send("/search durrain")
    reply = await carol.last_message()
    assert reply is not None and reply.text is not None
    assert "Nothing found for" in reply.text and "Did you mean durian?" in reply.text
    await carol.tap("🔎 durian")
    found = await carol.last_message()
    assert found is not None and found.message_id == reply.message_id
    assert "Musang King durian" in (found.text or "")
    await carol.send("/search qxzvw")
    assert "Try other words" in ((await carol.last_message()).text or "")  # type: ignore[union-attr]


async def test_chinese_shopper_searches_in_chinese(shop: Stack) -> None:
    li = await shopper(shop, "李雷", lang="zh-hans")
    await li.send("/search 苹果")
    reply = await li.last_message()
    assert reply is not None and reply.text is not None
    assert reply.text.startswith("🔎 苹果：找到 1 件")
    assert "烟台红富士苹果 2公斤" in reply.text
    assert "价格 ↓" in labels(reply)
    await li.send("/search 龙井茶")
    assert "西湖龙井" in ((await li.last_message()).text or "")  # type: ignore[union-attr]


async def test_menu_button_asks_for_words_once(shop: Stack) -> None:
    dana = await shopper(shop, "Dana")
    await dana.send("/start")
    menu = await dana.last_message()
    await dana.tap("🔎 Search")
    prompt = await dana.last_message()
    assert prompt is not None and menu is not None and prompt.message_id == menu.message_id
    assert "What are you looking for?" in (prompt.text or "")
    await dana.send("coffee")
    results = await dana.last_message()
    assert results is not None and "Yunnan drip-bag coffee" in (results.text or "")
    # The question was answered: other plain text goes to the assistant again, not to search.
    await dana.send("thank you so much")
    again = await dana.last_message()
    assert again is not None and "Nothing found for" not in (again.text or "")
    assert not (again.text or "").startswith("🔎")


async def test_search_without_words_asks_for_them(shop: Stack) -> None:
    erin = await shopper(shop, "Erin")
    await erin.send("/search")
    assert "What are you looking for?" in ((await erin.last_message()).text or "")  # type: ignore[union-attr]
    await erin.send("芒果")
    assert "Hainan mangoes" in ((await erin.last_message()).text or "")  # type: ignore[union-attr]
