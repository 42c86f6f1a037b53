"""Join storms on SQLite and PostgreSQL: the maximum and the stock hold, everybody gets an answer, a join
delivered twice counts once."""

from __future__ import annotations

import asyncio
import collections
import time

import pytest
from sqlalchemy import func, select

from store import groupbuy
from store.db import Database
from store.models.groupbuy import GroupBuyParticipant
from tests.groupbuy.helpers import make_product, make_users, publish, stock_of

TAPPERS = 5_000
MAXIMUM = 50
STOCK = 200
CONCURRENCY = 25  # under the PostgreSQL pool (10 + 20 overflow)


async def _storm(db: Database, group_buy_id: int, user_ids: list[int]) -> list[groupbuy.JoinResult]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def tap(uid: int) -> groupbuy.JoinResult:
        async with gate:
            return await groupbuy.join(db, group_buy_id, uid)

    return list(await asyncio.gather(*(tap(uid) for uid in user_ids)))


async def _participants(db: Database, group_buy_id: int) -> int:
    async with db.read() as session:
        query = select(func.count()).where(GroupBuyParticipant.group_buy_id == group_buy_id)
        return int((await session.execute(query)).scalar_one())


@pytest.mark.slow
async def test_5000_tappers_fill_a_maximum_of_50_exactly(any_db: Database) -> None:
    await make_users(any_db, [1, *range(10_000, 10_000 + TAPPERS)])
    product_id = await make_product(any_db, stock=STOCK)
    buy = await publish(any_db, product_id, minimum=2, maximum=MAXIMUM)

    started = time.perf_counter()
    results = await _storm(any_db, buy.id, list(range(10_000, 10_000 + TAPPERS)))
    elapsed = time.perf_counter() - started

    answers = collections.Counter(r.status for r in results)
    print(f"\n[{any_db.dialect}] {TAPPERS} join attempts in {elapsed:.1f}s: {dict(answers)}")
    assert len(results) == TAPPERS  # every tapper got an answer
    assert answers["joined"] == MAXIMUM
    assert answers["full"] == TAPPERS - MAXIMUM
    assert await _participants(any_db, buy.id) == MAXIMUM
    assert (await groupbuy.get(any_db, buy.id)).joined == MAXIMUM
    assert await stock_of(any_db, product_id) == STOCK - MAXIMUM


@pytest.mark.slow
async def test_stock_runs_out_before_the_buy_is_full(any_db: Database) -> None:
    await make_users(any_db, [1, *range(20_000, 20_500)])
    product_id = await make_product(any_db, stock=30)
    buy = await publish(any_db, product_id, minimum=2, maximum=None, tiers=(groupbuy.Tier(3, 9000),))

    results = await _storm(any_db, buy.id, list(range(20_000, 20_500)))

    answers = collections.Counter(r.status for r in results)
    assert answers == {"joined": 30, "sold_out": 470}
    assert await stock_of(any_db, product_id) == 0  # never below zero, never oversold
    assert await _participants(any_db, buy.id) == 30
    assert (await groupbuy.get(any_db, buy.id)).joined == 30


async def test_a_join_delivered_many_times_counts_once(any_db: Database) -> None:
    await make_users(any_db, [1, 7])
    product_id = await make_product(any_db, stock=10)
    buy = await publish(any_db, product_id, maximum=10, per_person=1)

    results = await asyncio.gather(*(groupbuy.join(any_db, buy.id, 7) for _ in range(40)))

    answers = collections.Counter(r.status for r in results)
    assert answers == {"joined": 1, "already": 39}
    assert await _participants(any_db, buy.id) == 1
    assert (await groupbuy.get(any_db, buy.id)).joined == 1
    assert await stock_of(any_db, product_id) == 9
