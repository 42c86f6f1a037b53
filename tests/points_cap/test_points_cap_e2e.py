"""Outside tester: a shopper with 791 points on a ¥6.69 order tapped «Use my points» and only 200 were used; the
summary said "Paid with 200 points" with no word on why not more. Now, when the points cap (the share of an order
points may pay, from config) lets in fewer than the shopper has, the summary says how many of how many and the
rule; when all the points fit, it says only how many were used. En and zh, never-seen shoppers."""

from __future__ import annotations

from typing import Any

import pytest

from store.growth import points
from store.money import Money
from store.rules import policy
from tests.checkout_outside.helpers import at_summary, labels, make_product, shopper

CASES = {
    "en": {
        "name": "Alice",
        "points_off": "⭐ Use my points",
        "points_on": "✅ Using my points",
        "capped": "{used} of your {balance} points used: −{amount}",
        "rule": "Points can pay up to {percent}% of an order.",
        "used": "{used} points used: −{amount}",
        "of_your": "of your",
    },
    "zh": {
        "name": "李雷",
        "points_off": "⭐ 使用积分",
        "points_on": "✅ 正在使用积分",
        "capped": "已使用 {used} 积分（共 {balance}）：−{amount}",
        "rule": "积分最多抵扣订单的 {percent}%。",
        "used": "已使用 {used} 积分：−{amount}",
        "of_your": "（共",
    },
}

PRICE = 669  # ¥6.69


async def _tap_points(shop: Any, lang: str, name: str, balance: int) -> str:
    case = CASES[lang]
    tea = await make_product(shop.db, f"TEA-{lang}", price=PRICE, stock=5)
    user = await shopper(shop, name, lang)
    async with shop.db.tx() as session:
        await points.award(session, user.id, balance, "admin", f"test:{user.id}")
    await at_summary(shop, user, lang, {tea: 1})
    await user.tap(case["points_off"])
    summary = await user.last_message()
    assert summary is not None and case["points_on"] in labels(summary), summary
    return summary.text or ""


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_capped_points_say_how_many_of_how_many_and_the_rule(shop: Any, lang: str) -> None:
    case = CASES[lang]
    rules = policy(shop.db)
    used = int(PRICE * rules.max_points_share_percent // 100 // rules.point_value_minor)
    assert 0 < used < 791, "the configured cap must bite on this order for the test to mean anything"
    amount = Money(used * rules.point_value_minor, "CNY").format()

    text = await _tap_points(shop, lang, case["name"], 791)

    assert case["capped"].format(used=used, balance=791, amount=amount) in text, text
    assert case["rule"].format(percent=f"{rules.max_points_share_percent:g}") in text, text


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_points_that_all_fit_say_only_how_many_were_used(shop: Any, lang: str) -> None:
    case = CASES[lang]
    rules = policy(shop.db)
    amount = Money(50 * rules.point_value_minor, "CNY").format()

    text = await _tap_points(shop, lang, case["name"], 50)

    assert case["used"].format(used=50, amount=amount) in text, text
    assert case["of_your"] not in text, text
    assert case["rule"].format(percent=f"{rules.max_points_share_percent:g}") not in text, text


TOO_SMALL = {
    "en": "This order is too small for points: they can pay up to {percent}% of an order.",
    "zh": "订单金额太小，无法使用积分：积分最多抵扣订单的 {percent}%。",
}
NO_POINTS = {"en": "You have no points to use yet.", "zh": "您还没有可用的积分。"}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_an_order_too_small_for_points_says_so_to_a_shopper_who_has_them(shop: Any, lang: str) -> None:
    """Points can pay a share of the order; on a ¥0.03 order that share is less than one point's worth, so the tap
    changes nothing: the shopper with 100 points was told "You have no points"; now why nothing changed."""
    case = CASES[lang]
    rules = policy(shop.db)
    price = 3
    assert int(price * rules.max_points_share_percent // 100 // rules.point_value_minor) == 0
    candy = await make_product(shop.db, f"CANDY-{lang}", price=price, stock=5)
    rich = await shopper(shop, case["name"], lang)
    async with shop.db.tx() as session:
        await points.award(session, rich.id, 100, "admin", f"test:{rich.id}")
    summary = await at_summary(shop, rich, lang, {candy: 1})

    tapped = await rich.tap(case["points_off"], message=summary)

    expected = TOO_SMALL[lang].format(percent=f"{rules.max_points_share_percent:g}")
    assert tapped.toast is not None and tapped.toast.text == expected, tapped.toast
    assert labels(await rich.last_message()) == labels(summary), "nothing changed on the summary"

    poor = await shopper(shop, "Pat", lang)  # no points at all: told so, as before
    summary = await at_summary(shop, poor, lang, {candy: 1})
    tapped = await poor.tap(case["points_off"], message=summary)
    assert tapped.toast is not None and tapped.toast.text == NO_POINTS[lang], tapped.toast
