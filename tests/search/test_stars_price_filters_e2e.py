"""A ¥ price bound through the real bot and the emulator with the demo catalog: the recipe e-book (¥9.90 in its
yuan column, sold for ⭐ 70 only) is not "under ¥30", typed in English or Chinese, and Clear filters lists it again,
quoted in Stars; products sold only for Stars get no ¥ price-range buttons."""

from __future__ import annotations

import pytest

from bot.sandbox import Stack
from tests.search.screens import labels, shopper

pytestmark = pytest.mark.seeded


async def test_a_stars_product_is_not_listed_under_a_yuan_bound(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    await alice.send("/search recipes under 30")
    nothing = await alice.last_message()
    assert nothing is not None and nothing.text == "Nothing under ¥30 matches recipes.", nothing.text
    await alice.tap("Clear filters")
    cleared = await alice.last_message()
    assert cleared is not None and "1. Home cooking recipe e-book — ⭐ 70" in (cleared.text or ""), cleared.text

    await alice.send("/search digital")  # five products, all sold for Stars
    digital = await alice.last_message()
    assert digital is not None and (digital.text or "").startswith("🔎 digital: 5 found"), digital.text
    price_buttons = [label for label in labels(digital) if "¥" in label and not label[0].isdigit()]
    assert price_buttons == [], price_buttons  # no "Under ¥30" leading to nothing

    li = await shopper(shop, "李雷", lang="zh-hans")
    await li.send("/search 菜谱 30元以下")
    chinese = await li.last_message()
    assert chinese is not None and chinese.text == "没有价格不超过 ¥30 的 菜谱。", chinese.text
