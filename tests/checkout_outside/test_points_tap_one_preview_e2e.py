"""A tap on the summary's points button prices the checkout once: turning points on uses the preview that found
they take something off to draw the summary, and turning them off (the button as the last summary drew it) needs
no preview of points at all. Before, every tap priced it twice. The summary still shows the right totals."""

from __future__ import annotations

from typing import Any

import pytest

from store import checkout
from store.growth import points
from tests.checkout_outside.helpers import at_summary, labels, make_product, shopper

CASES = {
    "en": {"off": "⭐ Use my points", "on": "✅ Using my points", "full": "Total: ¥25.00", "less": "Total: ¥23.00"},
    "zh": {"off": "⭐ 使用积分", "on": "✅ 正在使用积分", "full": "合计：¥25.00", "less": "合计：¥23.00"},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_each_points_tap_prices_the_checkout_once(shop: Any, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[lang]
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    user = await shopper(shop, "Pat", lang)
    async with shop.db.tx() as session:
        await points.award(session, user.id, 200, "admin", f"test:{user.id}")
    summary = await at_summary(shop, user, lang, {tea: 1})
    assert case["full"] in (summary.text or ""), summary.text

    calls: list[bool] = []
    real_preview = checkout.preview

    async def counted(*args: Any, **kwargs: Any) -> checkout.Quote:
        calls.append(bool(kwargs.get("use_points")))
        return await real_preview(*args, **kwargs)

    monkeypatch.setattr(checkout, "preview", counted)

    await user.tap(case["off"], message=summary)
    on = await user.last_message()
    assert on is not None and case["less"] in (on.text or ""), on.text  # 200 points take ¥2.00 off
    assert case["on"] in labels(on)
    assert calls == [True], calls

    calls.clear()
    await user.tap(case["on"], message=on)
    off = await user.last_message()
    assert off is not None and case["full"] in (off.text or ""), off.text
    assert case["off"] in labels(off)
    assert calls == [False], calls
