"""Group-buy events and the group card's life.

- `groupbuy_deadline`: closes the buy once (succeeded / failed) inside the claiming transaction; the card is
  redrawn after commit. Reaching the maximum moves this event to "now".
- `groupbuy_tick`: redraws the countdown every `countdown_refresh_seconds` while the buy is open.
- Cards are redrawn through bot/groupbuy_cards.py, paced per group chat.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.groupbuy_cards import policy, refresher
from bot.scheduler import AfterCommit, JobContext
from store import groupbuy
from store.groupbuy import GroupBuyView

log = logging.getLogger(__name__)


def _redraw(ctx: AppContext, view: GroupBuyView, *, ended: bool = False) -> AfterCommit:
    async def after() -> None:
        cards = refresher(ctx)
        cards.request(view.chat_id, view.id, ended=ended)
        if ended:
            cards.request_panels(view.id)  # participants' private panels show how it ended

    return after


async def deadline(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    outcome = await groupbuy.close(session, int(job.ref), policy(job.app.settings))
    if outcome.status == "noop":
        return None
    log.info("group buy %s closed: %s (%d orders)", job.ref, outcome.status, len(outcome.order_ids))
    return _redraw(job.app, outcome.group_buy, ended=True)


async def countdown(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    every = timedelta(seconds=job.app.settings.groupbuy.countdown_refresh_seconds)
    view = await groupbuy.tick(session, job.ref, every)
    return _redraw(job.app, view) if view is not None else None
