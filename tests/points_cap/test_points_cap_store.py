"""The points provider's cap (config: loyalty.max_points_share_percent, point_value_minor): its adjustment says how
many points the shopper has and whether the cap let fewer in, so the summary can say why. SQLite and PostgreSQL."""

from __future__ import annotations

from bot.shop_rules import shop_rules
from store import checkout
from store.db import Database
from store.growth import points
from store.rules import policy
from tests.conftest import make_test_settings
from tests.orders.helpers import POLICY, fill_cart, make_product, make_users


async def _quote_with(db: Database, user_id: int, balance: int, price: int) -> checkout.Quote:
    tea = await make_product(db, f"TEA-{user_id}", price=price, stock=5)
    await make_users(db, [user_id])
    async with db.tx() as session:
        await points.award(session, user_id, balance, "admin", f"test:{user_id}")
    await fill_cart(db, user_id, {tea: 1})
    return await checkout.preview(db, user_id, "pickup", POLICY, use_points=True)


async def test_the_cap_lets_in_only_the_configured_share_and_says_so(any_db: Database) -> None:
    any_db.use_rules(shop_rules(make_test_settings()))
    rules = policy(any_db)
    assert 0 < rules.max_points_share_percent < 100 and rules.point_value_minor > 0
    cap = int(669 * rules.max_points_share_percent // 100 // rules.point_value_minor)
    assert 0 < cap < 791

    quote = await _quote_with(any_db, 1, 791, 669)

    (adj,) = [a for a in quote.adjustments if a.kind == "points"]
    assert (adj.points_spent, adj.amount) == (cap, cap * rules.point_value_minor)
    assert adj.params == {
        "points": cap,
        "balance": 791,
        "capped": 1,
        "max_share_percent": f"{rules.max_points_share_percent:g}",
    }
    assert quote.total == 669 - cap * rules.point_value_minor


async def test_points_that_all_fit_are_not_capped(any_db: Database) -> None:
    any_db.use_rules(shop_rules(make_test_settings()))
    rules = policy(any_db)
    quote = await _quote_with(any_db, 2, 50, 669)

    (adj,) = [a for a in quote.adjustments if a.kind == "points"]
    assert adj.points_spent == 50 and adj.params["balance"] == 50 and adj.params["capped"] == 0
    assert quote.total == 669 - 50 * rules.point_value_minor


async def test_a_balance_exactly_at_the_cap_is_not_capped(any_db: Database) -> None:
    any_db.use_rules(shop_rules(make_test_settings()))
    rules = policy(any_db)
    cap = int(1000 * rules.max_points_share_percent // 100 // rules.point_value_minor)
    quote = await _quote_with(any_db, 3, cap, 1000)

    (adj,) = [a for a in quote.adjustments if a.kind == "points"]
    assert adj.points_spent == cap and adj.params["capped"] == 0
