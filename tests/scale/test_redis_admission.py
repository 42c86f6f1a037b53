"""The Redis admission gate: one counter for every process of a sale. Two gates on two database engines (two bot
processes) race on PostgreSQL; taps that Redis admitted but the database refused are rolled back; a Redis that
lost the sale, and a process killed holding reservations, are recovered from the database; sold-out taps reach
no database."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import store.flashsale
from benchmarks._stub import stub_bot
from bot.admission import MemoryAdmissionGate
from bot.app import build_context
from bot.redis_admission import RedisAdmissionGate
from store import flashsale, migrations
from store.db import Database
from store.models import Order, Product, utcnow
from store.users import NewUser
from tests.backends import REDIS_URL, fresh_database_url, require_redis
from tests.conftest import make_test_settings
from tests.flashsale.helpers import live_sale, make_product, make_users

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

WINDOW = timedelta(minutes=5)
UNITS = 100
USERS = 1_000
FIRST = 6_100_000


@pytest.fixture
async def pg(tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    """Two engines on one fresh PostgreSQL database: two processes' connection pools."""
    require_redis()
    async with fresh_database_url("postgres", tmp_path) as url:
        first = Database(url)
        await migrations.upgrade(first)
        second = Database(url)
        try:
            yield first, second
        finally:
            await second.dispose()
            await first.dispose()


