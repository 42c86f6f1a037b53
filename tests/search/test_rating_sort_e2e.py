"""Sorting search results by rating through the real bot: best average first, more reviews breaking a tie,
unrated products last, a held review not counted; the results message is edited in place, in both languages."""

from __future__ import annotations

import re

import pytest

from bot.emulator.client import MessageView
from bot.sandbox import Stack
from store.social import reviews
from tests.search.screens import labels
from tests.social.helpers import bought, make_user

pytestmark = pytest.mark.seeded

BUYERS = range(720_001, 720_005)


def listed(message: MessageView | None) -> list[str]:
    """The result lines' titles, in order (`1. Title — ¥12.80 · ...`)."""
    assert message is not None
    return re.findall(r"^\d+\. (.+?) — ", message.text or "", flags=re.MULTILINE)


async def rate(shop: Stack, sku: str, stars: list[int], text: str = "") -> None:
    for buyer, rating in zip(BUYERS, stars, strict=False):
        await make_user(shop.db, buyer)
        _, (line,) = await bought(shop.db, buyer, [sku], status="delivered")
        await reviews.submit(shop.db, buyer, line, rating, text or None)


@pytest.mark.parametrize(
    ("lang", "words", "button", "oolong", "puer", "longjing", "count"),
    [
        ("en", "tea", "⭐ Rating", "Tieguanyin", "Pu'er", "Longjing", "(4 reviews)"),
        ("zh", "茶", "⭐ 评分", "铁观音", "普洱", "龙井", "（4 条评价）"),
    ],
)
async def test_results_sorted_by_rating_in_place(
    shop: Stack, lang: str, words: str, button: str, oolong: str, puer: str, longjing: str, count: str
) -> None:
    await shop.client.set_flood_limits(False)
    await rate(shop, "TEA-PUER", [5, 4])  # 4.5 from two reviews
    await rate(shop, "TEA-OOLONG", [5, 4, 5, 4])  # 4.5 from four: the tie goes to more reviews
    # Reviews that wait for a check (they have a link) do not count: Longjing stays unrated.
    await rate(shop, "TEA-LONGJING", [5, 5], "more at https://example.com")

    alice = await shop.client.user("Alice", lang=lang)
    await alice.send(f"/search {words}")
    results = await alice.last_message()
    assert results is not None and button in labels(results)
    before = len(await alice.messages())
    await alice.tap(button)
    after = await alice.messages()
    assert len(after) == before, "sorting edits the results message"
    edited = after[-1]
    assert edited.edited and f"• {button}" in labels(edited)
    titles = listed(edited)
    assert len(titles) >= 3, edited.text
    assert oolong in titles[0] and puer in titles[1] and longjing in titles[2], titles
    lines = [line for line in (edited.text or "").split("\n") if re.match(r"^\d+\. ", line)]
    assert count in lines[0], "the rating is shown on the line"
    assert all("⭐" not in line for line in lines[2:]), "unrated products come last, without stars"
