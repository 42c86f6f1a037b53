"""What a start builds in the background (the search index, the intent classifier), so that polling starts
at once: after a crash a bot has Telegram's 15-second callback window to answer the taps that queued up, and
building the index alone took longer than that on a large catalog. Meanwhile search is served by a SQL
fallback and a question waits for the classifier (milliseconds with its on-disk cache)."""

from __future__ import annotations

import asyncio
import gc
import logging

from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, EditMessageText, SendMessage
from aiogram.types import Update

from bot.app import App

log = logging.getLogger(__name__)


def start(app: App) -> None:
    """Idempotent: a warm spare (`run --standby`) starts the builds while it waits, prepare() finds them."""
    if app.warm_up_tasks:
        return
    engine = app.ctx.search
    engine.warm_up()
    types = asyncio.create_task(_build_telegram_types(), name="warm-up: telegram types")
    tasks = [task for task in (engine.warming_task, app.ctx.understanding.start_warm_up(), types) if task is not None]
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


def build_telegram_types() -> None:
    """aiogram's Telegram types and methods are built at first use (bot/lazy_models.py). An Update's validator
    is most of them (Message, CallbackQuery and what they hold): about 0.5 s of CPU here, which the first update
    after a start would pay, in a flash sale the first tap of the storm. Built here with the methods every tap
    and card answer with, so the first crowd does not. Idempotent (pydantic builds a model once)."""
    Update.model_validate({"update_id": 0})
    AnswerCallbackQuery(callback_query_id="0")
    SendMessage(chat_id=0, text="-")
    EditMessageText(chat_id=0, message_id=1, text="-")
    EditMessageReplyMarkup(chat_id=0, message_id=1)


async def _build_telegram_types() -> None:
    await asyncio.sleep(0)  # polling starts first; an update arriving meanwhile builds what it needs itself
    build_telegram_types()


async def wait(app: App) -> None:
    """Until the background builds are done (tests and the small sandbox want the full index from the start)."""
    await asyncio.gather(*(asyncio.shield(task) for task in app.warm_up_tasks), return_exceptions=True)