@pytest.fixture
async def gates(pg: tuple[Database, Database]) -> AsyncIterator[Callable[..., RedisAdmissionGate]]:
    """Builds Redis gates under a key prefix of this test only; drains, deletes the keys and closes them after."""
    namespace = f"test-{uuid.uuid4().hex}"
    made: list[RedisAdmissionGate] = []

    def make(db: Database, **kwargs: Any) -> RedisAdmissionGate:
        gate = RedisAdmissionGate(db, payment_window=WINDOW, url=REDIS_URL, namespace=namespace, **kwargs)
        made.append(gate)
        return gate

    try:
        yield make
    finally:
        for gate in made:
            await gate.drain()
        if made:
            names = [name async for name in made[0].redis.scan_iter(match=f"{made[0].prefix}*")]
            if names:
                await made[0].redis.delete(*names)
        for gate in made:
            await gate.close()


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch a gate sent to the database."""
    sizes: list[int] = []
    real = store.flashsale.commit_claims

    async def counting(db: Database, sale_id: int, requests: Any, **kwargs: Any) -> flashsale.BatchResult:
        sizes.append(len(requests))
        return await real(db, sale_id, requests, **kwargs)

    monkeypatch.setattr(store.flashsale, "commit_claims", counting)
    return sizes


async def _redis_state(gate: RedisAdmissionGate, sale_id: int) -> tuple[int, dict[int, int], dict[str, str]]:
    left, users, pending = gate.keys(sale_id)[:3]
    raw_users: Any = await gate.redis.hgetall(users)
    raw_pending: Any = await gate.redis.hgetall(pending)
    return (
        int(await gate.redis.get(left) or -1),
        {int(k): int(v) for k, v in raw_users.items()},
        {k.decode(): v.decode() for k, v in raw_pending.items()},
    )


async def _count(db: Database, query: Any) -> int:
    async with db.read() as session:
        return int((await session.execute(query)).scalar_one())


async def test_two_processes_race_for_one_counter(
    pg: tuple[Database, Database], gates: Callable[..., RedisAdmissionGate], batches: list[int]
) -> None:
    """2,000 taps from 1,000 never-seen users for 100 units, limit 1, spread over two gates on two engines:
    exactly 100 claimed, nobody over the limit, nothing oversold, and only the 100 winners reached the database."""
    first_db, second_db = pg
    product_id = await make_product(first_db, stock=500)
    sale = await live_sale(first_db, stock=UNITS, per_user=1)
    pair = [gates(first_db), gates(second_db)]
    users = list(range(FIRST, FIRST + USERS))
    taps = users * 2  # everybody taps twice, the two taps often in different processes
    random.Random(12).shuffle(taps)
    picks = random.Random(13)

    async def one(user_id: int) -> tuple[int, str]:
        gate = pair[picks.randrange(2)]
        result = await gate.tap(sale.id, user_id, user=NewUser(user_id, f"n{user_id}", None, None, "en"))
        return user_id, result.outcome

    answers = await asyncio.gather(*(one(u) for u in taps))
    for gate in pair:
        await gate.drain()

    outcomes = Counter(o for _, o in answers)
    assert outcomes["won"] == UNITS, outcomes
    assert set(outcomes) <= {"won", "sold_out", "limit", "busy"}, outcomes
    winners = Counter(u for u, o in answers if o == "won")
    assert max(winners.values()) == 1
    # The counter admitted exactly the units there were: the losers never cost a transaction.
    assert sum(batches) == UNITS
    # The database agrees: units taken, claim rows, orders and the product's stock.
    view = await flashsale.get_sale(first_db, sale.id)
    claims = await flashsale.claims_of(first_db, sale.id)
    assert view.sold == len(claims) == UNITS
    assert {u for u, _, _, _ in claims} == set(winners)
    assert max(Counter(u for u, _, _, _ in claims).values()) == 1
    orders = select(func.count()).select_from(Order).where(Order.source == "flashsale", Order.source_ref == sale.id)
    assert await _count(first_db, orders) == UNITS
    assert await _count(first_db, select(Product.stock).where(Product.id == product_id)) == 500 - UNITS
    # And so does Redis: nothing left, nothing pending, one unit per winner.
    left, counts, pending = await _redis_state(pair[0], sale.id)
    assert left == 0 and pending == {}
    assert {u for u, n in counts.items() if n} == set(winners) and set(counts.values()) <= {0, 1}


async def test_database_refusal_is_rolled_back_in_redis(
    pg: tuple[Database, Database], gates: Callable[..., RedisAdmissionGate], batches: list[int]
) -> None:
    """A process is killed between its batch's commit and telling Redis: its reservation is given back once it is
    silent (Redis forgets that user 1 won). User 1's next tap is admitted by Redis and refused by the claim rows
    (limit), and Redis is rolled back: the unit returns to the counter and user 1 keeps the limit. The last unit
    then goes to someone else, and the tap after it is "sold out" without a transaction."""
    db = pg[0]
    await make_product(db)
    await make_users(db, [1, 2, 3])
    sale = await live_sale(db, stock=2, per_user=1)
    gate, victim = gates(db), gates(pg[1])

    async def killed_before_telling_redis(*_args: Any) -> None:
        return None

    victim._committed = killed_before_telling_redis  # type: ignore[method-assign]
    assert (await victim.tap(sale.id, 1)).outcome == "won"
    keys = gate.keys(sale.id)
    await gate.redis.hset(keys[3], victim.me, 0)  # silent for longer than stale_seconds
    gate.invalidate(sale.id)
    await gate.preload(sale.id)  # the re-read reconciles: the victim's reservation is given back
    left, counts, pending = await _redis_state(gate, sale.id)
    assert (left, counts[1], pending) == (1, 0, {})

    assert (await gate.tap(sale.id, 1)).outcome == "limit"  # admitted by Redis, refused by the claim rows
    left, counts, pending = await _redis_state(gate, sale.id)
    assert (left, counts[1], pending) == (1, 1, {})  # the unit is back, the user's count is the database's
    assert (await gate.tap(sale.id, 2)).outcome == "won"
    sent = sum(batches)
    assert (await gate.tap(sale.id, 3)).outcome == "sold_out"
    assert (await gate.tap(sale.id, 1)).outcome == "limit"
    assert sum(batches) == sent
    assert (await flashsale.get_sale(db, sale.id)).sold == 2


async def test_a_unit_given_back_reaches_every_process(
    pg: tuple[Database, Database], gates: Callable[..., RedisAdmissionGate]
) -> None:
    """An unpaid order is cancelled: the unit returns to the pool in the database, the process that committed it
    reconciles Redis, and the other process can sell it at once."""
    from store import orders

    db, other_db = pg
    await make_product(db)
    await make_users(db, [1, 2])
    sale = await live_sale(db, stock=1, per_user=1)
    here, there = gates(db), gates(other_db)
    won = await here.tap(sale.id, 1)
    assert won.outcome == "won" and won.order_id is not None
    assert (await there.tap(sale.id, 2)).outcome == "sold_out"
    async with db.tx() as session:
        await orders.transition(session, won.order_id, orders.CANCELLED, "system", from_statuses=orders.UNPAID)
    await here.tap(sale.id, 1)  # the after-commit hook made the sale stale here: the re-read reconciles Redis
    assert (await there.tap(sale.id, 2)).outcome == "won"
    assert (await here.tap(sale.id, 1)).outcome == "limit"  # a cancelled claim still counts


async def test_redis_that_lost_the_sale_is_seeded_again(
    pg: tuple[Database, Database], gates: Callable[..., RedisAdmissionGate], batches: list[int]
) -> None:
    db = pg[0]
    await make_product(db)
    await make_users(db, [1, 2, 3])
    sale = await live_sale(db, stock=2, per_user=1)
    gate = gates(db)
    assert (await gate.tap(sale.id, 1)).outcome == "won"
    await gate.redis.delete(*gate.keys(sale.id))  # a Redis restart without persistence
    sent = sum(batches)
    assert (await gate.tap(sale.id, 1)).outcome == "limit"  # the seed took the claim rows along
    assert sum(batches) == sent
    assert (await gate.tap(sale.id, 2)).outcome == "won"
    assert (await gate.tap(sale.id, 3)).outcome == "sold_out"


async def test_reservations_of_a_dead_process_come_back(
    pg: tuple[Database, Database], gates: Callable[..., RedisAdmissionGate]
) -> None:
    """A process reserved a unit in Redis and was killed before its batch: once it has been silent for
    `stale_seconds` the unit and the user's count are given back at the next reconcile."""
    db = pg[0]
    await make_product(db)
    await make_users(db, [7, 8])
    sale = await live_sale(db, stock=1, per_user=1)
    gate = gates(db)
    victim = gates(db)
    await gate.preload(sale.id)
    keys = gate.keys(sale.id)
    expiry = int(time.time() * 1000) + 3_600_000
    assert await victim._tap(keys=keys, args=[7, 1, victim.me, expiry]) == 1  # reserved, never committed
    assert (await gate.tap(sale.id, 8)).outcome == "sold_out"
    gate.invalidate(sale.id)
    assert (await gate.tap(sale.id, 8)).outcome == "sold_out"  # the victim still counts as alive
    await gate.redis.hset(keys[3], victim.me, 0)  # ...until its last sign of life is older than stale_seconds
    gate.invalidate(sale.id)
    assert (await gate.tap(sale.id, 8)).outcome == "won"
    left, counts, pending = await _redis_state(gate, sale.id)
    assert (left, counts.get(7), pending) == (0, 0, {})
    assert (await gate.tap(sale.id, 7)).outcome == "sold_out"  # not "limit": the victim's claim never existed


