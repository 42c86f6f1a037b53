"""Refusals that used to read "only 0 left" / "at most 0 more" / "too soon" for a time already gone say what
happened, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.views.errors import error_text
from store import cart, checkout, groupbuy
from store.db import Database
from store.errors import DomainError
from tests.orders.helpers import POLICY, card_pickup, fill_cart, make_product, make_users

LANGS = ("en", "zh")


async def test_last_units_gone_meanwhile_say_sold_out(any_db: Database) -> None:
    rare = await make_product(any_db, "RARE", stock=1)
    await make_users(any_db, [1, 2])
    await fill_cart(any_db, 1, {rare: 1})
    await fill_cart(any_db, 2, {rare: 1})
    await checkout.place_order(any_db, card_pickup(1), POLICY)
    with pytest.raises(DomainError) as refused:
        await checkout.place_order(any_db, card_pickup(2), POLICY)
    assert refused.value.code == "checkout_sold_out"
    texts = {lang: error_text(lang, refused.value) for lang in LANGS}
    assert texts == {
        "en": "Sorry, «Product RARE» has just sold out. Please remove it from your /cart.",
        "zh": "抱歉，「Product RARE」刚刚售罄，请从 /cart 中移除。",
    }


async def test_cart_at_the_stock_limit_says_no_more_in_stock(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=3)
    await make_users(any_db, [1])
    await cart.add_to_cart(any_db, 1, tea, 2)
    with pytest.raises(DomainError) as partly:
        await cart.add_to_cart(any_db, 1, tea, 2)
    assert partly.value.code == "cart_over_stock" and partly.value.params["can_add"] == 1
    await cart.add_to_cart(any_db, 1, tea, 1)
    with pytest.raises(DomainError) as full:
        await cart.add_to_cart(any_db, 1, tea, 1)
    assert full.value.code == "cart_no_more_stock"
    texts = [error_text(lang, full.value) for lang in LANGS]
    assert "no more in stock" in texts[0] and "没有更多库存" in texts[1]
    assert not any("0" in text for text in texts), texts


def test_group_buy_deadline_in_the_past_says_past_not_too_soon() -> None:
    now = datetime(2026, 11, 30, 10, 0, 30, tzinfo=UTC)  # 18:00:30 in Shanghai
    for text, code in (("2026-11-30 17:00", "gb_deadline_past"), ("2026-11-30 18:01", "gb_deadline_too_soon")):
        with pytest.raises(DomainError) as refused:
            groupbuy.parse_deadline(text, now, "Asia/Shanghai", 14)
        assert refused.value.code == code, text
    with pytest.raises(DomainError) as refused:
        groupbuy.check_deadline(now - timedelta(seconds=1), now, 14)
    past = {lang: error_text(lang, refused.value) for lang in LANGS}
    assert "in the past" in past["en"] and "已经过去" in past["zh"]
    assert "too soon" not in past["en"] and "太近" not in past["zh"]
