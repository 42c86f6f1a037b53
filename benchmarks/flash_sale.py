"""Flash-sale storm benchmark: N buyers tap Buy within one second, through the real Dispatcher and store.

    .venv/bin/python -m benchmarks.flash_sale                      # SQLite and PostgreSQL, 5,000 buyers, 100 units
    .venv/bin/python -m benchmarks.flash_sale --backend sqlite --cold-users
    .venv/bin/python -m benchmarks.flash_sale --fsm memory         # diagnosis: FSM state kept in memory

Each tap is a callback_query Update fed to `dp.feed_update` of the app built by bot.app.create_app (middlewares,
every feature router, the FSM storage as configured, the real store on a fresh database); outgoing Bot API calls
are answered by benchmarks/_stub.py (no HTTP, responses still parsed by aiogram). The outbox sender runs
(it delivers the winners' messages to the stub while the storm goes on); the scheduler does not (the sale is
started directly by the store's start transition).

Printed per backend:
- taps/s over the paced run (first tap sent -> last tap answered) and at saturation (all taps at once);
- p50 / p99 time to answer: from feeding a tap to the bot's answerCallbackQuery for it;
- oversold units, winners, per-user violations, unanswered taps;
- bare aiogram: a Dispatcher with one trivial callback handler answering the query, same updates, same stub.
By default the buyers are known to the process (their first contact happened before the sale, as for people who
saw the announcement): `--cold-users` makes every tap a first contact (one user write each).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/flash_sale.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Bot, Dispatcher, Router
from aiogram.types import CallbackQuery, Update

from benchmarks._stub import StubSession, stub_bot
from bot.callbacks.flashsale import FlashBuyCB

ROOT = Path(__file__).resolve().parent.parent
GROUP_ID = -1_000_000_001
FIRST_USER = 5_000_000


@dataclass
class Run:
    taps: int
    seconds: float
    latencies: list[float]
    answered: int
    texts: Counter[str] = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return self.taps / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def tap_updates(sale_id: int, users: list[int], first_update: int) -> list[Update]:
    data = FlashBuyCB(sale_id=sale_id).pack()
    return [
        Update.model_validate(
            {
                "update_id": first_update + i,
                "callback_query": {
                    "id": f"q{first_update + i}",
                    "from": {"id": uid, "is_bot": False, "first_name": f"buyer{uid}", "language_code": "en"},
                    "chat_instance": "bench",
                    "data": data,
                    "message": {
                        "message_id": 1,
                        "date": 0,
                        "chat": {"id": GROUP_ID, "type": "supergroup", "title": "Neighbours"},
                        "from": {"id": 123456, "is_bot": True, "first_name": "groupcart"},
                        "text": "Flash sale",
                    },
                },
            }
        )
        for i, uid in enumerate(users)
    ]


async def feed(
    dp: Dispatcher, bot: Bot, session: StubSession, updates: list[Update], spread: float, **kwargs: Any
) -> Run:
    """Feed the updates evenly over `spread` seconds (0 = all at once); time each until its answer."""
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    texts: Counter[str] = Counter()

    def on_answer(query_id: str, text: str | None) -> None:
        answered.setdefault(query_id, time.perf_counter())
        texts[(text or "")[:24]] += 1

    session.on_answer = on_answer
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[Any]] = []
    start = time.perf_counter()

    def launch(update: Update) -> None:
        assert update.callback_query is not None
        sent[update.callback_query.id] = time.perf_counter()
        tasks.append(asyncio.ensure_future(dp.feed_update(bot, update, **kwargs)))

    if spread <= 0:
        for update in updates:
            launch(update)
    else:
        step = spread / len(updates)
        base = loop.time()
        for i, update in enumerate(updates):
            loop.call_at(base + i * step, launch, update)
        while len(tasks) < len(updates):
            await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    session.on_answer = None
    end = max(answered.values()) if answered else time.perf_counter()
    latencies = [answered[q] - sent[q] for q in sent if q in answered]
    return Run(len(updates), end - start, latencies, len(answered), texts)


def bare_dispatcher() -> Dispatcher:
    router = Router()

    @router.callback_query()
    async def trivial(query: CallbackQuery) -> None:
        await query.answer("ok")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


@contextlib.asynccontextmanager
async def database_url(backend: str, folder: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'flash.db'}"
        return
    import asyncpg

    name = f"gc_flashbench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def seed(db: Any, buyers: list[int], units: int) -> tuple[int, int]:
    """A product, the buyers, the group; a live sale of `units` and a sold-out warm-up sale."""
    from sqlalchemy import insert

    from store import flashsale
    from store.models import Category, Chat, Product, User, utcnow

    now = utcnow()
    async with db.tx() as session:
        category = Category(slug="bench", name_en="Bench", name_zh="测试")
        session.add(category)
        await session.flush()
        session.add(
            Product(
                sku="FLASH-BENCH",
                category_id=category.id,
                title_en="Rice cooker",
                title_zh="电饭煲",
                price=29900,
                currency="CNY",
                stock=units + 1,
            )
        )
        session.add(Chat(id=GROUP_ID, type="supergroup", title="Neighbours", bot_status="administrator"))
        rows = [
            {
                "id": uid,
                "first_name": f"buyer{uid}",
                "language": "en",
                "language_chosen": False,
                "created_at": now,
                "last_seen_at": now,
                "unreachable": False,
                "subscribed_flash": False,
                "checkin_reminder": False,
            }
            for uid in buyers
        ]
        for i in range(0, len(rows), 1000):
            await session.execute(insert(User), rows[i : i + 1000])
    sale_ids = []
    for stock in (1, units):
        spec = flashsale.SaleSpec(
            "FLASH-BENCH", 9900, stock, now - timedelta(seconds=1), now + timedelta(hours=1), per_user_limit=1
        )
        sale = await flashsale.create_sale(db, spec)
        async with db.tx() as session:
            await flashsale.start_sale(session, sale.id, late_by=timedelta(0), grace=timedelta(minutes=5))
        sale_ids.append(sale.id)
    return sale_ids[0], sale_ids[1]


async def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import func, select

    from bot.app import create_app
    from bot.config import load_settings
    from store import flashsale
    from store.db import Database
    from store.models import Order

    buyers = list(range(FIRST_USER, FIRST_USER + args.buyers))
    with tempfile.TemporaryDirectory() as tmp:
        async with database_url(backend, Path(tmp)) as url:
            settings = load_settings(ROOT / "config.yaml", database={"url": url})
            if args.fsm == "redis":
                settings.redis.url = "redis://127.0.0.1:6379/14"
            db = Database(url)
            settings.telegram.bot_username = "groupcart_bot"
            bot, session = stub_bot()
            app = await create_app(settings, "123456:BENCHMARK", db=db, bot=bot)
            if args.fsm == "memory":
                from aiogram.fsm.storage.memory import MemoryStorage

                app.dp.fsm.storage = MemoryStorage()
            await app.start_background(scheduler=False, outbox=True)
            warm_sale, sale_id = await seed(db, buyers, args.units)
            try:
                result: dict[str, Any] = {"backend": backend}
                update_id = 1
                if not args.cold_users:
                    # Every buyer has talked to this process before (the user middleware knows them);
                    # the warm-up sale is sold out, so these taps are answered from memory.
                    warm = await feed(app.dp, bot, session, tap_updates(warm_sale, buyers, update_id), 0)
                    update_id += len(buyers)
                    result["warmup_taps_per_s"] = round(warm.per_second)
                # What the start event does after its commit (bot/jobs/flashsale.py): load the sale's gate.
                from handlers.flashsale import admission

                await admission(app.ctx).preload(sale_id)
                storm = await feed(app.dp, bot, session, tap_updates(sale_id, buyers, update_id), args.spread)
                update_id += len(buyers)
                await asyncio.sleep(0.2)
                sale = await flashsale.get_sale(db, sale_id)
                claims = await flashsale.claims_of(db, sale_id)
                per_user = Counter(u for u, _, _, _ in claims)
                async with db.read() as s:
                    n_orders = (
                        await s.execute(select(func.count()).select_from(Order).where(Order.source_ref == sale_id))
                    ).scalar_one()
                won = sum(n for text, n in storm.texts.items() if text.startswith("🎉"))
                # Saturation: the same buyers tap again all at once (now all "limit"/"sold out" from memory).
                burst = await feed(app.dp, bot, session, tap_updates(sale_id, buyers, update_id), 0)
                update_id += len(buyers)
                bare_dp = bare_dispatcher()
                bare_burst = await feed(bare_dp, bot, session, tap_updates(sale_id, buyers, update_id), 0)
                update_id += len(buyers)
                bare_paced = await feed(bare_dp, bot, session, tap_updates(sale_id, buyers, update_id), args.spread)
                result.update(
                    {
                        "buyers": args.buyers,
                        "units": args.units,
                        "users": "cold (first contact)" if args.cold_users else "known to the process",
                        "fsm": args.fsm,
                        "router_order": args.router_order,
                        "paced_taps_per_s": round(storm.per_second),
                        "paced_seconds": round(storm.seconds, 3),
                        "p50_ms": round(storm.pct(0.50), 1),
                        "p99_ms": round(storm.pct(0.99), 1),
                        "answered": storm.answered,
                        "unanswered": storm.taps - storm.answered,
                        "won_toasts": won,
                        "sold": sale.sold,
                        "claims": len(claims),
                        "orders": n_orders,
                        "oversold": max(0, len(claims) - args.units) + max(0, sale.sold - args.units),
                        "over_limit_users": sum(1 for n in per_user.values() if n > 1),
                        "burst_taps_per_s": round(burst.per_second),
                        "bare_burst_taps_per_s": round(bare_burst.per_second),
                        "bare_paced_taps_per_s": round(bare_paced.per_second),
                        "bare_p50_ms": round(bare_paced.pct(0.50), 1),
                        "bare_p99_ms": round(bare_paced.pct(0.99), 1),
                        "share_of_bare_burst": round(burst.per_second / bare_burst.per_second, 3),
                    }
                )
                return result
            finally:
                await app.close()


def report(results: list[dict[str, Any]]) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"cores: {cores} (os.cpu_count={os.cpu_count()}), python {sys.version.split()[0]}")
    for r in results:
        print(
            f"\n[{r['backend']}] {r['buyers']} buyers, {r['units']} units, users {r['users']}, fsm storage {r['fsm']}, "
            f"routers {r['router_order']}"
            f"\n  storm (taps spread over {r['paced_seconds']:.2f}s): {r['paced_taps_per_s']} taps/s end to end, "
            f"time to answer p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms"
            f"\n  answered {r['answered']}/{r['buyers']}, won {r['won_toasts']}, claims {r['claims']}, "
            f"orders {r['orders']}, sold {r['sold']}, OVERSOLD {r['oversold']}, "
            f"over-limit users {r['over_limit_users']}"
            f"\n  saturation (all taps at once): {r['burst_taps_per_s']} taps/s"
            f"\n  bare aiogram dispatch (trivial handler): {r['bare_burst_taps_per_s']} taps/s at saturation, "
            f"paced p50 {r['bare_p50_ms']} ms p99 {r['bare_p99_ms']} ms"
            f"\n  flash path / bare at saturation: {r['share_of_bare_burst'] * 100:.0f}%"
        )
    print("\nJSON " + json.dumps(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--buyers", type=int, default=5000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--spread", type=float, default=1.0, help="seconds over which the taps arrive")
    parser.add_argument("--cold-users", action="store_true", help="every tap is the buyer's first contact")
    parser.add_argument("--fsm", choices=("as-built", "memory", "redis"), default="as-built")
    parser.add_argument(
        "--router-order",
        choices=("as-built", "flash-first"),
        default="as-built",
        help="diagnosis: put handlers.flashsale right after handlers.errors",
    )
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    runner: Callable[[str, argparse.Namespace], Any] = bench_backend
    results = [asyncio.run(runner(backend, args)) for backend in backends]
    report(results)
    return 0 if all(r["oversold"] == 0 and r["unanswered"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
