"""The weekly digest lists coming flash sales: a digital product's sale is quoted in Stars, as its winners pay
(Telegram sells digital goods for Stars only), never at its yuan price; a physical one keeps yuan. Same mistake
as the "猜您喜欢" button quoting the Stars-only gift card in ¥. Demo catalog, emulator, en and zh groups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.sandbox import Stack
from store.flashsale import stars_price
from store.models import utcnow
from store.models.flashsale import FlashSale
from tests.social.helpers import product_id
from tests.social.test_digest_e2e import card_in, fire_digest, started

pytestmark = pytest.mark.seeded

FLASH_YUAN = 4000  # ¥40.00 for the ¥50 gift card (350 Stars)


@pytest.mark.parametrize(
    ("lang", "head", "gift"),
    [("en", "Flash sales coming up", "Shop gift card"), ("zh", "即将开始的秒杀", "商城礼品卡")],
)
async def test_a_digital_sale_in_the_digest_is_quoted_in_stars(shop: Stack, lang: str, head: str, gift: str) -> None:
    await shop.client.set_flood_limits(False)
    owner = await started(shop, "Olga", lang)
    group = await shop.client.group("Neighbours", members=[owner], bot_admin=True)
    now = utcnow()
    async with shop.db.tx() as session:
        for sku, price in (("DIG-GIFT50", FLASH_YUAN), ("HOM-DETERGENT", 990)):
            session.add(
                FlashSale(
                    product_id=await product_id(shop.db, sku),
                    price=price,
                    currency="CNY",
                    stock=5,
                    starts_at=now + timedelta(days=2),
                    ends_at=now + timedelta(days=2, hours=1),
                    groups=[group.id],
                )
            )
    await fire_digest(shop)
    card = await card_in(shop, owner, group, head)
    line = next(line for line in (card.text or "").split("\n") if gift in line)
    assert f"⭐ {stars_price(5000, 350, FLASH_YUAN)}" in line and "¥40.00" not in line, line
    assert "¥9.90" in (card.text or ""), "a physical product keeps its yuan price"
