"""What a start builds in the background (the search index, the intent classifier), so that polling starts
at once: after a crash a bot has Telegram's 15-second callback window to answer the taps that queued up, and
building the index alone took longer than that on a large catalog. Meanwhile search is served by a SQL
fallback and a question waits for the classifier (milliseconds with its on-disk cache)."""

from __future__ import annotations

import asyncio
import gc
import logging

from bot.app import App

log = logging.getLogger(__name__)

def start(app: App) -> None:
    """Idempotent: a warm spare (`run --standby`) starts the builds while it waits, prepare() finds them."""
    if app.warm_up_tasks:
        return
    engine = app.ctx.search
    engine.warm_up()
    tasks = [task for task in (engine.warming_task, app.ctx.understanding.start_warm_up()) if task is not None]
    app.warm_up_tasks = tasks
    pending = set(tasks)

    def done(task: asyncio.Task[None]) -> None:
        pending.discard(task)
        if not pending:
            # Everything built so far lives as long as the process: keep the collector from re-scanning it
            # during bursts of updates (measured: collections were a visible share of a flash-sale storm).
            gc.collect()
            gc.freeze()
            log.info("warm-up done: search index and classifier ready")

    for task in tasks:
        task.add_done_callback(done)


async def wait(app: App) -> None:
    """Until the background builds are done (tests and the small sandbox want the full index from the start)."""
    await asyncio.gather(*(asyncio.shield(task) for task in app.warm_up_tasks), return_exceptions=True)
