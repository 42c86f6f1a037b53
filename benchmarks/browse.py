"""Browse benchmark: handler latency of a product card, a catalog page and a search, at 10,000 and 100,000
products, against bare aiogram dispatch.

The real app (`bot.app.create_app`) runs on an SQLite database in a temporary folder filled with generated
bilingual products; its Bot talks to an in-memory stub (benchmarks/_stub.py), so no HTTP happens. Each sample
is one `dp.feed_update(bot, update)`: middlewares, FSM storage, routing, handler, database and the (stubbed)
Bot API calls.

    .venv/bin/python -m benchmarks.browse [--sizes 10000,100000] [--iterations 300]

Targets: card and page p95 <= 5 ms, search p95 <= 20 ms at 100,000 products.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiogram
import sqlalchemy
from aiogram import Dispatcher, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Message, Update
from sqlalchemy import select, update

from benchmarks._stub import (
    BOT_USERNAME,
    TOKEN,
    Stats,
    StubSession,
    Updates,
    generate_catalog,
    measure,
    stats,
    stub_bot,
)
from bot.app import App, create_app
from bot.config import Settings, load_settings
from store import migrations
from store.db import Database
from store.models import Product, utcnow
from store.search import search_products

ROOT = Path(__file__).resolve().parent.parent

TYPICAL_QUERIES = (
    "green tea",
    "apple",
    "organic rice",
    "chocolate",
    "yunnan coffee",
    "milk 1 L",
    "苹果",
    "绿茶",
    "有机大米",
    "云南咖啡",
    "shampoo <50",
    "beef",
)
TYPO_QUERIES = ("choclate", "banan", "appel", "gren tea", "strawbery", "shampo", "cofee", "detergant", "tomatoe")
USERS = 64


class ErrorCounter(logging.Handler):
    """Handler failures are answered with an apology by the app's error handler: count them, so a fast but
    failing path cannot pass for a fast one."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.first) < 3:
            self.first.append(record.getMessage()[:300])


ERRORS = ErrorCounter()


class Bench:
    def __init__(self, app: App, session: StubSession) -> None:
        self.app = app
        self.session = session
        self.updates = Updates()
        self.unhandled: dict[str, int] = {}

    async def feed(self, name: str, update: Update) -> None:
        result = await self.app.dp.feed_update(self.app.bot, update)
        if result is UNHANDLED:
            self.unhandled[name] = self.unhandled.get(name, 0) + 1

    def user(self, i: int) -> int:
        return 10_000 + (i % USERS)


def _settings() -> Settings:
    return load_settings(ROOT / "config.yaml", telegram={"bot_username": BOT_USERNAME})


async def _app(db: Database) -> tuple[App, StubSession]:
    bot, session = stub_bot()
    app = await create_app(_settings(), TOKEN, db=db, migrate=False, bot=bot)
    return app, session


async def _products(db: Database) -> tuple[list[tuple[int, str, int]], dict[int, list[int]]]:
    async with db.read() as session:
        rows = [
            (int(r.id), str(r.sku), int(r.category_id))
            for r in await session.execute(select(Product.id, Product.sku, Product.category_id))
        ]
    by_category: dict[int, list[int]] = {}
    for pid, _sku, cat in rows:
        by_category.setdefault(cat, []).append(pid)
    return rows, by_category


def _catalog_callbacks() -> tuple[Any, Any] | None:
    try:
        from bot.callbacks.catalog import CategoryCB, ProductCB
    except ImportError:
        return None
    return CategoryCB, ProductCB


