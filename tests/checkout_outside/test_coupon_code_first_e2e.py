"""Outside tester: a valid coupon code typed at the coupon step ("FRUIT") was answered as a complaint ("I'm sorry
to hear that… If «FRUIT» really is the coupon code, send it once more"), and "fruit" asked a third time. One word
that is a coupon's code (any case) is now tried as that code first: it applies, or it says why it does not
(expired, minimum spend, another category); only a word that is no code may be read as a question. En and zh."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator.client import UserHandle
from bot.views.errors import error_text
from store.errors import DomainError
from tests.checkout_outside.helpers import at_summary, last_text, make_fruit, make_product, shopper
from tests.conftest import ADMIN_ID

CASES = {
    "en": {
        "name": "Alice",
        "coupon": "🏷 Coupon",
        "applied": "Coupon FRUIT",
        "total": "¥17.00",  # ¥20.00 - 15%
        "not_code": ("sorry to hear", "really is the coupon code"),
        "again": "Type another code, or go back to the summary without one.",
    },
    "zh": {
        "name": "李雷",
        "coupon": "🏷 优惠码",
        "applied": "优惠券 FRUIT",
        "total": "¥17.00",
        "not_code": ("确实是优惠码",),
        "again": "请输入其他优惠码，或不用优惠码返回订单确认。",
    },
}


async def _admin_makes(shop: Any, *commands: str) -> None:
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="en")
    for command in commands:
        await ada.send(command)


async def _at_the_coupon_step(shop: Any, lang: str, items: dict[int, int]) -> UserHandle:
    user = await shopper(shop, CASES[lang]["name"], lang)
    await at_summary(shop, user, lang, items)
    await user.tap(CASES[lang]["coupon"])
    return user


@pytest.mark.parametrize("typed", ["FRUIT", "fruit"])
@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_valid_code_is_applied_at_once_in_any_case(shop: Any, lang: str, typed: str) -> None:
    case = CASES[lang]
    await _admin_makes(shop, "/coupon_new FRUIT 15% scope=category:fruit")
    apple = await make_fruit(shop)
    user = await _at_the_coupon_step(shop, lang, {apple: 1})
    await user.send(typed)
    summary = await last_text(user)
    assert case["applied"] in summary and case["total"] in summary, summary
    assert not any(words in summary for words in case["not_code"]), summary


# FRUIT (a word the classifier reads as a complaint) made so that it does not apply to a cart of one apple.
NOT_APPLYING = {
    "category": ("scope=category:veg", DomainError("coupon_scope", code="FRUIT")),
    "min_spend": ("min=500", DomainError("coupon_min_spend", code="FRUIT", min_spend="¥500.00")),
    "expired": ("ends=2020-01-01", DomainError("coupon_expired", code="FRUIT")),
}


@pytest.mark.parametrize("reason", sorted(NOT_APPLYING))
@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_code_that_does_not_apply_says_why_not_a_complaint(shop: Any, lang: str, reason: str) -> None:
    case = CASES[lang]
    option, error = NOT_APPLYING[reason]
    await _admin_makes(shop, f"/coupon_new FRUIT 10% {option}")
    apple = await make_fruit(shop)
    user = await _at_the_coupon_step(shop, lang, {apple: 1})
    await user.send("fruit")
    said = await last_text(user)
    assert error_text(lang, error) in said and case["again"] in said, said
    assert not any(words in said for words in case["not_code"]) and "/support" not in said, said
    await user.send("NOPE10")  # no such code: the usual refusal, the step stays
    assert case["again"] in await last_text(user)


async def test_a_question_that_is_no_code_is_still_answered(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    user = await _at_the_coupon_step(shop, "en", {tea: 1})
    await user.send("how much is delivery?")
    said = await last_text(user)
    assert "Delivery costs" in said and "Please type the coupon code" in said, said
