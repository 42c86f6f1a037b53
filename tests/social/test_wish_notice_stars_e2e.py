"""A wished digital product that gets cheaper is announced in Telegram Stars, the price its buyers pay (Telegram
sells digital goods for Stars only) and the one every list quotes, never at its yuan price (outside check: the
notice for the gift card said "is now ¥40.00 (was ¥50.00)"). A drop is a drop of that price: the wish remembers
the Star price seen. Demo catalog (DIG-GIFT50: ¥50.00, 350 Stars), emulator, en and zh."""

from __future__ import annotations

import pytest

from bot.sandbox import Stack
from store.social import wishlist
from tests.catalog.test_catalog_e2e import change_product
from tests.social.test_social_e2e import started

pytestmark = pytest.mark.seeded


async def _scan(shop: Stack) -> None:
    async with shop.db.tx() as session:
        await wishlist.scan(session)


@pytest.mark.parametrize(("lang", "words"), [("en", "is now"), ("zh", "降价了")])
async def test_a_cheaper_digital_product_is_announced_in_stars(shop: Stack, lang: str, words: str) -> None:
    dana = await started(shop, "Dana", lang)
    await dana.open_deeplink("p_DIG-GIFT50")
    await dana.tap("🤍")

    async def told() -> list[str]:
        return [m.text or "" for m in await dana.messages() if m.from_bot and words in (m.text or "")]

    await change_product(shop, "DIG-GIFT50", price=4000, stars_price=280)  # the admin lowers both prices
    for _ in range(2):  # a second scan finds nothing new
        await _scan(shop)
    await shop.client.wait_for(told, timeout=10)
    (notice,) = await told()
    assert "⭐ 280" in notice and "⭐ 350" in notice, notice
    assert "¥40.00" not in notice and "¥50.00" not in notice, notice  # (the title itself says ¥50)

    # Only the yuan price falls: the Star price a buyer pays is the same, so that is no news.
    await change_product(shop, "DIG-GIFT50", price=3000)
    await _scan(shop)
    # The Star price falls again: news again, from the price last told.
    await change_product(shop, "DIG-GIFT50", stars_price=250)
    await _scan(shop)

    async def told_again() -> bool:
        return len(await told()) >= 2

    await shop.client.wait_for(told_again, timeout=10)
    latest = (await told())[-1]
    assert "⭐ 250" in latest and "⭐ 280" in latest and "¥30.00" not in latest, latest
    assert len(await told()) == 2
