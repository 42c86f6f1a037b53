"""An outside tester's findings (dec7b), in the store: the price a buy shows as reached is the regular price until
the minimum joins, whatever tier a smaller group "would" reach (a price typed alone is a tier from 1 person); the
orders still get the tier price reached; a participant erased by /forgetme has a placeholder name in the CSV."""

from __future__ import annotations

import csv
import io

from store import groupbuy, privacy
from store.db import Database
from store.groupbuy import Tier
from tests.groupbuy.helpers import POLICY, make_product, make_users, publish


def test_price_reached_is_the_regular_price_below_the_minimum() -> None:
    tiers = (Tier(1, 2500), Tier(4, 2000))
    assert [groupbuy.price_reached(tiers, 2990, 2, joined) for joined in (0, 1, 2, 3, 4, 5)] == [
        2990,
        2990,
        2500,
        2500,
        2000,
        2000,
    ]
    # From the minimum on it is the rule the orders use (price_for).
    assert all(
        groupbuy.price_reached(tiers, 2990, 2, joined) == groupbuy.price_for(tiers, 2990, joined)
        for joined in range(2, 8)
    )
    assert groupbuy.price_reached((Tier(2, 850),), 1000, 3, 2) == 1000


async def test_current_price_follows_the_minimum_and_the_orders_get_the_tier(any_db: Database) -> None:
    product = await make_product(any_db, stock=20, price=2990, sku="GB-P25")
    await make_users(any_db, [1, 11, 12])
    view = await publish(any_db, product, minimum=2, tiers=(Tier(1, 2500),))
    assert (view.current_price, view.price_at_minimum) == (2990, 2500)
    await groupbuy.join(any_db, view.id, 11)
    assert (await groupbuy.get(any_db, view.id)).current_price == 2990, "one person reaches no tier"
    await groupbuy.join(any_db, view.id, 12)
    assert (await groupbuy.get(any_db, view.id)).current_price == 2500
    outcome = await groupbuy.close_early(any_db, view.id, 1, False, POLICY)
    assert outcome.status == groupbuy.SUCCEEDED
    done = await groupbuy.get(any_db, view.id)
    assert (done.final_price, done.current_price) == (2500, 2500)
    assert all(p.order_total == 2500 for p in await groupbuy.participants(any_db, view.id))


async def test_the_csv_names_an_erased_participant(any_db: Database) -> None:
    product = await make_product(any_db, stock=20, price=1000, sku="GB-CSV")
    await make_users(any_db, [1, 11, 12])
    view = await publish(any_db, product, minimum=2, tiers=(Tier(2, 850),))
    for user_id in (11, 12):
        await groupbuy.join(any_db, view.id, user_id)
    await groupbuy.close_early(any_db, view.id, 1, False, POLICY)
    await privacy.forget_user(any_db, 12)

    def names(content: bytes) -> dict[str, str]:
        rows = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
        return {row["user_id"]: row["name"] for row in rows}

    _, content = await groupbuy.pickup_csv(any_db, view.id, 1, False)
    assert names(content) == {"11": "u11", "12": "(erased)"}
    _, content = await groupbuy.pickup_csv(any_db, view.id, 1, False, erased_name="（已删除）")
    assert names(content)["12"] == "（已删除）"
