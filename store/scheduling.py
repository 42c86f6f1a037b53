"""Scheduled events as database rows (DESIGN.md: the database is the source of truth).

A feature schedules an event inside its own transaction with `schedule()`. The bot's scheduler arms an
APScheduler job for every pending row at start-up and after each commit, and fires it through `claim()`,
a conditional update, so an event runs once even with several processes or after a missed restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import rowcount
from store.models import ScheduledJob, utcnow

SESSION_KEY = "scheduled_jobs"


@dataclass(frozen=True)
class JobRef:
    id: int
    key: str
    kind: str
    ref: str
    run_at: datetime


def _remember(session: AsyncSession, job: ScheduledJob) -> None:
    session.info.setdefault(SESSION_KEY, []).append(job)


async def schedule(
    session: AsyncSession, kind: str, ref: str | int, run_at: datetime, *, key: str | None = None
) -> ScheduledJob:
    """Create or move the pending event `key` (default `<kind>:<ref>`) to `run_at`."""
    job_key = key or f"{kind}:{ref}"
    job = (await session.execute(select(ScheduledJob).where(ScheduledJob.key == job_key))).scalar_one_or_none()
    created = False
    if job is None:
        try:
            async with session.begin_nested():
                job = ScheduledJob(key=job_key, kind=kind, ref=str(ref), run_at=run_at, status="pending")
                session.add(job)
            created = True
        except IntegrityError:
            # Another process (several workers run the same start-up hooks) created it since our read.
            job = (await session.execute(select(ScheduledJob).where(ScheduledJob.key == job_key))).scalar_one()
    if not created:
        job.run_at = run_at
        job.status = "pending"
        job.finished_at = None
    await session.flush()
    _remember(session, job)
    return job


async def schedule_many(session: AsyncSession, kind: str, events: Sequence[tuple[str | int, datetime, str]]) -> None:
    """`schedule` for many events (ref, run_at, key) in one statement: created, or moved when the key exists."""
    if not events:
        return
    stmt = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(ScheduledJob)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={"run_at": stmt.excluded.run_at, "status": "pending", "finished_at": None},
    )
    jobs = await session.scalars(
        stmt.returning(ScheduledJob, sort_by_parameter_order=True),
        [
            {"key": key, "kind": kind, "ref": str(ref), "run_at": run_at, "status": "pending"}
            for ref, run_at, key in events
        ],
    )
    for job in jobs.all():
        _remember(session, job)


async def cancel(session: AsyncSession, key: str) -> bool:
    result = await session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.key == key, ScheduledJob.status == "pending")
        .values(status="cancelled", finished_at=utcnow())
    )
    return bool(rowcount(result))


async def claim(session: AsyncSession, job_id: int) -> ScheduledJob | None:
    """Take a due job for this process: pending -> running. None when another process took it."""
    result = await session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.id == job_id, ScheduledJob.status == "pending")
        .values(status="running", attempts=ScheduledJob.attempts + 1)
    )
    if not rowcount(result):
        return None
    return await session.get(ScheduledJob, job_id, populate_existing=True)


async def finish(session: AsyncSession, job_id: int, status: str = "done", error: str | None = None) -> None:
    await session.execute(
        update(ScheduledJob).where(ScheduledJob.id == job_id).values(status=status, finished_at=utcnow(), error=error)
    )


async def pending_jobs(session: AsyncSession, due_before: datetime | None = None) -> list[JobRef]:
    query = select(ScheduledJob).where(ScheduledJob.status == "pending")
    if due_before is not None:
        query = query.where(ScheduledJob.run_at <= due_before)
    rows = (await session.execute(query.order_by(ScheduledJob.run_at))).scalars().all()
    return [JobRef(r.id, r.key, r.kind, r.ref, r.run_at) for r in rows]
