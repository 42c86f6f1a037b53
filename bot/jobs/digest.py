"""The weekly group digest event (`group_digest:<date>` in scheduled_jobs) at the configured shop-time day and
hour. Each run schedules the next week's, so the chain lives in the database and survives restarts; start-up
makes sure one link exists and follows a changed day or hour in config.yaml.

The cards are outbox rows (paced under each group's limits by the sender), keyed by group and ISO week: a
restart at the scheduled minute, or a second event in the same week, queues nothing twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.scheduler import AfterCommit, JobContext, Scheduler
from store import scheduling
from store.models import utcnow
from store.social import digest

log = logging.getLogger(__name__)

KIND = "group_digest"
# "This week" read hours later is stale news (the bot was down at the time): that week is skipped.
TOO_LATE = timedelta(hours=6)


def next_run(app: AppContext, after: datetime) -> datetime:
    """The first configured weekday and hour (shop time) strictly after `after`, in UTC."""
    zone = ZoneInfo(app.settings.shop.timezone)
    config = app.settings.digest
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=(config.weekday - local.weekday()) % 7)
    candidate = datetime.combine(day, time(hour=config.hour), zone)
    if candidate <= local:
        candidate = datetime.combine(day + timedelta(days=7), time(hour=config.hour), zone)
    return candidate.astimezone(UTC)


def _key(run_at: datetime) -> str:
    return f"{KIND}:{run_at.date().isoformat()}"


async def _schedule(session: AsyncSession, run_at: datetime) -> None:
    await scheduling.schedule(session, KIND, run_at.date().isoformat(), run_at, key=_key(run_at))


async def ensure_weekly_digest(app: AppContext, _scheduler: Scheduler) -> None:
    """Start-up: one pending digest event at the configured time. A due one (a restart at the scheduled
    minute) is left to fire; a future one at another time (config changed) moves."""
    now = utcnow()
    wanted = next_run(app, now)
    async with app.db.tx() as session:
        pending = [job for job in await scheduling.pending_jobs(session) if job.kind == KIND]
        if any(job.run_at <= now or job.run_at == wanted for job in pending):
            return
        for job in pending:
            await scheduling.cancel(session, job.key)
        await _schedule(session, wanted)


def _not_for_shoppers(app: AppContext) -> tuple[int, ...]:
    """The support forum is a group the bot is in, but it is the agents' room, not a shop window."""
    support = app.settings.support.chat_id
    return () if support is None else (int(support),)


async def send_weekly_digest(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    app = job.app
    await _schedule(session, next_run(app, max(utcnow(), job.run_at)))
    if job.late_by > TOO_LATE:
        log.info("group digest of %s skipped: %s late", job.ref, job.late_by)
        return None
    # The week is the scheduled time's, not the firing time's: a late run still counts for its own week.
    week = digest.week_of(job.run_at, app.settings.shop.timezone)
    queued = await digest.enqueue_week(session, utcnow(), week, _not_for_shoppers(app))
    log.info("group digest %s: %d cards queued", week, queued)
    return None
