"""The storm: thousands of concurrent taps for a few units, on SQLite and PostgreSQL, with one and two
admission gates (two bot processes) on the same database."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from bot.admission import FlashAdmission
from store import flashsale
from store.db import Database
from store.models import Order, Product
from tests.flashsale.helpers import live_sale, make_product, make_users

TAPPERS = 5_000
UNITS = 100
WINDOW = timedelta(minutes=5)


async def _storm(gates: list[FlashAdmission], sale_id: int, taps: list[int]) -> list[tuple[int, str]]:
    async def one(i: int, user_id: int) -> tuple[int, str]:
        result = await gates[i % len(gates)].tap(sale_id, user_id)
        return user_id, result.outcome

    return list(await asyncio.gather(*(one(i, u) for i, u in enumerate(taps))))


async def _check_db(db: Database, sale_id: int, product_id: int, per_user: int) -> None:
    sale = await flashsale.get_sale(db, sale_id)
    assert sale.sold == UNITS
    claims = await flashsale.claims_of(db, sale_id)
    assert len(claims) == UNITS
    per = Counter(user for user, _, _, _ in claims)
    assert max(per.values()) <= per_user
    async with db.read() as session:
        n_orders = (
            await session.execute(select(func.count()).select_from(Order).where(Order.source == "flashsale"))
        ).scalar_one()
        assert n_orders == UNITS
        stock = (await session.execute(select(Product.stock).where(Product.id == product_id))).scalar_one()
        assert stock == 500 - UNITS  # the pool left the product at creation and was not taken twice


async def test_storm_one_gate(any_db: Database) -> None:
    product_id = await make_product(any_db)
    users = list(range(1, TAPPERS + 1))
    await make_users(any_db, users)
    sale = await live_sale(any_db, stock=UNITS, per_user=1)
    gate = FlashAdmission(any_db, payment_window=WINDOW)
    # Every user taps once, and 300 of them tap twice (a double tap): the second tap is "limit" or "sold out",
    # or "busy" (in the queue) while the first one waits for its batch.
    taps = users + random.Random(7).sample(users, 300)
    random.Random(8).shuffle(taps)
    answers = await _storm([gate], sale.id, taps)
    assert len(answers) == len(taps)  # every tapper got an answer
    outcomes = Counter(o for _, o in answers)
    assert outcomes["won"] == UNITS
    assert set(outcomes) <= {"won", "sold_out", "limit", "busy"}
    double = Counter(taps)
    assert all(double[u] == 2 for u, o in answers if o == "busy")  # only a repeated tap is told it is queued
    winners = Counter(u for u, o in answers if o == "won")
    assert max(winners.values()) == 1
    await _check_db(any_db, sale.id, product_id, 1)


async def test_storm_per_user_limit_two(any_db: Database) -> None:
    product_id = await make_product(any_db)
    users = list(range(1, 41))
    await make_users(any_db, users)
    sale = await live_sale(any_db, stock=UNITS, per_user=2)
    gate = FlashAdmission(any_db, payment_window=WINDOW)
    taps = users * 5  # 40 users x 5 taps = 200 taps for 100 units, at most 2 each -> 80 winners' units
    random.Random(3).shuffle(taps)
    answers = await _storm([gate], sale.id, taps)
    winners = Counter(u for u, o in answers if o == "won")
    assert sum(winners.values()) == 80 and max(winners.values()) == 2
    assert (await flashsale.get_sale(any_db, sale.id)).sold == 80
    assert product_id


async def test_two_gates_on_one_database_never_oversell(any_db: Database) -> None:
    """Two processes (two admission gates, each with its own connection pool) on one database."""
    product_id = await make_product(any_db)
    users = list(range(1, TAPPERS + 1))
    await make_users(any_db, users)
    sale = await live_sale(any_db, stock=UNITS, per_user=1)
    other = Database(any_db.url)
    try:
        gates = [FlashAdmission(any_db, payment_window=WINDOW), FlashAdmission(other, payment_window=WINDOW)]
        # The same 300 users tap in both processes: the unique claim rows keep them at one unit.
        taps = users + random.Random(5).sample(users, 300)
        random.Random(6).shuffle(taps)
        answers = await _storm(gates, sale.id, taps)
        assert len(answers) == len(taps)
        outcomes = Counter(o for _, o in answers)
        assert outcomes["won"] == UNITS, outcomes
        winners = Counter(u for u, o in answers if o == "won")
        assert max(winners.values()) == 1
        await _check_db(any_db, sale.id, product_id, 1)
    finally:
        await other.dispose()
