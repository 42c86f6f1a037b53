"""Stock checks: right after a commit that placed an order (the products it lowered), and a sweep of every
product every `ops.stock_check_seconds` for the changes no hook sees (group-buy joins, sale starts, imports,
expired reservations bringing stock back for waiting shoppers). Each check is idempotent (store.stock_alerts),
so every process may run the sweep."""

from __future__ import annotations

import logging
from typing import Any

from bot import analytics
from bot.context import AppContext
from bot.scheduler import Scheduler
from store import stock_alerts

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
