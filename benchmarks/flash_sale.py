"""Flash-sale storm benchmark: a crowd taps Buy at once, through the real Dispatcher and store, next to bare
aiogram fed the same updates through the same Bot API stub in the same process.

    .venv/bin/python -m benchmarks.flash_sale                        # every scenario, SQLite and PostgreSQL, 3 runs
    .venv/bin/python -m benchmarks.flash_sale --scenario cold5k --backend sqlite --runs 1

Scenarios (all taps fed at once, as when an announcement lands in a busy group):
- cold5k: 5,000 never-seen users (no rows, nothing in any cache) for 100 units;
- known5k: 5,000 users whose rows exist, in a freshly started process (its caches are cold) for 100 units;
- cold50k: 50,000 never-seen users for 1,000 units.
Each (scenario, backend, run) runs in its own interpreter, so peak RSS is that run's own.

Per scenario: taps/s (first tap fed -> last tap answered), the share of bare aiogram's taps/s, answer latency
p50/p95/p99, the count of every answer text, failed taps (the error handler's apology in any language, an
exception out of feed_update, an unanswered tap), and the oversold check: units taken (sold), claim rows,
orders and the product's stock must agree and stay within the sale's units. Exits non-zero on any failed tap,
unanswered tap or oversold unit. Printed figures are medians over the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/flash_sale.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Bot, Dispatcher, Router
from aiogram.types import CallbackQuery

from benchmarks._stub import StubSession, apology_texts, stub_bot
from bot import warmup
from bot.callbacks.flashsale import FlashBuyCB

ROOT = Path(__file__).resolve().parent.parent
GROUP_ID = -1_000_000_001
FIRST_USER = 5_000_000
PRODUCT_STOCK_EXTRA = 7  # units the product keeps outside the sale: its stock must end exactly there
SCENARIOS: dict[str, tuple[int, int, bool]] = {  # name: (taps, units, rows exist)
    "cold5k": (5_000, 100, False),
    "known5k": (5_000, 100, True),
    "cold50k": (50_000, 1_000, False),
}


def tap_updates(sale_id: int, users: list[int], first_update: int) -> list[dict[str, Any]]:
    """The updates as Telegram sends them (JSON objects): fed with `feed_raw_update`, each is parsed once with
    the bot bound, as the webhook and long polling do. (An `Update` built without the bot made aiogram re-parse
    it through a JSON round trip in feed_update: about half of bare aiogram's time per tap here.)"""
    data = FlashBuyCB(sale_id=sale_id).pack()
    return [
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
        for i, uid in enumerate(users)
    ]


async def feed(
    dp: Dispatcher, bot: Bot, session: StubSession, updates: list[dict[str, Any]], **kwargs: Any
) -> dict[str, Any]:
    """Feed every update at once; time each until its answerCallbackQuery."""
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    texts: Counter[str] = Counter()
    double = 0

    def on_answer(query_id: str, text: str | None) -> None:
        nonlocal double
        if query_id in answered:
            double += 1
            return
        answered[query_id] = time.perf_counter()
        texts[text or ""] += 1

    session.on_answer = on_answer
    start = time.perf_counter()
    cpu_start = time.process_time()
    tasks = []
    for update in updates:
        sent[update["callback_query"]["id"]] = time.perf_counter()
        tasks.append(asyncio.ensure_future(dp.feed_raw_update(bot, update, **kwargs)))
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    cpu = time.process_time() - cpu_start
    session.on_answer = None
    end = max(answered.values()) if answered else time.perf_counter()
    latencies = sorted(answered[q] - sent[q] for q in answered)

    def pct(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1) if latencies else -1.0

    return {
        "taps": len(updates),
        "seconds": round(end - start, 3),
        "taps_per_s": round(len(updates) / (end - start)) if end > start else 0,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        # This process's CPU (the database server's is not in it): a figure that a busy machine distorts less
        # than taps/s.
        "cpu_ms_per_tap": round(cpu * 1000 / len(updates), 3),
        "answered": len(answered),
        "unanswered": len(updates) - len(answered),
        "answered_twice": double,
        "exceptions": sum(1 for o in outcomes if isinstance(o, BaseException)),
        "texts": texts,
    }


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


async def seed(db: Any, units: int, users: list[int] | None) -> tuple[int, int]:
    """A product, the group, optionally the users' rows, and a live sale of `units`."""
    from sqlalchemy import insert

    from store import flashsale
    from store.models import Category, Chat, Product, User, utcnow

    now = utcnow()
    async with db.tx() as session:
        category = Category(slug="bench", name_en="Bench", name_zh="测试")
        session.add(category)
        await session.flush()
        product = Product(
            sku="FLASH-BENCH",
            category_id=category.id,
            title_en="Rice cooker",
            title_zh="电饭煲",
            price=29900,
            currency="CNY",
            stock=units + PRODUCT_STOCK_EXTRA,
        )
        session.add(product)
        session.add(Chat(id=GROUP_ID, type="supergroup", title="Neighbours", bot_status="administrator"))
        await session.flush()
        product_id = product.id
        if users:
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
                for uid in users
            ]
            for i in range(0, len(rows), 1000):
                await session.execute(insert(User), rows[i : i + 1000])
    spec = flashsale.SaleSpec(
        "FLASH-BENCH", 9900, units, now - timedelta(seconds=1), now + timedelta(hours=1), per_user_limit=1
    )
    sale = await flashsale.create_sale(db, spec, actor_id=None)
    async with db.tx() as session:
        await flashsale.start_sale(session, sale.id, late_by=timedelta(0), grace=timedelta(minutes=5))
    return sale.id, product_id


