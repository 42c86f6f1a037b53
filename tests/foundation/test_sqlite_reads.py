"""Short SQLite reads run on the event loop's thread (store.sqlite_inline); writes and scans keep aiosqlite's
worker thread. What must hold: reads see committed writes, are not blocked by an open write transaction, fail
like any database error, and never hand work to a thread; a scan does (so a long one leaves the loop free)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, select, text

from store import migrations
from store.db import Database
from store.models import Category


def _with_thread_function(db: Database) -> None:
    """`SELECT thread_id()` answers the id of the thread that runs the statement inside SQLite."""
    for engine in db.engines:
        event.listen(
            engine.sync_engine,
            "connect",
            lambda dbapi, _record: dbapi.create_function("thread_id", 0, threading.get_ident),
        )


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    _with_thread_function(database)
    await migrations.upgrade(database)
    return database


async def test_reads_run_on_the_loop_thread_and_scans_do_not(db: Database) -> None:
    loop_thread = threading.get_ident()
    async with db.read() as session:
        assert (await session.execute(text("SELECT thread_id()"))).scalar_one() == loop_thread
    async with db.scan() as session:
        assert (await session.execute(text("SELECT thread_id()"))).scalar_one() != loop_thread
    async with db.tx() as session:
        assert (await session.execute(text("SELECT thread_id()"))).scalar_one() != loop_thread
    await db.dispose()


async def test_a_read_sees_commits_and_is_not_blocked_by_an_open_write(db: Database) -> None:
    async with db.tx() as session:
        session.add(Category(slug="tea", name_en="Tea", name_zh="茶", position=1))
    wrote = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with db.tx() as session:  # BEGIN IMMEDIATE: holds SQLite's write lock until release
            session.add(Category(slug="fruit", name_en="Fruit", name_zh="水果", position=2))
            await session.flush()
            wrote.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await wrote.wait()
    async with db.read() as session:  # would wait (and block the loop) if readers needed the lock
        slugs = set((await session.scalars(select(Category.slug))).all())
    assert slugs == {"tea"}  # the open transaction's row is not visible yet
    release.set()
    await task
    async with db.read() as session:
        assert set((await session.scalars(select(Category.slug))).all()) == {"tea", "fruit"}
    await db.dispose()


async def test_a_failing_read_raises_and_the_next_one_works(db: Database) -> None:
    with pytest.raises(Exception) as raised:
        async with db.read() as session:
            await session.execute(text("SELECT * FROM no_such_table"))
    assert "no such table" in str(raised.value)
    async with db.read() as session:
        assert (await session.execute(text("SELECT 3"))).scalar_one() == 3
    await db.dispose()


async def test_concurrent_reads_and_writes_stay_consistent(db: Database) -> None:
    async def write(i: int) -> None:
        async with db.tx() as session:
            session.add(Category(slug=f"c{i}", name_en=f"C{i}", name_zh=f"类{i}", position=i))

    async def count() -> int:
        async with db.read() as session:
            return len((await session.scalars(select(Category.id))).all())

    counts: list[int] = []
    for round_ in range(5):
        results = await asyncio.gather(*(write(round_ * 10 + i) for i in range(10)), *(count() for _ in range(10)))
        counts += [r for r in results if isinstance(r, int)]
    assert await count() == 50
    assert len(counts) == 50 and all(0 <= c <= 50 for c in counts)
    await db.dispose()
