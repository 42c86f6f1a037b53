"""Closing early (tester D12) closes the buy in the leader's own transaction, on both databases: the orders at
the tier reached are made at once, the units stay reserved for them, the deadline event is withdrawn, and a
second Close (a double tap, another admin) is refused without a second set of orders."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from store import groupbuy
from store.db import Database
from store.errors import Conflict
from store.models import Order, ScheduledJob
from tests.groupbuy.helpers import POLICY, make_product, make_users, publish, stock_of


async def test_close_early_closes_at_once_with_the_orders_and_withdraws_the_deadline(any_db: Database) -> None:
    await make_users(any_db, [1, 11, 12, 13])
    product_id = await make_product(any_db, stock=20)
    buy = await publish(any_db, product_id, minimum=2, tiers=(groupbuy.Tier(3, 9000),))
    for uid in (11, 12, 13):
        assert (await groupbuy.join(any_db, buy.id, uid)).status == "joined"

    outcome = await groupbuy.close_early(any_db, buy.id, 1, False, POLICY)
    assert outcome.status == groupbuy.SUCCEEDED and len(outcome.order_ids) == 3
    view = await groupbuy.get(any_db, buy.id)
    assert view.status == groupbuy.SUCCEEDED and view.final_price == 9000 and view.closed_at is not None
    assert await stock_of(any_db, product_id) == 17, "the reserved units moved to the orders, none twice"
    async with any_db.read() as session:
        prices = (await session.execute(select(Order.subtotal).where(Order.source_ref == buy.id))).scalars().all()
        job = (
            await session.execute(select(ScheduledJob.status).where(ScheduledJob.key == f"groupbuy_deadline:{buy.id}"))
        ).scalar_one()
    assert sorted(prices) == [9000, 9000, 9000]
    assert job == "cancelled", "the deadline event will not close it again"

    with pytest.raises(Conflict):
        await groupbuy.close_early(any_db, buy.id, 1, False, POLICY)
    async with any_db.read() as session:
        count = (await session.execute(select(func.count()).where(Order.source_ref == buy.id))).scalar_one()
    assert count == 3


async def test_close_early_below_the_minimum_is_refused_and_changes_nothing(any_db: Database) -> None:
    await make_users(any_db, [1, 11])
    product_id = await make_product(any_db, stock=20)
    buy = await publish(any_db, product_id, minimum=2)
    assert (await groupbuy.join(any_db, buy.id, 11)).status == "joined"
    with pytest.raises(Conflict) as refused:
        await groupbuy.close_early(any_db, buy.id, 1, False, POLICY)
    assert refused.value.code == "gb_below_minimum"
    view = await groupbuy.get(any_db, buy.id)
    assert view.is_open and view.deadline == buy.deadline