async def test_keys_expire_after_the_sale(
    pg: tuple[Database, Database], gates: Callable[..., RedisAdmissionGate]
) -> None:
    db = pg[0]
    await make_product(db)
    await make_users(db, [1])
    sale = await live_sale(db, stock=3, per_user=1)
    gate = gates(db)
    assert (await gate.tap(sale.id, 1)).outcome == "won"
    until_end = (sale.ends_at - utcnow()).total_seconds() * 1000
    for key in gate.keys(sale.id)[:2]:
        ttl = await gate.redis.pttl(key)
        assert until_end < ttl <= until_end + 3_600_000 + 5_000, key


async def test_unreachable_redis_says_tap_again(pg: tuple[Database, Database]) -> None:
    db = pg[0]
    await make_product(db)
    await make_users(db, [1])
    sale = await live_sale(db, stock=3, per_user=1)
    gate = RedisAdmissionGate(db, payment_window=WINDOW, url="redis://127.0.0.1:1/0", timeout=0.5)
    try:
        assert (await gate.tap(sale.id, 1)).outcome == "retry"  # nothing taken: the tap may be repeated
        assert (await flashsale.get_sale(db, sale.id)).sold == 0
    finally:
        await gate.close()


async def test_the_composition_root_picks_redis_when_configured(pg: tuple[Database, Database]) -> None:
    bot, _ = stub_bot()
    with_redis = build_context(make_test_settings(redis={"url": REDIS_URL}), pg[0], bot)
    alone = build_context(make_test_settings(), pg[1], bot)
    try:
        assert isinstance(with_redis.admission, RedisAdmissionGate)
        assert with_redis.admission.prefix == f"groupcart:flash:{bot.id}:"
        assert isinstance(alone.admission, MemoryAdmissionGate)
    finally:
        await with_redis.admission.close()
        await bot.session.close()


async def test_a_repeated_tap_in_another_process_takes_nothing(
    pg: tuple[Database, Database], gates: Callable[..., RedisAdmissionGate], batches: list[int]
) -> None:
    """A double tap whose two taps reach two processes (bot/tap_guard.py merges them through Redis): the repeat
    is told by the other process's gate, which takes nothing and says what the user holds. With a limit of 2 a
    repeat decided as a tap took a second unit."""
    db = pg[0]
    await make_product(db)
    await make_users(db, [1, 2])
    sale = await live_sale(db, stock=2, per_user=2)
    first, other = gates(db), gates(pg[1])
    assert (await first.tap(sale.id, 1)).outcome == flashsale.WON
    repeat = await other.repeat(sale.id, 1)
    assert repeat is not None and repeat.outcome == flashsale.HELD
    assert await other.repeat(sale.id, 2) is None, "user 2 holds nothing and units are left: nothing to tell"
    assert (await first.tap(sale.id, 1)).outcome == flashsale.WON  # a deliberate second tap, later
    repeat = await other.repeat(sale.id, 1)
    assert repeat is not None and repeat.outcome == flashsale.LIMIT
    repeat = await other.repeat(sale.id, 2)
    assert repeat is not None and repeat.outcome == flashsale.SOLD_OUT
    assert sum(batches) == 2 and (await flashsale.get_sale(db, sale.id)).sold == 2
    left, counts, pending = await _redis_state(first, sale.id)
    assert (left, counts, pending) == (0, {1: 2}, {}), "the repeats took nothing"
