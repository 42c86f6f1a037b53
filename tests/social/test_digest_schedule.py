"""When the weekly digest runs: the configured shop-time weekday and hour, one pending event rebuilt from the
database at start-up, moved when config.yaml names another time, left alone when it is due."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import time_machine
from sqlalchemy import select

from bot.jobs import digest as digest_jobs
from store.db import Database
from store.models import ScheduledJob
from store.social import digest
from tests.conftest import make_test_settings


def app(db: Database, weekday: int, hour: int) -> Any:
    settings = make_test_settings(shop={"timezone": "Asia/Shanghai"}, digest={"weekday": weekday, "hour": hour})
    return SimpleNamespace(db=db, settings=settings)


async def pending(db: Database) -> list[ScheduledJob]:
    async with db.read() as session:
        query = select(ScheduledJob).where(ScheduledJob.kind == digest_jobs.KIND, ScheduledJob.status == "pending")
        return list((await session.scalars(query)).all())


def test_next_run_is_the_configured_shop_time() -> None:
    friday_six = app(None, 4, 18)  # type: ignore[arg-type]
    # Saturday 2026-12-05 10:00 in Shanghai: next Friday 18:00 there, 10:00 UTC.
    assert digest_jobs.next_run(friday_six, datetime(2026, 12, 5, 2, tzinfo=UTC)) == datetime(
        2026, 12, 11, 10, tzinfo=UTC
    )
    # At the very minute it is due, the next one is a week later (never the same minute twice).
    assert digest_jobs.next_run(friday_six, datetime(2026, 12, 11, 10, tzinfo=UTC)) == datetime(
        2026, 12, 18, 10, tzinfo=UTC
    )
    assert digest.week_of(datetime(2026, 12, 11, 10, tzinfo=UTC), "Asia/Shanghai") == "2026-W50"


async def test_start_up_keeps_one_event_and_follows_the_config(db: Database) -> None:
    with time_machine.travel(datetime(2026, 12, 5, 2, tzinfo=UTC), tick=False):
        await digest_jobs.ensure_weekly_digest(app(db, 4, 18), None)  # type: ignore[arg-type]
        await digest_jobs.ensure_weekly_digest(app(db, 4, 18), None)  # type: ignore[arg-type]
        (event,) = await pending(db)
        assert event.run_at == datetime(2026, 12, 11, 10, tzinfo=UTC)
        # The admin moved it to Monday 09:00: the next start-up moves the waiting event.
        await digest_jobs.ensure_weekly_digest(app(db, 0, 9), None)  # type: ignore[arg-type]
        (moved,) = await pending(db)
        assert moved.run_at == datetime(2026, 12, 7, 1, tzinfo=UTC)
    # A restart at the scheduled minute: the due event is left to fire, nothing is added.
    with time_machine.travel(datetime(2026, 12, 7, 1, 0, 20, tzinfo=UTC), tick=False):
        await digest_jobs.ensure_weekly_digest(app(db, 0, 9), None)  # type: ignore[arg-type]
        assert [job.run_at for job in await pending(db)] == [datetime(2026, 12, 7, 1, tzinfo=UTC)]
