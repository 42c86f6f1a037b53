"""Several processes draining one outbox: each row is claimed by one of them, and on PostgreSQL a process never
waits for rows another has locked (FOR UPDATE SKIP LOCKED); a row abandoned by a dead process comes back, one
another process is sending does not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.config import Settings
from store import notify, outbox_rows
from store.db import Database
from store.models import OutboxMessage, User, utcnow
from tests.backends import fresh_database_url

ROWS = 300


async def _queue(db: Database, n: int) -> list[int]:
    async with db.tx() as session:
        rows = [await notify.enqueue(session, 5_000 + i, "common.ok") for i in range(n)]
        return [row.id for row in rows if row is not None]


@pytest.fixture
async def pg_pair(tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    """Two processes' connection pools on one migrated PostgreSQL database."""
    from store import migrations

    async with fresh_database_url("postgres", tmp_path) as url:
        first, second = Database(url), Database(url)
        await migrations.upgrade(first)
        try:
            yield first, second
        finally:
            await first.dispose()
            await second.dispose()


async def _drain(db: Database) -> list[int]:
    taken: list[int] = []
    while batch := await outbox_rows.claim_due(db, 7):
        taken += [row.id for row in batch]
        await asyncio.sleep(0)
    return taken


async def test_each_row_is_claimed_by_one_process(any_db: Database) -> None:
    ids = await _queue(any_db, ROWS)
    a, b, c = await asyncio.gather(_drain(any_db), _drain(any_db), _drain(any_db))
    assert sorted(a + b + c) == ids  # every row once: none twice, none left


@pytest.mark.postgres
async def test_a_process_skips_rows_another_has_locked(pg_pair: tuple[Database, Database]) -> None:
    first, second = pg_pair
    ids = await _queue(first, 20)
    async with first.tx() as session:  # the other process, mid-claim, holds the oldest ten
        locked = (
            (await session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id).limit(10).with_for_update()))
            .scalars()
            .all()
        )
        taken = await asyncio.wait_for(outbox_rows.claim_due(second, 50), timeout=10)
        assert sorted(row.id for row in taken) == ids[10:]  # not blocked, and nothing locked was taken
    assert list(locked) == ids[:10]
    assert sorted(row.id for row in await outbox_rows.claim_due(second, 50)) == ids[:10]


async def test_requeue_takes_back_abandoned_rows_only(any_db: Database) -> None:
    old, fresh = await _queue(any_db, 2)
    async with any_db.tx() as session:  # both created long ago: created_at must not decide
        await session.execute(update(OutboxMessage).values(created_at=utcnow() - timedelta(hours=1)))
    claimed = await outbox_rows.claim_due(any_db, 10)
    assert sorted(row.id for row in claimed) == [old, fresh]
    async with any_db.tx() as session:  # `old`'s process died ten minutes ago; `fresh` is being sent right now
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == old).values(not_before=utcnow() - timedelta(minutes=10))
        )
    assert await outbox_rows.requeue_stuck(any_db) == 1
    assert [row.id for row in await outbox_rows.claim_due(any_db, 10)] == [old]


async def test_renewed_claims_stay_with_their_sender(any_db: Database) -> None:
    alive, dead = await _queue(any_db, 2)
    await outbox_rows.claim_due(any_db, 10)
    async with any_db.tx() as session:  # both claimed a minute ago, past the lease
        await session.execute(update(OutboxMessage).values(not_before=utcnow() - timedelta(minutes=1)))
    await outbox_rows.renew(any_db, [alive])  # its sender is still pacing through its batch
    assert await outbox_rows.requeue_stuck(any_db) == 1
    assert [row.id for row in await outbox_rows.claim_due(any_db, 10)] == [dead]


async def test_a_sender_pacing_through_its_batch_keeps_its_claims(
    any_db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three messages to one chat take two seconds (about one a second per chat); another process taking back
    claims older than half a second meanwhile must find none of the batch's, or it would send them again."""
    from bot import outbox
    from bot.app import standard_wiring
    from bot.context import AppContext
    from tests.stubs import stub_bot

    monkeypatch.setattr(outbox, "RENEW_EVERY_SECONDS", 0.1)
    async with any_db.tx() as session:
        session.add(User(id=51, first_name="U", language="en"))
        for _ in range(3):
            await notify.notify_user(session, 51, "menu.cart")
    bot, stub = stub_bot()
    sender = outbox.OutboxSender(AppContext(settings=settings, db=any_db, bot=bot, wiring=standard_wiring()))
    taken_back = 0

    async def other_process() -> None:
        nonlocal taken_back
        while True:
            taken_back += await outbox_rows.requeue_stuck(any_db, older_than=timedelta(seconds=0.5))
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(other_process())
    try:
        assert await sender.drain_once()
    finally:
        watcher.cancel()
    assert taken_back == 0
    assert len(stub.sent_to(51)) == 3
    assert await outbox_rows.pending_count(any_db) == 0