async def run_size(size: int, iterations: int, folder: Path) -> list[str]:
    out: list[str] = []
    db = Database(f"sqlite+aiosqlite:///{folder / f'browse-{size}.db'}")
    await migrations.upgrade(db)
    generated = await generate_catalog(db, size)
    out.append(f"== {size:,} products ({generated.categories} categories; bulk insert {generated.seconds:.1f} s)")
    app, session = await _app(db)
    bench = Bench(app, session)
    rng = random.Random(11)
    products, by_category = await _products(db)
    try:
        for i in range(USERS):  # returning shoppers: their rows exist and the user middleware knows them
            await bench.feed("warm", bench.updates.message(bench.user(i), "/help"))
        started = time.perf_counter()
        engine = app.ctx.search
        await engine.current(app.ctx.settings.catalog.search_refresh_seconds)
        out.append(f"search index build: {time.perf_counter() - started:.2f} s ({len(engine.index or [])} products)")

        results: list[Stats] = []

        async def timed(name: str, make: Callable[[int], Update]) -> None:
            async def one(i: int) -> None:
                await bench.feed(name, make(i))

            results.append(await measure(name, iterations, one))

        callbacks = _catalog_callbacks()
        if callbacks is not None:
            category_cb, product_cb = callbacks
            await timed(
                "card open (ProductCB callback)",
                lambda i: bench.updates.callback(
                    bench.user(i), product_cb(a="open", p=rng.choice(products)[0], o="x").pack()
                ),
            )
            await timed(
                "card open (deep link /start p_<sku>)",
                lambda i: bench.updates.message(bench.user(i), f"/start p_{rng.choice(products)[1]}"),
            )
            categories = list(by_category)

            def page(i: int) -> Update:
                cat = rng.choice(categories)
                ids = by_category[cat]
                anchor = ids[rng.randrange(len(ids) // 2)]
                return bench.updates.callback(bench.user(i), category_cb(c=cat, s=anchor, n=3).pack())

            await timed("catalog page (next page callback)", page)
        await timed(
            "search /search typical words",
            lambda i: bench.updates.message(bench.user(i), f"/search {TYPICAL_QUERIES[i % len(TYPICAL_QUERIES)]}"),
        )
        await timed(
            "search /search typo'd words",
            lambda i: bench.updates.message(bench.user(i), f"/search {TYPO_QUERIES[i % len(TYPO_QUERIES)]}"),
        )
        queries = TYPICAL_QUERIES + TYPO_QUERIES

        async def store_only(i: int) -> None:
            await search_products(app.ctx.search, queries[i % len(queries)], refresh_seconds=3600)

        results.append(await measure("  (store.search.search_products alone)", iterations, store_only))
        from bot.callbacks.search import SearchCB
        from store.search import SearchTarget, new_state_id, save_targets

        # what the results messages' buttons point at (saved when those messages were sent)
        sorts = ("price_asc", "price_desc", "newest", "relevance")
        state_id = new_state_id()
        targets = [SearchTarget(TYPICAL_QUERIES[i % 6], sort=sorts[i % 4], page=i % 3) for i in range(24)]
        await save_targets(db, state_id, targets)
        await timed(
            "search sort/page button (edit)",
            lambda i: bench.updates.callback(bench.user(i), SearchCB(s=state_id, i=i % len(targets)).pack()),
        )
        await engine.close()
        app.ctx.settings.catalog.search_refresh_seconds = 0.0
        await timed(
            "search, waiting for a change check each",
            lambda i: bench.updates.message(bench.user(i), f"/search {TYPICAL_QUERIES[i % len(TYPICAL_QUERIES)]}"),
        )
        results.append(await _freshness(db, engine, products, iterations))
        out += [r.line() for r in results]
        if bench.unhandled:
            out.append(f"NOT HANDLED (no handler matched): {bench.unhandled}")
        out.append(f"errors logged: {ERRORS.count} {ERRORS.first}")
        out.append(f"Bot API calls answered by the stub: {dict(session.calls)}")
    finally:
        await app.ctx.search.close()
        await app.close()
    return out


async def _freshness(db: Database, engine: Any, products: list[tuple[int, str, int]], iterations: int) -> Stats:
    """One product edited, then the next search's change check picks it up (the cost a search pays)."""
    rng = random.Random(5)
    samples: list[float] = []
    cpu: list[float] = []
    for i in range(min(iterations, 100)):
        pid = rng.choice(products)[0]
        async with db.tx() as session:
            await session.execute(
                update(Product).where(Product.id == pid).values(title_en=f"Renamed product {i}", updated_at=utcnow())
            )
        cpu_started = time.process_time()
        started = time.perf_counter()
        await engine.current(0)
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return stats("index refresh after one product edit", samples, cpu)


async def baseline(iterations: int) -> str:
    """Bare aiogram: one Dispatcher, one handler answering a message, the same stub session."""
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer("ok")

    dp = Dispatcher()
    dp.include_router(router)
    bot, _session = stub_bot()
    updates = Updates()

    async def one(i: int) -> None:
        await dp.feed_update(bot, updates.message(10_000 + i % USERS, "hello"))

    result = await measure("bare aiogram dispatch (one handler)", iterations, one)
    await bot.session.close()
    return result.line()


async def main(sizes: list[int], iterations: int) -> None:
    print(
        f"cores={os.cpu_count()} python={platform.python_version()} aiogram={aiogram.__version__} "
        f"sqlalchemy={sqlalchemy.__version__} platform={platform.platform()}",
        flush=True,
    )
    print(await baseline(iterations), flush=True)
    with tempfile.TemporaryDirectory(prefix="groupcart-browse-") as tmp:
        for size in sizes:
            for line in await run_size(size, iterations, Path(tmp)):
                print(line, flush=True)
    print(await baseline(iterations), flush=True)


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated product counts")
    parser.add_argument("--iterations", type=int, default=300, help="samples per measurement")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().addHandler(ERRORS)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    asyncio.run(main(sizes, args.iterations))
    if ERRORS.count:
        # A fast path that failed is not a result: a run with any logged error (an apology sent) fails.
        print(f"FAILED: {ERRORS.count} errors logged, e.g. {ERRORS.first}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    cli(sys.argv[1:])
