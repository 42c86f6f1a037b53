"""Outside check: points spent on an order and returned when the order was refunded (not cancelled) were listed as
"returned from a cancelled order" ("取消订单退回") in the points history. The label of that movement now covers both
(the order hooks return spent points with one kind on cancel, expiry and refund: store.growth.rewards)."""

from __future__ import annotations

import pytest

from bot.views.growth import points_view
from store.db import Database
from store.growth import points, rewards, tiers
from store.models import Order
from store.order_hooks import Transition
from tests.orders.helpers import make_users


@pytest.mark.parametrize(("lang", "said"), [("en", "refunded"), ("zh", "退款")])
async def test_points_back_from_a_refunded_order_do_not_say_cancelled(db: Database, lang: str, said: str) -> None:
    await make_users(db, [5])
    async with db.tx() as session:
        await points.award(session, 5, 100, "admin", "gift:5")
        await points.spend(session, 5, 40, "order_points:77")
        order = Order(id=77, user_id=5, status="refunded", currency="CNY", subtotal=0, total=0)
        await rewards.reverse_refunded_order(session, Transition(order, "paid", "refunded", "admin:1"))
    history = await points.movements(db, 5)
    assert history[0].delta == 40
    text, _markup = points_view(lang, 100, await tiers.status(db, 5), history, "CNY", False, "09:00")
    (back,) = [line for line in text.splitlines() if line.startswith("+40 · ")]
    assert said in back, text
