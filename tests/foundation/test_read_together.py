"""`Database.read_together()`: several short reads of one task as one read transaction (a product card's six
reads), on SQLite and PostgreSQL. What must hold: reads inside the block share one session and see the database
as it was, a task started inside the block and reads after it get their own, a read that failed inside the
block does not poison the ones after it, and a card drawn in the real bot opens at most two read transactions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, select, text

from bot.emulator.client import MessageView
from bot.sandbox import Stack
from store import migrations
from store.db import Database
from store.models import Category


async def test_reads_inside_the_block_share_one_session_and_reads_after_it_do_not(any_db: Database) -> None:
    async with any_db.tx() as session:
        session.add(Category(slug="tea", name_en="Tea", name_zh="茶", position=1))
    async with any_db.read_together():
        async with any_db.read() as first:
            assert (await first.scalars(select(Category.slug))).all() == ["tea"]
        async with any_db.read() as second:
            assert second is first
            assert (await second.execute(text("SELECT 7"))).scalar_one() == 7
        async with any_db.read_together(), any_db.read() as nested:  # a nested block reuses the outer one
            assert nested is first
    async with any_db.read() as after:
        assert after is not first
        assert (await after.scalars(select(Category.slug))).all() == ["tea"]


async def test_a_task_started_inside_the_block_gets_its_own_session(any_db: Database) -> None:
    sessions: list[Any] = []

    async def elsewhere() -> None:
        async with any_db.read() as session:
            sessions.append(session)
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1

    async with any_db.read_together():
        async with any_db.read() as mine:
            pass
        task = asyncio.create_task(elsewhere())  # copies the context, so it sees the shared session's marker
        await task
        late = asyncio.create_task(elsewhere())
    await late  # runs after the block closed its session: must not be handed the closed one
    assert len(sessions) == 2 and all(session is not mine for session in sessions)


async def test_a_failed_read_inside_the_block_does_not_poison_the_reads_after_it(any_db: Database) -> None:
    async with any_db.read_together():
        with pytest.raises(Exception, match=r"no_such_table|no such table"):
            async with any_db.read() as session:
                await session.execute(text("SELECT * FROM no_such_table"))
        # On PostgreSQL the shared transaction is aborted now; the next read must open a fresh one.
        async with any_db.read() as session:
            assert (await session.execute(text("SELECT 3"))).scalar_one() == 3


async def test_a_second_database_in_the_block_reads_through_its_own_session(any_db: Database, tmp_path: Any) -> None:
    other = Database(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    await migrations.upgrade(other)
    async with any_db.read_together(), any_db.read() as mine, other.read() as theirs:
        assert mine is not theirs
        assert (await theirs.scalars(select(Category.slug))).all() == []
    await other.dispose()


@pytest.mark.seeded
async def test_a_card_redraw_reads_in_at_most_two_transactions(shop: Stack) -> None:
    begins = 0

    def count(_conn: Any) -> None:
        nonlocal begins
        task = asyncio.current_task()
        if task is None or task.get_coro().__qualname__ != "run_coroutine_job":  # not the scheduler's sweep
            begins += 1

    erin = await shop.client.user("Erin")
    await erin.send("/start")
    await erin.open_deeplink("p_VEG-POTATO")
    card = await erin.last_message()
    assert isinstance(card, MessageView) and "Qty: 1" in [b.text for row in card.buttons for b in row]
    event.listen(shop.db.read_engine.sync_engine, "begin", count)
    try:
        result = await erin.tap("➕", message=card)
        await shop.client.settle()
    finally:
        event.remove(shop.db.read_engine.sync_engine, "begin", count)
    assert result.raw.get("answered")
    redrawn = await erin.last_message()
    assert redrawn is not None and "Qty: 2" in [b.text for row in redrawn.buttons for b in row]
    assert not await shop.client.error_responses()
    # The product (its own read), then price, flash price, cart quantity, heart, suggestions and rating together.
    assert 1 <= begins <= 2, begins
