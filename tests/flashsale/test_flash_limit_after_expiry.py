"""Outside check: a winner who never paid (the order expired, the unit went back to the pool) tapped Buy again and
heard "You already got one from this sale: that is the limit per person." The limit still counts the expired unit
(store.flashsale), but the answer must be true. Store level, SQLite and PostgreSQL: `limit_reason` says whether
the units that put a user at the limit all went back unpaid, some did, or none; and the toast says so."""

from __future__ import annotations

from datetime import timedelta

from bot.views import flashsale as views
from store import flashsale, orders
from store.db import Database
from tests.flashsale.helpers import live_sale, make_product, make_users

WINDOW = timedelta(minutes=15)


async def _win(db: Database, sale_id: int, user_id: int, seq: int) -> int:
    batch = await flashsale.commit_claims(db, sale_id, [flashsale.ClaimRequest(user_id, seq)], payment_window=WINDOW)
    assert batch.results[0].outcome == flashsale.WON, batch.results
    order_id = batch.results[0].order_id
    assert order_id is not None
    return order_id


async def _expire(db: Database, order_id: int) -> None:
    async with db.tx() as session:
        await orders.transition(session, order_id, orders.EXPIRED, "system", from_statuses=orders.UNPAID)


async def test_limit_reason_names_units_that_went_back_unpaid(any_db: Database) -> None:
    await make_product(any_db, "RICE-3", stock=20)
    await make_users(any_db, [41, 42, 43])
    sale = await live_sale(any_db, "RICE-3", stock=10, per_user=2)
    assert await flashsale.limit_reason(any_db, sale.id, 41) is None, "no claims: nothing to explain"

    # 41: both units expired unpaid.
    first, second = await _win(any_db, sale.id, 41, 1), await _win(any_db, sale.id, 41, 2)
    assert await flashsale.limit_reason(any_db, sale.id, 41) is None, "holding both: they did get them"
    await _expire(any_db, first)
    assert await flashsale.limit_reason(any_db, sale.id, 41) == flashsale.LIMIT_SOME_RETURNED
    await orders.cancel_by_buyer(any_db, second, 41)
    assert await flashsale.limit_reason(any_db, sale.id, 41) == flashsale.LIMIT_ALL_RETURNED
    assert [(u, s) for u, s, st, _ in await flashsale.claims_of(any_db, sale.id) if st == "returned"] == [
        (41, 1),
        (41, 2),
    ]

    # 42: one unit paid, one expired: some.
    await _win(any_db, sale.id, 42, 1)
    await _expire(any_db, await _win(any_db, sale.id, 42, 2))
    assert await flashsale.limit_reason(any_db, sale.id, 42) == flashsale.LIMIT_SOME_RETURNED
    # 43 never tapped; another sale's claims do not count.
    assert await flashsale.limit_reason(any_db, sale.id, 43) is None
    assert await flashsale.limit_reason(any_db, sale.id + 1, 41) is None


def test_the_limit_toast_tells_the_truth() -> None:
    limit = flashsale.ClaimResult(flashsale.LIMIT)
    plain = views.toast("en", limit, 1, 5, "")
    assert plain.startswith("You already got one from this sale"), plain
    gone = views.toast("en", limit, 1, 5, "", limit_reason=flashsale.LIMIT_ALL_RETURNED)
    assert gone == (
        "Your unit from this sale was not paid in time and went back; the limit is 1 per person, unpaid units "
        "included, so you cannot take another."
    )
    assert "already got" not in gone
    assert views.toast("en", limit, 2, 5, "", limit_reason=flashsale.LIMIT_ALL_RETURNED).startswith(
        "Your units from this sale were not paid in time"
    )
    some = views.toast("en", limit, 2, 5, "", limit_reason=flashsale.LIMIT_SOME_RETURNED)
    assert some == "You have reached the limit of 2 per person for this sale: units not paid in time count too."
    zh = views.toast("zh", limit, 1, 5, "", limit_reason=flashsale.LIMIT_ALL_RETURNED)
    assert "未按时付款" in zh and "已退回" in zh and "已经抢到" not in zh
    # A repeated tap at the limit says the same, not "you already have one".
    repeat = views.toast("en", limit, 1, 5, "", repeat=True, limit_reason=flashsale.LIMIT_ALL_RETURNED)
    assert repeat == gone
