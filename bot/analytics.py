"""The process's event counter (store.analytics.events): handlers count card views and cart adds here, a
scheduler job writes them in batches (bot/jobs/ops.py). Counting is a dictionary increment: no I/O."""

from __future__ import annotations

from bot.context import AppContext
from store.analytics import ADD, VIEW
from store.analytics.events import EventCounter


def counter(ctx: AppContext) -> EventCounter:
    return ctx.events


def viewed(ctx: AppContext, product_id: int) -> None:
    counter(ctx).count(VIEW, product_id)


def added(ctx: AppContext, product_id: int, quantity: int = 1) -> None:
    counter(ctx).count(ADD, product_id)


async def flush(ctx: AppContext) -> None:
    await counter(ctx).flush(ctx.db)