def known_answers() -> dict[str, str]:
    """A flash tap's answer texts (en and zh, limit 1) by meaning; a repeat tap's answers are all "repeat"."""
    from bot.i18n import LANGUAGES, t

    known: dict[str, str] = {}
    for lang in LANGUAGES:
        for key in ("sold_out", "busy", "retry", "ended", "limit"):
            known[t(lang, f"flashsale.toast.{key}", limit=1)] = key
        for key in ("pending", "busy", "busy_private", "held", "held_private", "limit", "limit_private"):
            known[t(lang, f"flashsale.toast.repeat.{key}", limit=1)] = "repeat"
    return known


def classify(texts: Counter[str]) -> tuple[dict[str, int], int]:
    """Answer texts by meaning (en and zh), and how many were the error handler's apology."""
    known = known_answers()
    apology = apology_texts()
    counts: Counter[str] = Counter()
    failed = 0
    for text, n in texts.items():
        if text in apology:
            counts["APOLOGY"] += n
            failed += n
        elif text.startswith("🎉"):
            counts["won"] += n
        else:
            counts[known.get(text, f"other: {text[:40]}")] += n
    return dict(counts), failed


async def run_one(scenario: str, backend: str) -> dict[str, Any]:
    from sqlalchemy import func, select

    from bot import flash_lane
    from bot.app import create_app
    from bot.config import load_settings
    from store import flashsale
    from store.db import Database
    from store.models import Order, Product, User

    taps, units, rows_exist = SCENARIOS[scenario]
    buyers = list(range(FIRST_USER, FIRST_USER + taps))
    with tempfile.TemporaryDirectory() as tmp:
        async with database_url(backend, Path(tmp)) as url:
            settings = load_settings(ROOT / "config.yaml", database={"url": url})
            db = Database(url)
            settings.telegram.bot_username = "groupcart_bot"
            bot, session = stub_bot()
            app = await create_app(settings, "123456:BENCHMARK", db=db, bot=bot)
            await app.start_background(scheduler=False, outbox=True)
            sale_id, product_id = await seed(db, units, buyers if rows_exist else None)
            try:
                # What the start event does after its commit (bot/jobs/flashsale.py): load the sale's gate; and
                # what a bot's start does in the background (bot/warmup.py): build the Telegram types a tap uses.
                await app.ctx.admission.preload(sale_id)
                warmup.build_telegram_types()
                rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                storm = await feed(app.dp, bot, session, tap_updates(sale_id, buyers, 1))
                rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                await flash_lane.drain(app.ctx)
                bare = await feed(bare_dispatcher(), bot, session, tap_updates(sale_id, buyers, taps + 1))
                sale = await flashsale.get_sale(db, sale_id)
                claims = await flashsale.claims_of(db, sale_id)
                async with db.read() as s:
                    n_orders = (
                        await s.execute(select(func.count()).select_from(Order).where(Order.source_ref == sale_id))
                    ).scalar_one()
                    product_stock = (
                        await s.execute(select(Product.stock).where(Product.id == product_id))
                    ).scalar_one()
                    user_rows = (
                        await s.execute(select(func.count()).select_from(User).where(User.id >= FIRST_USER))
                    ).scalar_one()
                per_user = Counter(u for u, _, _, _ in claims)
                answers, apologies = classify(storm.pop("texts"))
                bare.pop("texts")
                oversold = (
                    max(0, sale.sold - units)
                    + max(0, len(claims) - units)
                    + max(0, n_orders - units)
                    + abs(len(claims) - sale.sold)
                    + abs(n_orders - len(claims))
                    + abs(product_stock - PRODUCT_STOCK_EXTRA)
                    + sum(n - 1 for n in per_user.values() if n > 1)
                )
                failed = apologies + storm["exceptions"] + storm["unanswered"] + storm["answered_twice"]
                return {
                    "scenario": scenario,
                    "backend": backend,
                    "taps": taps,
                    "units": units,
                    "flash": storm,
                    "bare": bare,
                    "share_of_bare": round(storm["taps_per_s"] / bare["taps_per_s"], 3) if bare["taps_per_s"] else 0,
                    "answers": answers,
                    "failed": failed,
                    "sold": sale.sold,
                    "claims": len(claims),
                    "orders": n_orders,
                    "product_stock_left": product_stock - PRODUCT_STOCK_EXTRA,
                    "oversold": oversold,
                    "user_rows": user_rows,
                    "peak_rss_mb": round(rss_peak / 1024),
                    "rss_before_storm_mb": round(rss_before / 1024),
                }
            finally:
                await app.close()


