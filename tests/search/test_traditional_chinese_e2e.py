"""A shopper writing traditional Chinese (Telegram language zh-hant) finds the same products as one writing
simplified: `/search 蘋果` lists the apples, and 蘋果 sent as plain text reads as a product name (results, not
"Did you mean…?"). Over the emulator with the demo catalog."""

from __future__ import annotations

import pytest

from bot.sandbox import Stack
from tests.search.test_search_e2e import labels, shopper

pytestmark = pytest.mark.seeded

APPLES = "烟台红富士苹果"


async def test_search_command_in_traditional_characters(shop: Stack) -> None:
    mei = await shopper(shop, "美玲", lang="zh-hant")
    await mei.send("/search 蘋果")
    results = await mei.last_message()
    assert results is not None and results.text is not None
    assert results.text.startswith("🔎 苹果") and APPLES in results.text, results.text
    assert any(APPLES in label for label in labels(results))


async def test_a_traditional_product_name_goes_to_search(shop: Stack) -> None:
    mei = await shopper(shop, "美玲", lang="zh-hant")
    await mei.send("蘋果")
    answer = await mei.last_message()
    assert answer is not None and answer.text is not None
    assert "我不太确定您的意思" not in answer.text, answer.text
    assert answer.text.startswith("🔎") and APPLES in answer.text, answer.text
