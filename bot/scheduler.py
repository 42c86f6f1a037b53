"""Timed events from database rows (store.scheduling) run through APScheduler.

At start-up every pending row gets a date job; after each commit that scheduled something the new rows are
armed too; a periodic sweep picks up rows written by other processes. Firing claims the row with a
conditional update inside the transaction that performs the event, so each event happens exactly once
however many processes armed it. A job handler is thin: ids in, one store service call, and it may return a
coroutine function to run after commit (e.g. editing a group card).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from store import scheduling

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class JobContext:
    app: AppContext
    ref: str
    run_at: datetime
    late_by: timedelta

    @property
    def missed(self) -> bool:
        """Later than the configured grace (the process was down at the time)."""
        return self.late_by.total_seconds() > self.app.settings.scheduler.grace_seconds


JobHandler = Callable[[JobContext, AsyncSession], Awaitable[AfterCommit | None]]


# Run at start-up with the scheduler itself (e.g. make sure a daily event exists, add an interval job).
StartupHook = Callable[[AppContext, "Scheduler"], Awaitable[None]]


class Scheduler:
    def __init__(self, app: AppContext) -> None:
        self.app = app
        self.aps = AsyncIOScheduler(timezone=UTC)
        self._started = False
        self._stopping = False
        # Events being performed by this scheduler: stop() lets them finish (APScheduler's shutdown cancels the
        # coroutines it runs, and AsyncIOScheduler's shutdown(wait=True) does not await them either).
        self._in_flight: set[asyncio.Task[bool]] = set()

    async def start(self) -> None:
        self._stopping = False
        self.app.db.on_after_commit(self._after_commit)
        for hook in self.app.wiring.startup:
            await hook(self.app, self)
        async with self.app.db.read() as session:
            pending = await scheduling.pending_jobs(session)
        for job in pending:
            self.arm(job.id, job.kind, job.run_at)
        self.aps.add_job(
            self.sweep,
            "interval",
            seconds=self.app.settings.scheduler.sweep_seconds,
            id="__sweep__",
            max_instances=1,
            coalesce=True,
        )
        self.aps.start()
        self._started = True
        log.info("scheduler started with %d pending events", len(pending))

    async def stop(self) -> None:
        """Stop arming and firing; events already being performed finish (commit or roll back) first, so a
        shutdown never cuts an event's transaction and its after-commit step in half."""
        self._stopping = True
        if self._started:
            self.aps.shutdown(wait=False)
            self._started = False
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    def _spawn(self, job_id: int) -> asyncio.Task[bool]:
        task = asyncio.create_task(self.fire(job_id), name=f"scheduled-event:{job_id}")
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return task

    async def _fire_armed(self, job_id: int) -> bool:
        """What APScheduler runs: the event in a task of its own, shielded from APScheduler's cancellation."""
        if self._stopping:
            return False
        return await asyncio.shield(self._spawn(job_id))

    def arm(self, job_id: int, kind: str, run_at: datetime) -> None:
        now = datetime.now(UTC)
        self.aps.add_job(
            self._fire_armed,
            "date",
            run_date=max(run_at, now),
            args=[job_id],
            id=f"job:{job_id}",
            replace_existing=True,
            misfire_grace_time=None,
        )

    async def _after_commit(self, info: dict[str, Any]) -> None:
        for job in info.get(scheduling.SESSION_KEY, []):
            if job.status == "pending":
                self.arm(job.id, job.kind, job.run_at)

    async def sweep(self) -> None:
        """Fire whatever is due and not yet taken (rows from other processes, or jobs lost by APScheduler)."""
        async with self.app.db.read() as session:
            due = await scheduling.pending_jobs(session, due_before=datetime.now(UTC))
        for job in due:
            await self._fire_armed(job.id)

    async def fire(self, job_id: int) -> bool:
        """Perform the event once; False when it was already done or taken by another process."""
        after: AfterCommit | None = None
        try:
            async with self.app.db.tx() as session:
                job = await scheduling.claim(session, job_id)
                if job is None:
                    return False
                handler = self.app.wiring.jobs.get(job.kind)
                if handler is None:
                    await scheduling.finish(session, job.id, "failed", f"no handler for {job.kind}")
                    log.error("no handler for scheduled event %s", job.key)
                    return False
                jctx = JobContext(self.app, job.ref, job.run_at, datetime.now(UTC) - job.run_at)
                after = await handler(jctx, session)
                await scheduling.finish(session, job.id, "done")
        except Exception as exc:
            log.exception("scheduled event %s failed", job_id)
            await self._mark_failed(job_id, repr(exc))
            return False
        if after is not None:
            try:
                await after()
            except Exception:
                log.exception("after-commit step of event %s failed", job_id)
        return True

    async def _mark_failed(self, job_id: int, error: str) -> None:
        async with self.app.db.tx() as session:
            await scheduling.finish(session, job_id, "failed", error[:2000])
