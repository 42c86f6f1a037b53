"""A flash storm on `groupcart run --webhook --workers 3` (PostgreSQL + Redis, the emulator as Telegram): 2,000
never-seen users tap Buy through the webhook for 100 units, some of them twice, and one worker is killed with
SIGKILL in the middle. Nothing is oversold, every tap is answered (never the apology; the taps the dead worker
held are delivered again, as Telegram does, and handled by the others once its claims lapse), nobody gets more
than the limit, and the shared send budget keeps Telegram from answering 429."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from benchmarks.flash_sale import known_answers
from bot.callbacks.flashsale import FlashBuyCB
from bot.emulator import raw_actions
from bot.emulator.server import EmulatorConfig, start_emulator
from bot.emulator.state import JSON
from bot.runner import SECRET_HEADER
from bot.worker_cluster import LocalWorkers, clean_env, forget, free_port_block
from bot.workers import webhook_env
from store import flashsale
from store.db import Database
from store.models import Order, Product
from tests.backends import REDIS_URL, fresh_database_url, require_redis
from tests.flashsale.helpers import live_sale, make_product
from tests.scale.test_workers import SECRET
from tests.strict import apology_violations

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

WORKERS = 3
USERS = 2_000
TWICE = 300  # users who tap twice (a double tap, or a second try after "sold out")
UNITS = 100
STOCK = 500
FIRST_USER = 7_700_000
CONCURRENCY = 32  # connections Telegram keeps open to the webhook at once (max_connections defaults to 40)
KILL_AFTER = 700  # taps sent before one worker dies
LEASE_SECONDS = 3  # the dead worker's unfinished taps are handled by the others after this (redelivered meanwhile)


async def test_flash_storm_on_three_workers_with_one_killed(tmp_path: Path) -> None:
    require_redis()
    # A bot id of this test only: its update ledger and flash counters are nobody else's keys.
    bot_id = random.randint(10**9, 2 * 10**9)
    emulator = await start_emulator(EmulatorConfig(token=f"{bot_id}:FLASH-WORKERS"))
    emu = emulator.emulator
    port = free_port_block(1 + WORKERS)
    redis = Redis.from_url(REDIS_URL)
    prefixes = [f"groupcart:update:{bot_id}:", f"groupcart:flash:{bot_id}:"]
    for prefix in prefixes:
        await forget(redis, prefix)

    # The crowd, and the storm's updates: built by the emulator (so it tracks every query and its answer) but fed
    # to the webhook by the test, over many connections at once as Telegram does, instead of one at a time.
    crowd = [emu.add_user(f"Buyer {i}", lang="en", user_id=FIRST_USER + i) for i in range(USERS)]
    group = raw_actions.adopt_group(emu, "supergroup", "Neighbours", crowd)
    storm: list[JSON] = []
    by_id: dict[int, JSON] = {}

    async def capture(kind: str, payload: JSON) -> JSON:
        update = {"update_id": emu.queue.next_update_id, kind: payload}
        emu.queue.next_update_id += 1
        storm.append(update)
        by_id[update["update_id"]] = update
        return update

    emu.queue.push = capture  # type: ignore[method-assign]
    async with fresh_database_url("postgres", tmp_path) as db_url:
        env = clean_env(
            **webhook_env(
                token=emulator.token,
                secret=SECRET,
                database_url=db_url,
                redis_url=REDIS_URL,
                api_base=emulator.base_url,
                port=port,
            ),
            GROUPCART_REDIS__UPDATE_LEASE_SECONDS=str(LEASE_SECONDS),
        )
        db: Database | None = None
        cluster = LocalWorkers(env, WORKERS, port)
        try:
            await cluster.start()
            workers = cluster.pids()
            assert sorted(workers) == list(range(WORKERS)), workers

            db = Database(db_url)  # the supervisor migrated the schema before starting the workers
            product_id = await make_product(db, stock=STOCK)
            sale = await live_sale(db, stock=UNITS, per_user=1)
            data = FlashBuyCB(sale_id=sale.id).pack()
            tappers = list(crowd) + random.Random(21).sample(crowd, TWICE)
            random.Random(22).shuffle(tappers)

            url = cluster.hook_url()
            victim = workers[1]
            statuses: dict[int, int | None] = {}
            gate = asyncio.Semaphore(CONCURRENCY)
            sent = 0
            connector = aiohttp.TCPConnector(force_close=True, limit=CONCURRENCY)  # new connection: any worker
            async with aiohttp.ClientSession(connector=connector) as http:

                async def tap(user: Any) -> None:
                    async with gate:
                        # The query is made as the user taps (Telegram allows 15 s to answer it).
                        made = await raw_actions.tap_data(emu, user, group, data)
                        await post(by_id[made["update_id"]])

                async def post(update: JSON) -> None:
                    nonlocal sent
                    sent += 1
                    if sent == KILL_AFTER:
                        assert cluster.kill(1) == victim
                    deadline = time.monotonic() + 60
                    while time.monotonic() < deadline:
                        try:
                            async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as resp:
                                statuses[update["update_id"]] = resp.status
                                if resp.status == 200:
                                    return
                        except (aiohttp.ClientError, OSError):
                            statuses[update["update_id"]] = None
                        # The worker died holding it (or another still holds it, 503): Telegram delivers it
                        # again shortly, until a 2xx.
                        await asyncio.sleep(0.25)

                await asyncio.gather(*(tap(u) for u in tappers))
                assert len(storm) == len(tappers)
            assert set(statuses.values()) == {200}, Counter(statuses.values())

            # Which worker took each update: the Redis ledger names the process.
            # A 200 can come before the handler has finished (the update is recorded first), so the last few may
            # still be running here: wait for them, as a test of every tap's answer below does.
            keys = [f"{prefixes[0]}{u['update_id']}" for u in storm]
            finishing = time.monotonic() + 60
            owners = await redis.mget(keys)
            while not all(o is not None and o.startswith(b"done:") for o in owners) and time.monotonic() < finishing:
                await asyncio.sleep(0.5)
                owners = await redis.mget(keys)
            assert None not in owners, [u["update_id"] for u, o in zip(storm, owners, strict=True) if o is None]
            assert all(o.startswith(b"done:") for o in owners), Counter(o.split(b":")[0] for o in owners)
            dead = [o is not None and o.decode().endswith(f":{victim}") for o in owners]
            assert any(dead), "the victim took no tap before it died"
            survivors = [u for u, d in zip(storm, dead, strict=True) if not d]
            assert len(survivors) > len(storm) // 2
            # Every tap is answered: those the victim finished before it died, and the ones it held unfinished,
            # delivered again and handled by the others.
            query_ids = {u["callback_query"]["id"] for u in storm}

            def unanswered() -> list[str]:
                return [q for q in query_ids if not emu.callbacks[q].answered]

            deadline = time.monotonic() + 30
            while unanswered() and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            assert unanswered() == [], f"{len(unanswered())} taps unanswered; " + cluster.tail(20)

            # Every survivor's answer is one of the sale's own; nobody won twice; never the apology.
            known = known_answers()
            toasts = {
                toast.get("callback_query_id"): toast.get("text") or ""
                for user in crowd
                for toast in emu.users[user.id].toasts
            }
            # A repeat (the same user's second tap within a second, bot/tap_guard.py) whose first tap was still
            # being decided in another worker is answered without a word: the first tap's toast is the answer.
            answers = Counter(
                "won" if toasts.get(q, "").startswith("🎉") else known.get(toasts.get(q, ""), toasts.get(q) or "quiet")
                for q in query_ids
            )
            assert set(answers) <= {"won", "sold_out", "limit", "busy", "repeat", "quiet"}, answers
            by_query = {u["callback_query"]["id"]: u["callback_query"]["from"]["id"] for u in storm}
            twice = {u for u, n in Counter(by_query.values()).items() if n > 1}
            assert {by_query[q] for q in query_ids if q not in toasts} <= twice, "only a repeat is answered quietly"
            repeats = {by_query[q] for q in query_ids if known.get(toasts.get(q, "")) == "repeat"}
            assert repeats <= twice, "only a shopper who tapped twice hears a repeat's answer"
            assert answers["sold_out"] > USERS // 2, answers
            won_by = Counter(by_query[q] for q in query_ids if toasts.get(q, "").startswith("🎉"))
            assert won_by and max(won_by.values()) == 1
            assert apology_violations(emu) == []
            assert [e for e in emu.error_responses() if e["error_code"] == 429] == []

            # Nothing oversold: units taken, claim rows, orders and the product's stock agree.
            view = await flashsale.get_sale(db, sale.id)
            claims = await flashsale.claims_of(db, sale.id)
            async with db.read() as session:
                n_orders = (
                    await session.execute(select(func.count()).select_from(Order).where(Order.source_ref == sale.id))
                ).scalar_one()
                stock = (await session.execute(select(Product.stock).where(Product.id == product_id))).scalar_one()
            assert 0 < view.sold <= UNITS
            assert len(claims) == view.sold == n_orders
            assert max(Counter(u for u, _, _, _ in claims).values()) == 1  # the limit held across workers
            assert stock == STOCK - UNITS
            assert set(won_by) <= {u for u, _, _, _ in claims}
            # Redis counted every unit: sold, or still reserved by the dead worker (given back after stale_seconds).
            left = int(await redis.get(f"{prefixes[1]}{sale.id}:left") or -1)
            reserved: Any = await redis.hgetall(f"{prefixes[1]}{sale.id}:pending")
            assert left == 0
            assert view.sold <= UNITS <= view.sold + sum(int(n) for n in reserved.values())
            assert all(field.decode().split("|")[0].split(":")[1] == str(victim) for field in reserved)
            assert cluster.traceback() is None, cluster.traceback()
        finally:
            await cluster.stop()
            if db is not None:
                await db.dispose()
            for prefix in prefixes:
                await forget(redis, prefix)
            await redis.aclose()
            await emulator.stop()
