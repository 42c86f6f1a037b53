"""Back from a product opened from search results returns to those results (the same words, sort and page),
not to the product's category; in both languages, over the emulator with the demo catalog."""

from __future__ import annotations

import pytest

from bot.emulator.client import MessageView
from bot.sandbox import Stack
from tests.search.test_search_e2e import labels, shopper

pytestmark = pytest.mark.seeded


def shown(message: MessageView | None) -> str:
    assert message is not None
    return (message.text or "") + (message.caption or "")


async def test_back_from_an_opened_result_shows_the_results_again(shop: Stack) -> None:
    li = await shopper(shop, "李雷", lang="zh")
    await li.send("/search 电子书")
    results = await li.last_message()
    assert results is not None and shown(results).startswith("🔎 电子书")
    await li.tap("家常菜谱电子书")
    assert "家常菜谱电子书" in shown(await li.last_message())
    await li.tap("⬅️ 返回")
    back = await li.last_message()
    assert shown(back) == shown(results), "Back shows the search results, not the category"
    assert labels(back) == labels(results)


async def test_back_keeps_the_sort_and_the_page(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    await alice.send("/search <1000")  # every product: several pages
    await alice.tap("Price ↓")
    await alice.tap("Next ▶")
    page = await alice.last_message()
    assert page is not None and "• Price ↓" in labels(page) and "page 2 of" in shown(page)
    opened = next(label for label in labels(page) if label.startswith("7."))
    await alice.tap(opened)
    card = await alice.last_message()
    assert "⬅️ Back" in labels(card)
    await alice.tap("⬅️ Back")
    back = await alice.last_message()
    assert shown(back) == shown(page) and labels(back) == labels(page)


async def test_back_keeps_the_rating_sort(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    await alice.send("/search tea")
    await alice.tap("⭐ Rating")
    rated = await alice.last_message()
    assert rated is not None and "• ⭐ Rating" in labels(rated)
    await alice.tap(next(label for label in labels(rated) if label.startswith("1.")))
    await alice.tap("⬅️ Back")
    back = await alice.last_message()
    assert shown(back) == shown(rated) and "• ⭐ Rating" in labels(back)
