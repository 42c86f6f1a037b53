"""Daily growth events: points expiry and opt-in check-in reminders. Each run schedules the next one, so the
chain lives in the database and survives restarts; start-up makes sure the first link exists."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.scheduler import AfterCommit, JobContext, Scheduler
from store import notify, scheduling
from store.growth import checkin, points
from store.models import utcnow
from store.rules import policy

EXPIRY_KIND = "points_expiry"
REMINDER_KIND = "checkin_reminders"


def _next_local(app: AppContext, hour: int, after: datetime) -> datetime:
    zone = ZoneInfo(app.settings.shop.timezone)
    local = after.astimezone(zone)
    candidate = datetime.combine(local.date(), time(hour=hour), zone)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(UTC)


async def _ensure(app: AppContext, kind: str, run_at: datetime) -> None:
    async with app.db.tx() as session:
        pending = await scheduling.pending_jobs(session)
        if not any(job.kind == kind for job in pending):
            await scheduling.schedule(session, kind, run_at.date().isoformat(), run_at, key=f"{kind}:{run_at.date()}")


async def ensure_daily_events(app: AppContext, _scheduler: Scheduler) -> None:
    now = utcnow()
    await _ensure(app, EXPIRY_KIND, _next_local(app, 3, now))
    await _ensure(app, REMINDER_KIND, _next_local(app, app.settings.loyalty.reminder_hour, now))


async def expire_points(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    await points.expire_due(session)
    nxt = _next_local(job.app, 3, utcnow())
    await scheduling.schedule(session, EXPIRY_KIND, nxt.date().isoformat(), nxt, key=f"{EXPIRY_KIND}:{nxt.date()}")
    return None


async def remind_checkins(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    nxt = _next_local(job.app, job.app.settings.loyalty.reminder_hour, utcnow())
    await scheduling.schedule(session, REMINDER_KIND, nxt.date().isoformat(), nxt, key=f"{REMINDER_KIND}:{nxt.date()}")
    if job.missed:
        return None  # a reminder hours late is noise
    today = checkin.shop_day(utcnow(), policy(job.app.db))
    for user_id in await checkin.users_to_remind(job.app.db):
        # The outbox paces these under Telegram's limits; the key makes a re-run send nothing twice.
        await notify.enqueue(
            session,
            user_id,
            "growth.checkin_reminder",
            user_id=user_id,
            dedupe_key=f"checkin_reminder:{user_id}:{today}",
        )
    return None
