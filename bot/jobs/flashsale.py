"""Flash-sale start and end events (rows `flash_start:<id>` / `flash_end:<id>` in scheduled_jobs).

Each runs inside the transaction that claimed the event, and the store performs a conditional transition
(`WHERE status = 'scheduled'` / `'live'`), so with two bot processes, or after a restart that missed the time,
a sale starts and ends exactly once. The announcements and card edits are outbox rows written in the same
transaction, delivered paced by the outbox sender.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

import bot.views.flashsale  # noqa: F401  (registers the outbox renderers)
from bot.admission import admission_for
from bot.scheduler import AfterCommit, JobContext, job_handler
from store import flashsale

log = logging.getLogger(__name__)


def _not_for_shoppers(job: JobContext) -> tuple[int, ...]:
    """The support forum is a supergroup the bot administers, but it is the agents' room, not a shop window."""
    support = job.app.settings.support.chat_id
    return () if support is None else (int(support),)


@job_handler(flashsale.START_JOB)
async def start(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    settings = job.app.settings
    outcome = await flashsale.start_sale(
        session,
        int(job.ref),
        late_by=job.late_by,
        grace=timedelta(seconds=settings.flashsale.start_grace_seconds),
        admin_ids=settings.admins,
        exclude_chats=_not_for_shoppers(job),
    )
    log.info(
        "flash sale %s start: %s (%d groups, %d subscribers, late by %.1fs)",
        job.ref,
        outcome.status,
        outcome.groups,
        outcome.subscribers,
        job.late_by.total_seconds(),
    )
    if outcome.status != flashsale.LIVE:
        return None
    gate = admission_for(job.app)
    sale_id = int(job.ref)

    async def preload() -> None:
        await gate.preload(sale_id)

    return preload


@job_handler(flashsale.PUBLIC_JOB)
async def open_to_everyone(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    outcome = await flashsale.open_to_everyone(session, int(job.ref), _not_for_shoppers(job))
    log.info("flash sale %s public start: %s (%d groups)", job.ref, outcome.status, outcome.groups)
    return None


@job_handler(flashsale.END_JOB)
async def end(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    ended = await flashsale.end_sale(session, int(job.ref), admin_ids=job.app.settings.admins)
    log.info("flash sale %s end: %s", job.ref, "ended" if ended else "nothing to do")
    return None
