"""Stock checks: right after a commit that placed an order (the products it lowered), and a sweep of every
product every `ops.stock_check_seconds` for the changes no hook sees (group-buy joins, sale starts, imports,
expired reservations bringing stock back for waiting shoppers). Each check is idempotent (store.stock_alerts),
so every process may run the sweep."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import Any

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import analytics
from bot.context import AppContext
from bot.scheduler import AfterCommit, JobContext, Scheduler
from bot.views import ops as ops_views
from store import broadcasts, stock_alerts
from store.models import User, utcnow

log = logging.getLogger(__name__)


async def check_stock(app: AppContext, product_ids: set[int] | None = None) -> list[stock_alerts.LowStock]:
    default = app.settings.ops.low_stock_threshold
    if product_ids is not None:
        async with app.db.read() as session:
            if not await stock_alerts.newly_low(session, default, product_ids):
                return []
    async with app.db.tx() as session:
        admins = await stock_alerts.admin_ids(session, app.settings.admins)
        return await stock_alerts.check(session, default, admins, product_ids)


async def broadcast_progress(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    """One step of a broadcast's progress chain (store.broadcasts): count the rows, redraw the admin's message
    only when the figures changed, and schedule the next step while the broadcast may still change. The chain's
    pace is the throttle: at most one edit per `ops.broadcast_progress_seconds`."""
    ref = broadcasts.ProgressRef.parse(job.ref)
    now = await broadcasts.progress_in(session, ref.broadcast_id)
    if now is None:
        return None
    if now.status == "done":
        await broadcasts.mark_done(session, ref.broadcast_id)
    following = broadcasts.next_step(ref, now)
    if following is not None:
        every = job.app.settings.ops.broadcast_progress_seconds
        await broadcasts.schedule_progress(session, following, utcnow() + timedelta(seconds=every))
    if now.fingerprint == ref.shown:
        return None
    admin = await session.get(User, now.admin_id)
    lang = (admin.language if admin is not None else None) or job.app.settings.shop.default_language
    text, markup = ops_views.broadcast_progress(lang, now)

    async def redraw() -> None:
        # A message the admin deleted, or one edited meanwhile by a tap, is not worth an error.
        with contextlib.suppress(TelegramBadRequest, TelegramForbiddenError):
            await job.app.bot.edit_message_text(
                chat_id=now.admin_id, message_id=ref.message_id, text=text, reply_markup=markup
            )

    return redraw


async def arm_stock_checks(app: AppContext, scheduler: Scheduler) -> None:
    async def after_commit(info: dict[str, Any]) -> None:
        touched = info.get(stock_alerts.SESSION_KEY)
        if touched:
            await check_stock(app, set(touched))

    async def sweep() -> None:
        try:
            await check_stock(app)
        except Exception:
            log.exception("stock sweep failed")

    async def flush_events() -> None:
        try:
            await analytics.flush(app)
        except Exception:
            log.exception("analytics flush failed")

    app.db.on_after_commit(after_commit)
    scheduler.aps.add_job(
        sweep,
        "interval",
        seconds=app.settings.ops.stock_check_seconds,
        id="__stock_sweep__",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
    scheduler.aps.add_job(
        flush_events,
        "interval",
        seconds=app.settings.ops.analytics_flush_seconds,
        id="__analytics_flush__",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