def median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def report(results: list[dict[str, Any]]) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"cores: {cores} (os.cpu_count={os.cpu_count()}), python {sys.version.split()[0]}; medians of the runs")
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in results:
        groups.setdefault((r["scenario"], r["backend"]), []).append(r)
    for (scenario, backend), runs in groups.items():
        f = [r["flash"] for r in runs]
        b = [r["bare"] for r in runs]
        print(
            f"\n[{scenario} / {backend}] {runs[0]['taps']} taps for {runs[0]['units']} units, {len(runs)} run(s)"
            f"\n  flash path: {median([x['taps_per_s'] for x in f]):.0f} taps/s, "
            f"answer p50 {median([x['p50_ms'] for x in f])} ms, p95 {median([x['p95_ms'] for x in f])} ms, "
            f"p99 {median([x['p99_ms'] for x in f])} ms, "
            f"CPU {statistics.median([x['cpu_ms_per_tap'] for x in f]):.3f} ms per tap"
            f"\n  bare aiogram, same updates and stub: {median([x['taps_per_s'] for x in b]):.0f} taps/s, "
            f"CPU {statistics.median([x['cpu_ms_per_tap'] for x in b]):.3f} ms per tap "
            f"-> flash path is {median([r['share_of_bare'] * 100 for r in runs]):.0f}% of bare"
            f"\n  peak RSS {median([r['peak_rss_mb'] for r in runs]):.0f} MB"
            f"\n  per run: failed {[r['failed'] for r in runs]}, OVERSOLD {[r['oversold'] for r in runs]}, "
            f"sold/claims/orders/stock taken {[(r['sold'], r['claims'], r['orders'], r['product_stock_left']) for r in runs]}, "  # noqa: E501
            f"user rows {[r['user_rows'] for r in runs]}"
            f"\n  answers (run 1): {runs[0]['answers']}"
        )
    print("\nJSON " + json.dumps(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--scenario", choices=(*SCENARIOS, "all"), default="all")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", nargs=2, metavar=("SCENARIO", "BACKEND"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    if args.one:
        print("RESULT " + json.dumps(asyncio.run(run_one(args.one[0], args.one[1]))), flush=True)
        return 0
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    scenarios = tuple(SCENARIOS) if args.scenario == "all" else (args.scenario,)
    results: list[dict[str, Any]] = []
    crashed = 0
    for _ in range(args.runs):
        for scenario in scenarios:
            for backend in backends:
                proc = subprocess.run(
                    [sys.executable, "-m", "benchmarks.flash_sale", "--one", scenario, backend],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
                lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
                if proc.returncode != 0 or not lines:
                    crashed += 1
                    print(f"[{scenario} / {backend}] run crashed (rc {proc.returncode}):\n{proc.stderr[-2000:]}")
                    continue
                result = json.loads(lines[-1][len("RESULT ") :])
                print(
                    f"  {scenario}/{backend}: {result['flash']['taps_per_s']} taps/s "
                    f"({result['share_of_bare'] * 100:.0f}% of bare), failed {result['failed']}, "
                    f"oversold {result['oversold']}",
                    flush=True,
                )
                results.append(result)
    report(results)
    bad = crashed + sum(r["failed"] + r["oversold"] for r in results)
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
