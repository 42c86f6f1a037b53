"""A group-buy participant's panel says what delivery adds to their order: for a Gold member (free delivery) that
it is free, as their order at close charges; for a plain member the shop's fee. SQLite and PostgreSQL, both
languages."""

from __future__ import annotations

import pytest

from bot.i18n import t
from bot.views import groupbuy as views
from store import groupbuy, orders
from store.db import Database
from store.delivery_fee import DeliveryRule
from tests.groupbuy.helpers import POLICY, make_users, publish
from tests.groupbuy.helpers import make_product as make_gb_product
from tests.tier_delivery.helpers import GOLD_SPEND, spent

RULE = DeliveryRule(fee=800, free_over=9900)
PLAIN, GOLD = 201, 203


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_panel_states_the_fee_the_order_will_charge(any_db: Database, lang: str) -> None:
    await make_users(any_db, [1, PLAIN, GOLD])
    await spent(any_db, GOLD, GOLD_SPEND)
    buy = await publish(any_db, await make_gb_product(any_db, price=3000), minimum=3, tiers=(groupbuy.Tier(3, 2000),))
    contact = orders.Contact("Li Lei", "+8613800000000", "88 Garden Road")
    for user in (PLAIN, GOLD):
        await groupbuy.join(any_db, buy.id, user)
        await groupbuy.set_delivery(any_db, buy.id, user, "delivery", contact, policy=POLICY)
    view = await groupbuy.get(any_db, buy.id)
    gold = await groupbuy.participant(any_db, buy.id, GOLD)
    plain = await groupbuy.participant(any_db, buy.id, PLAIN)
    assert gold is not None and plain is not None

    free = t(lang, "checkout.delivery_free")
    gold_line = views.receive_saved(lang, view, gold, RULE)
    assert gold_line.endswith(free) and "8.00" not in gold_line, gold_line
    plain_line = views.receive_saved(lang, view, plain, RULE)
    assert "¥8.00" in plain_line and not plain_line.endswith(free), plain_line

    screen = views.private_view(
        lang, view, gold, view.created_at, "Central", "Asia/Shanghai", pickup_payment=False, delivery=RULE
    )
    assert free in screen.text and "¥8.00" not in screen.text, screen.text
    everyone = {p.user_id: p.member_free_over for p in await groupbuy.participants(any_db, buy.id)}
    assert everyone == {PLAIN: None, GOLD: 0}
