"""The wishlist scan: every few minutes, tell shoppers about wished products that got cheaper, came back,
or went into a flash sale or a group buy. Each run schedules the next, so the chain lives in the database
(one run at a time however many processes) and survives restarts; start-up makes sure a link exists."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.scheduler import AfterCommit, JobContext, Scheduler
from store import scheduling
from store.models import utcnow
from store.social import wishlist

SCAN_KIND = "wishlist_scan"
SCAN_EVERY = timedelta(minutes=5)


async def _schedule_next(session: AsyncSession) -> None:
    run_at = utcnow() + SCAN_EVERY
    stamp = run_at.strftime("%Y%m%d%H%M%S")
    await scheduling.schedule(session, SCAN_KIND, stamp, run_at, key=f"{SCAN_KIND}:{stamp}")


async def ensure_wishlist_scan(app: AppContext, _scheduler: Scheduler) -> None:
    async with app.db.tx() as session:
        pending = await scheduling.pending_jobs(session)
        if not any(job.kind == SCAN_KIND for job in pending):
            await _schedule_next(session)


async def scan_wishlists(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    await _schedule_next(session)
    await wishlist.scan(session)
    return None
