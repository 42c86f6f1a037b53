"""Several workers run the same start-up hooks at once: scheduling one event key from all of them creates one
row and fails none (found with two real workers: a duplicate-key error ended one worker's start-up)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from store import scheduling
from store.db import Database
from store.models import ScheduledJob, utcnow


async def test_concurrent_schedule_of_one_key_creates_one_row(any_db: Database) -> None:
    run_at = utcnow() + timedelta(hours=1)
    # SQLite runs one write transaction at a time (no race to provoke): only PostgreSQL meets at the barrier.
    ready = asyncio.Barrier(6 if any_db.url.startswith("postgresql") else 1)

    async def worker() -> None:
        async with any_db.tx() as session:
            await session.execute(select(ScheduledJob.id).where(ScheduledJob.key == "daily:x"))  # both read: none
            await ready.wait()
            await scheduling.schedule(session, "daily", "x", run_at)

    await asyncio.gather(*(worker() for _ in range(6)))
    async with any_db.read() as session:
        count = (await session.execute(select(func.count()).where(ScheduledJob.key == "daily:x"))).scalar_one()
    assert count == 1
