"""A digital product is sold for Telegram Stars only: every list that names its price (a category page, the
wishlist) shows the Star price its card and the checkout charge, not the shop-currency price it also carries.
An outside tester saw "Home cooking recipe e-book · ¥9.90" on the category page and "⭐ 70 Stars" on the card."""

from __future__ import annotations

import pytest

from bot.sandbox import Stack
from tests.catalog.test_catalog_e2e import labels, started

pytestmark = pytest.mark.seeded


@pytest.mark.parametrize(
    ("lang", "category", "ebook", "wishlist_add"),
    [
        ("en", "Gift cards & memberships", "Home cooking recipe e-book", "Save to wishlist"),
        ("zh", "礼品卡与会员", "家常菜谱电子书", "加入心愿单"),
    ],
)
async def test_category_page_and_wishlist_show_the_star_price(
    shop: Stack, lang: str, category: str, ebook: str, wishlist_add: str
) -> None:
    user = await started(shop, "Dora", lang)
    await user.send("/catalog")
    await user.tap(category)
    page = labels(await user.last_message())
    assert f"{ebook} · ⭐ 70" in page, page
    assert not any(label.startswith(ebook) and "¥" in label for label in page), page
    # the card it opens charges the same figure
    await user.tap(f"{ebook} · ⭐ 70")
    card = await user.last_message()
    assert card is not None and "⭐ 70" in (card.text or card.caption or "")

    await user.tap(wishlist_add)
    await user.send("/wishlist")
    wished = labels(await user.last_message())
    assert f"{ebook} · ⭐ 70" in wished, wished
