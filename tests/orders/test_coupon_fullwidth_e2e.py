"""Outside check: a coupon typed on a Chinese keyboard comes in full-width ("ＳＡＶＥ１０"), which the checkout did not
recognise ("a coupon code is 3-32 letters..."), and an admin creating one that way got a code nobody could type.
Codes are now read through NFKC (+ strip + upper) wherever they are typed or parsed. End to end through the
emulator, in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from store.growth import coupons
from tests.conftest import ADMIN_ID
from tests.orders.helpers import fill_cart, last_text, make_product
from tests.orders.test_checkout_e2e import _shopper


@pytest.mark.parametrize(
    ("name", "lang", "pickup", "coupon", "created", "applied", "typed"),
    [
        ("Alice", "en", "Pick up: Central Store", "Coupon", "Coupon SAVE10 created", "Coupon SAVE10", "ＳＡＶＥ１０"),
        ("Alice", "en", "Pick up: Central Store", "Coupon", "Coupon SAVE10 created", "Coupon SAVE10", "  save10 "),
        ("李雷", "zh-hans", "自提：", "优惠码", "优惠券 SAVE10 已创建", "优惠券 SAVE10", "ｓａｖｅ１０"),
    ],
    ids=["en-fullwidth", "en-spaces-lower", "zh-fullwidth"],
)
async def test_coupon_typed_fullwidth_or_lower_case_is_recognised(
    shop: Any, name: str, lang: str, pickup: str, coupon: str, created: str, applied: str, typed: str
) -> None:
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang=lang)
    await ada.send("/coupon_new ＳＡＶＥ１０ １０％")  # the admin typed it on a Chinese keyboard too
    assert created in await last_text(ada)
    assert [c.code for c in await coupons.list_coupons(shop.db, active_only=False)] == ["SAVE10"]

    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    user = await _shopper(shop, name, lang=lang)
    await fill_cart(shop.db, user.id, {tea: 1})
    await user.send("/checkout")
    await user.tap(pickup)
    await user.tap(coupon)
    await user.send(typed)
    summary = await last_text(user)
    assert applied in summary and "¥22.50" in summary, summary
