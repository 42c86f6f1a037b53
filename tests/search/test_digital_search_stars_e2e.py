"""Search results and inline cards quote a digital product as it is sold, in Telegram Stars (Telegram sells
digital goods for Stars only), never in yuan; physical products keep their yuan price. Demo catalog, emulator."""

from __future__ import annotations

import pytest

from bot.sandbox import Stack
from tests.search.test_search_e2e import labels, shopper

pytestmark = pytest.mark.seeded


async def test_search_quotes_digital_goods_in_stars(shop: Stack) -> None:
    alice = await shopper(shop, "Alice", lang="en")
    await alice.send("/search gift card")
    results = await alice.last_message()
    assert results is not None
    text = results.text or ""
    assert "1. Shop gift card, ¥100 — ⭐ 700 · 40 in stock" in text  # ¥: the face value, in its title; 40: its codes
    assert "2. Shop gift card, ¥50 — ⭐ 350 · 40 in stock" in text
    assert labels(results)[:2] == ["1. Shop gift card, ¥100 · ⭐ 700", "2. Shop gift card, ¥50 · ⭐ 350"]

    await alice.send("/search apples")
    apples = await alice.last_message()
    assert apples is not None and "¥29.90" in (apples.text or "") and "⭐" not in (apples.text or "")
