""" "You may also like" names a digital product at its Star price, on a product card and on a payment's
confirmation: the outside tester saw "You may also like: Shop gift card, ¥50 · ¥50.00" for a gift card its own
card sells for ⭐ 350."""

from __future__ import annotations

import pytest

from bot.sandbox import Stack
from tests.social.test_paid_suggestions_e2e import confirmation, history, labels

pytestmark = pytest.mark.seeded


@pytest.mark.parametrize(
    ("lang", "add", "pickup", "card", "paid", "also", "ebook"),
    [
        ("en", "Add 1", "Pick up: Central Store", "by card", "Payment received", "You may also like", "e-book"),
        ("zh", "加入购物车（1 件）", "自提：", "银行卡", "已收到付款", "猜您喜欢", "电子书"),
    ],
)
async def test_suggested_digital_product_shows_its_star_price(
    shop: Stack, lang: str, add: str, pickup: str, card: str, paid: str, also: str, ebook: str
) -> None:
    await shop.client.set_flood_limits(False)
    await history(shop, ["TEA-PUER", "DIG-RECIPES"])
    carol = await shop.client.user("Carol", lang=lang)
    await carol.send("/start")
    await carol.open_deeplink("p_TEA-PUER")
    on_card = [label for label in labels(await carol.last_message()) if also in label and ebook in label]
    assert on_card and all(label.endswith("⭐ 70") for label in on_card), labels(await carol.last_message())

    await carol.tap(add)
    await carol.send("/checkout")
    await carol.tap(pickup)
    await carol.tap(card)
    assert (await carol.pay())["status"] == "paid"
    notice = await confirmation(carol, paid)
    on_notice = [label for label in labels(notice) if also in label and ebook in label]
    assert on_notice and all(label.endswith("⭐ 70") for label in on_notice), labels(notice)
