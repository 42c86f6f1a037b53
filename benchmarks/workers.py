"""Flash storm through the webhook on 1, 2 and 3 worker processes (`groupcart run --webhook --workers N`,
PostgreSQL + Redis, the Redis admission gate), with the emulator as Telegram, in one run:

    .venv/bin/python -m benchmarks.workers                             # 5,000 taps for 100 units, 1/2/3 workers
    .venv/bin/python -m benchmarks.workers --taps 600 --units 20 --workers 1,2

For each worker count: a fresh PostgreSQL database and bot id, the workers started and listening, a live sale,
then `--taps` never-seen users tap Buy at once, fed over `--concurrency` connections (a new one per update, so
the kernel spreads them over the workers as it does Telegram's). Reported: taps/s (first tap sent -> last tap
answered), answer latency p50/p95, the answers by meaning, failed taps (unanswered, the apology) and the oversold
check (units taken, claim rows, orders and the product's stock agree and stay within the sale). Exits non-zero
on a failed tap or an oversold unit. Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/workers.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.flash_sale import PRODUCT_STOCK_EXTRA, classify, database_url, seed
from bot.worker_cluster import LocalWorkers, clean_env, forget, free_port_block
from bot.workers import webhook_env

REDIS_URL = os.environ.get("GROUPCART_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET = "bench-workers-secret"
FIRST_USER = 8_800_000


async def _forget(prefix: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        await forget(redis, prefix)
    finally:
        await redis.aclose()


async def run_one(workers: int, taps: int, units: int, concurrency: int) -> dict[str, Any]:
    import aiohttp
    from sqlalchemy import func, select

    from bot.callbacks.flashsale import FlashBuyCB
    from bot.emulator import raw_actions
    from bot.emulator.server import EmulatorConfig, start_emulator
    from bot.runner import SECRET_HEADER
    from store import flashsale
    from store.db import Database
    from store.models import Order, Product

    bot_id = random.randint(10**9, 2 * 10**9)
    emulator = await start_emulator(EmulatorConfig(token=f"{bot_id}:BENCH-WORKERS"))
    emu = emulator.emulator
    crowd = [emu.add_user(f"Buyer {i}", lang="en", user_id=FIRST_USER + i) for i in range(taps)]
    group = raw_actions.adopt_group(emu, "supergroup", "Neighbours", crowd)
    updates: dict[int, dict[str, Any]] = {}

    async def capture(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": emu.queue.next_update_id, kind: payload}
        emu.queue.next_update_id += 1
        updates[update["update_id"]] = update
        return update

    emu.queue.push = capture  # type: ignore[method-assign]  # the benchmark feeds the webhook itself
    port = free_port_block(1 + workers)
    with tempfile.TemporaryDirectory() as tmp:
        async with database_url("postgres", Path(tmp)) as url:
            env = clean_env(
                **webhook_env(
                    token=emulator.token,
                    secret=SECRET,
                    database_url=url,
                    redis_url=REDIS_URL,
                    api_base=emulator.base_url,
                    port=port,
                )
            )
            cluster = LocalWorkers(env, workers, port)
            db: Database | None = None
            try:
                try:
                    await cluster.start(timeout=300)
                except AssertionError as exc:
                    raise SystemExit(f"{workers} worker(s) did not start:\n{exc}") from None
                db = Database(url)
                sale_id, product_id = await seed(db, units, None)
                data = FlashBuyCB(sale_id=sale_id).pack()
                sent: dict[str, float] = {}
                failed_posts = 0
                slots = asyncio.Semaphore(concurrency)
                connector = aiohttp.TCPConnector(force_close=True, limit=concurrency)
                hook = cluster.hook_url()
                async with aiohttp.ClientSession(connector=connector) as http:

                    async def tap(user: Any) -> None:
                        nonlocal failed_posts
                        async with slots:
                            made = await raw_actions.tap_data(emu, user, group, data)
                            sent[made["callback_query_id"]] = time.perf_counter()
                            update = updates[made["update_id"]]
                            async with http.post(hook, json=update, headers={SECRET_HEADER: SECRET}) as resp:
                                if resp.status != 200:
                                    failed_posts += 1

                    start = time.perf_counter()
                    await asyncio.gather(*(tap(u) for u in crowd))
                answered_at = await _answers(emu, sent, timeout=30)
                end = max(answered_at.values()) if answered_at else time.perf_counter()
                latencies = sorted(answered_at[q] - sent[q] for q in answered_at)
                texts: Counter[str] = Counter()
                for user in crowd:
                    for toast in emu.users[user.id].toasts:
                        texts[toast.get("text") or ""] += 1
                answers, apologies = classify(texts)
                view = await flashsale.get_sale(db, sale_id)
                claims = await flashsale.claims_of(db, sale_id)
                async with db.read() as s:
                    n_orders = (
                        await s.execute(select(func.count()).select_from(Order).where(Order.source_ref == sale_id))
                    ).scalar_one()
                    stock = (await s.execute(select(Product.stock).where(Product.id == product_id))).scalar_one()
                per_user = Counter(u for u, _, _, _ in claims)
                oversold = (
                    max(0, view.sold - units)
                    + abs(len(claims) - view.sold)
                    + abs(n_orders - len(claims))
                    + abs(stock - PRODUCT_STOCK_EXTRA)
                    + sum(n - 1 for n in per_user.values() if n > 1)
                )

                def pct(q: float) -> float:
                    return (
                        round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000) if latencies else -1
                    )

                return {
                    "workers": workers,
                    "taps": taps,
                    "units": units,
                    "seconds": round(end - start, 2),
                    "taps_per_s": round(taps / (end - start)) if end > start else 0,
                    "p50_ms": pct(0.5),
                    "p95_ms": pct(0.95),
                    "answers": answers,
                    "failed": apologies + failed_posts + (taps - len(answered_at)),
                    "sold": view.sold,
                    "oversold": oversold,
                    "errors_429": sum(1 for e in emu.error_responses() if e["error_code"] == 429),
                }
            finally:
                await cluster.stop()
                if db is not None:
                    await db.dispose()
                for prefix in (f"groupcart:update:{bot_id}:", f"groupcart:flash:{bot_id}:"):
                    await _forget(prefix)
                await emulator.stop()


async def _answers(emu: Any, sent: dict[str, float], timeout: float) -> dict[str, float]:
    """When each query was answered, as seen by polling the emulator (every 20 ms)."""
    answered: dict[str, float] = {}
    deadline = time.perf_counter() + timeout
    while len(answered) < len(sent) and time.perf_counter() < deadline:
        now = time.perf_counter()
        for query_id in sent:
            if query_id not in answered and emu.callbacks[query_id].answered:
                answered[query_id] = now
        await asyncio.sleep(0.02)
    return answered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taps", type=int, default=5_000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--workers", default="1,2,3", help="worker counts to measure, comma-separated")
    parser.add_argument("--concurrency", type=int, default=40, help="connections feeding the webhook at once")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    results = []
    for workers in (int(n) for n in args.workers.split(",")):
        result = asyncio.run(run_one(workers, args.taps, args.units, args.concurrency))
        print(
            f"{workers} worker(s): {result['taps_per_s']} taps/s ({result['taps']} taps in {result['seconds']} s), "
            f"answer p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms; answers {result['answers']}; "
            f"failed {result['failed']}, sold {result['sold']}/{result['units']}, OVERSOLD {result['oversold']}, "
            f"429s {result['errors_429']}",
            flush=True,
        )
        results.append(result)
    bad = sum(r["failed"] + r["oversold"] for r in results)
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
